"""Validate FHIR resources with the R4B models and resolve bundle-local references.

Every resource becomes a :class:`SourcedResource` or a :class:`Reject`, never an
exception, so a load reports ``seen = loaded + rejected``.

Speed, and the validation policy chosen
---------------------------------------
The ingest must reach 2,000 resources/s on 2 cores, and validation is on that
path. Measured on the 23 Synthea R4 bundles (7,023 resources), one core of a
shared 2-core machine, ``python -m clinimem.fhir.validate /work/shared/data/synthea-r4``
(file read and ``json.loads`` not timed; figures vary ~30% with machine load):

=====================================================  ==============
policy                                                  resources/s
=====================================================  ==============
full ``model_validate`` of every resource               2,500-4,100
full for clinical types, shallow for billing (chosen)   8,600-8,800
shallow check for every type                            ~64,000
=====================================================  ==============

End to end through ``clinimem_connectors.sources.iter_sources`` (file read,
``json.loads``, validation, reference rewriting) the default runs at
5,100-6,500 resources/s on one core.

``model_validate`` costs 115-250 µs for most resources, but a Synthea
``ExplanationOfBenefit`` costs ~1.5 ms and a ``Claim`` ~0.5 ms: those two billing
types are 20% of the resources and half of the validation time, and the memory
never reads them (it rejects them as ``out-of-scope``). So the default
:data:`DEFAULT_POLICY` validates every other type fully with the R4B model and
gives the billing types a shallow check (a known resourceType, an id, only
element names that the R4B model knows). Pass ``ValidationPolicy(shallow_types=frozenset())``
to validate everything fully. The R4B model classes are looked up once per
type and cached. The resource's plain JSON dict is kept (not the pydantic
model): the mappers read dicts, and dumping a model back would cost as much again.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.version import MODELS_PACKAGE, version_reject

# Billing and coverage types: large, costly to validate, never read by the memory.
BILLING_TYPES = frozenset({"Claim", "ClaimResponse", "ExplanationOfBenefit", "Coverage"})

BUNDLE_TYPES = frozenset(
    {
        "transaction",
        "batch",
        "collection",
        "searchset",
        "document",
        "message",
        "history",
        "transaction-response",
        "batch-response",
    }
)

_UNKNOWN = object()
_model_classes: dict[str, Any] = {}
_element_names: dict[str, frozenset[str]] = {}


@dataclass(frozen=True)
class ValidationPolicy:
    """Which resource types get the full R4B model validation and which a shallow check."""

    shallow_types: frozenset[str] = BILLING_TYPES
    full: bool = True  # False: the shallow check for every type

    def is_full(self, resource_type: str) -> bool:
        return self.full and resource_type not in self.shallow_types


DEFAULT_POLICY = ValidationPolicy()
FULL_POLICY = ValidationPolicy(shallow_types=frozenset())
SHALLOW_POLICY = ValidationPolicy(full=False)


def model_class(resource_type: str) -> Any | None:
    """The R4B pydantic model class for ``resource_type``, or None if R4B has no such type.

    Cached: ``get_fhir_model_class`` imports a module on each call.
    """
    cls = _model_classes.get(resource_type, _UNKNOWN)
    if cls is _UNKNOWN:
        from fhir.resources.R4B import get_fhir_model_class  # heavy: import on first use

        try:
            cls = get_fhir_model_class(resource_type)
        except (ValueError, KeyError, ImportError):
            cls = None
        _model_classes[resource_type] = cls
    return cls


def _known_elements(resource_type: str, cls: Any) -> frozenset[str]:
    names = _element_names.get(resource_type)
    if names is None:
        names = set()
        for name, info in cls.model_fields.items():
            names.add(info.alias or name)
            names.add(name)
        names.update({"resourceType", "fhir_comments"})
        names = frozenset(names)
        _element_names[resource_type] = names
    return names


def resolve_references(value: Any, refs: dict[str, str]) -> Any:
    """``value`` with every ``reference`` string that is a key of ``refs`` replaced by its value.

    Copy on write: containers without a resolved reference are returned as they
    are, so the caller's data is never modified and unchanged parts are not copied.
    """
    if isinstance(value, dict):
        out: dict[str, Any] | None = None
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                new = refs.get(item, item)
            elif isinstance(item, (dict, list)):
                new = resolve_references(item, refs)
            else:
                continue
            if new is not item:
                if out is None:
                    out = dict(value)
                out[key] = new
        return value if out is None else out
    if isinstance(value, list):
        out_list: list[Any] | None = None
        for i, item in enumerate(value):
            if isinstance(item, (dict, list)):
                new = resolve_references(item, refs)
                if new is not item:
                    if out_list is None:
                        out_list = list(value)
                    out_list[i] = new
        return value if out_list is None else out_list
    return value


def _loc_path(base: str, loc: tuple[Any, ...]) -> str:
    parts = [base]
    for item in loc:
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}")
    return "".join(parts)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _where(origin: Origin, ref: str | None) -> str:
    return f"{ref} in {origin}" if ref else str(origin)


def _invalid(origin: Origin, rtype: str | None, rid: str | None, path: str, problem: str) -> Reject:
    ref = f"{rtype}/{rid}" if rtype and rid else rtype
    return Reject(
        origin=origin,
        code="fhir-invalid",
        reason=(
            f"{_where(origin, ref)}: {problem} at {path}. Fix this element in the source export "
            "(or remove the resource); the rest of the file still loads."
        ),
        resource_type=rtype,
        resource_id=rid,
        path=path,
    )


def _first_error(exc: ValidationError) -> tuple[tuple[Any, ...], str]:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first.get("loc") or ())
    msg = str(first.get("msg", "invalid value")).replace("Value error, ", "")
    if first.get("type") == "json_invalid":
        # fhir.resources parses a string given for an object as JSON: say what was wrong instead.
        msg = "expected an object, got a string"
    elif first.get("type") == "extra_forbidden":
        msg = "element not defined in FHIR R4"
    value = first.get("input")
    if value is not None and not isinstance(value, (dict, list)) and loc:
        msg = f"{msg} (got {_short(value)})"
    more = len(errors) - 1
    if more:
        msg = f"{msg}; {more} more error{'s' if more > 1 else ''} in this resource"
    return loc, msg


def check_resource(
    data: dict[str, Any],
    origin: Origin,
    *,
    refs: dict[str, str] | None = None,
    full_url: str | None = None,
    policy: ValidationPolicy = DEFAULT_POLICY,
) -> SourcedResource | Reject:
    """Validate one resource dict with its R4B model; resolve its local references.

    ``refs`` maps bundle fullUrls (``urn:uuid:…``) to ``Type/id``; every
    ``reference`` found anywhere in the resource that is a key of ``refs`` is
    rewritten. A resource without ``id`` takes it from ``full_url`` when that is
    a ``urn:uuid:``; otherwise it is rejected. The version is not checked here
    (see :func:`iter_payload`).

    Example::

        >>> r = check_resource({"resourceType": "Patient", "id": "p1"}, Origin("p.json"))
        >>> r.ref
        'Patient/p1'
    """
    base = origin.json_path
    if not isinstance(data, dict):
        return _invalid(origin, None, None, base, f"expected a resource object, got {type(data).__name__}")
    rtype = data.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        return _invalid(origin, None, None, f"{base}.resourceType", "no resourceType")
    rid = data.get("id")
    if rid is None and full_url and full_url.startswith("urn:uuid:"):
        rid = full_url[len("urn:uuid:") :]
        data = {**data, "id": rid}
    if rid is not None and not isinstance(rid, str):
        return _invalid(origin, rtype, None, f"{base}.id", f"id must be a string, got {_short(rid)}")
    if not rid:
        return _invalid(origin, rtype, None, f"{base}.id", "no id (and no urn:uuid: fullUrl to take it from)")

    cls = model_class(rtype)
    if cls is None:
        return Reject(
            origin=origin,
            code="unknown-type",
            reason=(
                f"{_where(origin, f'{rtype}/{rid}')}: {rtype!r} is not a FHIR R4 resource type "
                f"(checked against {MODELS_PACKAGE}). Check the spelling, or export this data as R4."
            ),
            resource_type=rtype,
            resource_id=rid,
            path=f"{base}.resourceType",
        )

    if policy.is_full(rtype):
        try:
            cls.model_validate(data)
        except ValidationError as exc:
            loc, problem = _first_error(exc)
            return _invalid(origin, rtype, rid, _loc_path(base, loc), problem)
    else:
        unknown = sorted(k for k in data if k not in _known_elements(rtype, cls) and not k.startswith("_"))
        if unknown:
            return _invalid(origin, rtype, rid, f"{base}.{unknown[0]}", "element not defined in FHIR R4")
        if len(rid) > 64:
            return _invalid(origin, rtype, rid, f"{base}.id", "id longer than 64 characters")

    if refs:
        data = resolve_references(data, refs)
    return SourcedResource(resource_type=rtype, id=rid, data=data, origin=origin)


def _entry_reject(origin: Origin, entry: Any, bundle_type: str) -> Reject:
    """Report a bundle entry that holds no resource, saying what it was."""
    path = f"$.entry[{origin.entry}]"
    if not isinstance(entry, dict):
        return _invalid(origin, None, None, path, "bundle entry is not an object")
    request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    url = str(request.get("url") or response.get("location") or entry.get("fullUrl") or "")
    rtype = None
    rid = None
    tail = url.split("?")[0].split("/_history")[0].rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2][:1].isupper():
        rtype, rid = tail[-2], tail[-1]
    elif tail and tail[-1][:1].isupper():
        rtype = tail[-1]
    ref = f"{rtype}/{rid}" if rtype and rid else (url or None)
    method = str(request.get("method") or "").upper()
    status = str(response.get("status") or "")
    if method == "DELETE" or status.startswith("410"):
        reason = (
            f"{_where(origin, ref)}: {bundle_type} entry records a deletion and carries no resource; "
            "nothing to load. Remove the resource from the store if it was loaded before."
        )
        code = "out-of-scope"
    elif method in ("GET", "HEAD") or "search" in entry:
        reason = (
            f"{_where(origin, ref)}: {bundle_type} entry is a read or search ({method or 'search'} "
            f"{url or '?'}) without a resource; nothing to load. Fetch the resources themselves "
            "(e.g. run the search against the server) and load the result."
        )
        code = "out-of-scope"
    elif response:
        reason = (
            f"{_where(origin, ref)}: {bundle_type} entry is a server response ({status or 'no status'}) "
            "without the resource; nothing to load. Ask the server to return the resources "
            "(header Prefer: return=representation) or load the resources themselves."
        )
        code = "out-of-scope"
    else:
        reason = (
            f"{_where(origin, ref)}: {bundle_type} entry has no resource at {path}.resource. "
            "Export the bundle with the resources included."
        )
        code = "fhir-invalid"
    return Reject(
        origin=origin,
        code=code,
        reason=reason,
        resource_type=rtype,
        resource_id=rid,
        path=f"{path}.resource",
    )


def _bundle_refs(entries: list[Any]) -> dict[str, str]:
    """fullUrl -> ``Type/id`` for every entry whose resource has a type and an id (or a urn:uuid)."""
    refs: dict[str, str] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        full_url = entry.get("fullUrl")
        res = entry.get("resource")
        if not isinstance(full_url, str) or not isinstance(res, dict):
            continue
        rtype, rid = res.get("resourceType"), res.get("id")
        if rid is None and full_url.startswith("urn:uuid:"):
            rid = full_url[len("urn:uuid:") :]
        if isinstance(rtype, str) and isinstance(rid, str):
            refs[full_url] = f"{rtype}/{rid}"
    return refs


def iter_payload(
    obj: dict[str, Any],
    source: str,
    *,
    policy: ValidationPolicy = DEFAULT_POLICY,
) -> Iterator[SourcedResource | Reject]:
    """Resources of one parsed JSON document: a Bundle of any type, or a single resource.

    The version is checked first: a non-R4 document yields ONE ``fhir-version``
    Reject. Bundle entries get ``Origin(source, entry=i)`` and their fullUrls
    (``urn:uuid:…``) are resolved to ``Type/id`` in every reference. Entries
    without a resource, OperationOutcomes of a search and nested Bundles are
    reported as Rejects, never dropped.

    Example::

        >>> bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        ...     {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "1"}}]}
        >>> [r.ref for r in iter_payload(bundle, "b.json")]
        ['Patient/1']
    """
    if not isinstance(obj, dict):
        yield _invalid(Origin(source), None, None, "$", f"expected a JSON object, got {type(obj).__name__}")
        return
    rejected = version_reject(obj, Origin(source))
    if rejected is not None:
        yield rejected
        return
    if obj.get("resourceType") != "Bundle":
        yield check_resource(obj, Origin(source), policy=policy)
        return

    bundle_type = str(obj.get("type") or "")
    if bundle_type not in BUNDLE_TYPES:
        yield _invalid(
            Origin(source),
            "Bundle",
            obj.get("id") if isinstance(obj.get("id"), str) else None,
            "$.type",
            f"unknown Bundle.type {bundle_type!r}",
        )
        return
    entries = obj.get("entry") or []
    if not isinstance(entries, list):
        yield _invalid(Origin(source), "Bundle", None, "$.entry", "Bundle.entry is not a list")
        return
    refs = _bundle_refs(entries)
    for i, entry in enumerate(entries):
        origin = Origin(source, entry=i)
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            yield _entry_reject(origin, entry, bundle_type)
            continue
        rtype = res.get("resourceType")
        search = entry.get("search") if isinstance(entry.get("search"), dict) else {}
        if rtype == "OperationOutcome" or search.get("mode") == "outcome":
            yield Reject(
                origin=origin,
                code="out-of-scope",
                reason=(
                    f"{origin}: an OperationOutcome (the server's messages about the "
                    f"{bundle_type}), not a patient resource; read it for warnings about the export."
                ),
                resource_type=str(rtype) if rtype else None,
                resource_id=res.get("id") if isinstance(res.get("id"), str) else None,
                path=origin.json_path,
            )
            continue
        if rtype == "Bundle":
            yield Reject(
                origin=origin,
                code="out-of-scope",
                reason=f"{origin}: a Bundle inside a Bundle is not read; save it as its own file and load that.",
                resource_type="Bundle",
                resource_id=res.get("id") if isinstance(res.get("id"), str) else None,
                path=origin.json_path,
            )
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        yield check_resource(res, origin, refs=refs, full_url=full_url, policy=policy)


def _benchmark(paths: list[str]) -> None:
    """Print validation speed on bundle files: ``python -m clinimem.fhir.validate DIR``."""
    from pathlib import Path

    files: list[Path] = []
    for p in paths:
        path = Path(p)
        files.extend(sorted(path.rglob("*.json")) if path.is_dir() else [path])
    docs = [json.loads(f.read_bytes()) for f in files]
    n = sum(len(d.get("entry") or []) if d.get("resourceType") == "Bundle" else 1 for d in docs)
    for name, policy in (
        ("full", FULL_POLICY),
        ("default", DEFAULT_POLICY),
        ("shallow", SHALLOW_POLICY),
    ):
        for doc in docs[:1]:  # warm the class cache so imports are not timed
            for _ in iter_payload(doc, "warm", policy=policy):
                pass
        start = time.perf_counter()
        loaded = rejected = 0
        for doc in docs:
            for item in iter_payload(doc, "bench", policy=policy):
                if isinstance(item, Reject):
                    rejected += 1
                else:
                    loaded += 1
        took = time.perf_counter() - start
        print(
            f"{name:8s} {n} resources in {took:.2f}s = {n / took:,.0f}/s (loaded {loaded}, rejected {rejected})"
        )


if __name__ == "__main__":
    _benchmark(sys.argv[1:])
