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
element names that the R4B model knows). R4B model errors reject only the types the
memory reads (:data:`MEMORY_TYPES`); of any other type they only tell whether it is
another version's resource (``fhir-version``), else it goes on to be rejected as
``out-of-scope``: the R4B model refuses valid R4 conformance resources that the memory
never reads (on the HL7 R4 examples, 110 CodeSystems, SearchParameters and others were
``fhir-invalid`` for an ``_valueString`` it does not take). Pass :data:`FULL_POLICY` to
validate everything fully and reject on every error. The R4B model classes are looked up once per
type and cached. The resource's plain JSON dict is kept (not the pydantic
model): the mappers read dicts, and dumping a model back would cost as much again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clinimem.errors import RejectCode
from clinimem.fhir.plausibility import check_birth, check_plausibility
from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.fhir.valuesets import CodeProblem, check_codes
from clinimem.fhir.version import (
    MODELS_PACKAGE,
    R4_ONLY_TYPES,
    RELEASE,
    other_version_of_element,
    type_version,
    version_reject,
)

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

MAX_LISTED_ERRORS = 20  # errors listed in one reject's reason (the count names the rest)

_UNKNOWN = object()
_model_classes: dict[str, Any] = {}
_element_names: dict[str, frozenset[str]] = {}


# The resource types the memory reads (the keys of ``clinimem.memory.mappers.MAPPERS``; a test keeps
# the two equal): every other type is rejected as ``out-of-scope`` after validation.
MEMORY_TYPES = frozenset(
    {
        "Patient",
        "Encounter",
        "Condition",
        "AllergyIntolerance",
        "Observation",
        "DiagnosticReport",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "Procedure",
        "Immunization",
        "CarePlan",
        "Goal",
        "ImagingStudy",
        "Device",
        "DocumentReference",
    }
)


@dataclass(frozen=True)
class ValidationPolicy:
    """Which resource types get the full R4B model validation and which a shallow check,
    and whose R4B model errors reject them (``strict_types``; None: every type's)."""

    shallow_types: frozenset[str] = BILLING_TYPES
    full: bool = True  # False: the shallow check for every type
    strict_types: frozenset[str] | None = MEMORY_TYPES

    def is_full(self, resource_type: str) -> bool:
        return self.full and resource_type not in self.shallow_types

    def is_strict(self, resource_type: str) -> bool:
        return self.strict_types is None or resource_type in self.strict_types


DEFAULT_POLICY = ValidationPolicy()
FULL_POLICY = ValidationPolicy(shallow_types=frozenset(), strict_types=None)
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


_other_classes: dict[tuple[str, str], Any] = {}


def _shape_errors(exc: ValidationError) -> bool:
    """Whether R4B refused an element's shape (unknown element, a list for an object, …), not only
    a missing required value: only shapes tell another version (R5 made some R4 elements optional)."""
    for error in exc.errors(include_url=False):
        if error.get("type") == "missing" or "is required" in str(error.get("msg", "")):
            continue
        return True
    return False


def other_version_fit(resource_type: str, data: dict[str, Any]) -> str | None:
    """The other FHIR version (R5, then STU3) whose model takes ``data``, for a resource R4B refused; else None.

    Most resources of another version show it only in their shape (an STU3 ``CodeSystem.identifier``
    is one object, an R5 ``Encounter.class`` a list): one that fails R4 but is a valid resource of
    another version is that version's data, and is refused as such (``fhir-version``), naming it.
    Costs a second validation only for resources that failed the first.

    >>> other_version_fit("Encounter", {"resourceType": "Encounter", "status": "planned",
    ...                                  "class": [{"text": "ambulatory"}]})
    'R5'
    """
    from clinimem.fhir.version import R5, STU3

    for package, version in (("fhir.resources", R5), ("fhir.resources.STU3", STU3)):
        key = (package, resource_type)
        cls = _other_classes.get(key, _UNKNOWN)
        if cls is _UNKNOWN:
            try:
                import importlib

                cls = importlib.import_module(package).get_fhir_model_class(resource_type)
            except Exception:  # no such type in that version
                cls = None
            _other_classes[key] = cls
        if cls is None:
            continue
        try:
            cls.model_validate(data)
        except Exception:  # not valid there either
            continue
        return version
    return None


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


def _invalid(
    origin: Origin,
    rtype: str | None,
    rid: str | None,
    path: str,
    problem: str,
    *,
    located: bool = False,
    code: str = RejectCode.FHIR_INVALID,
) -> Reject:
    """A reject naming the file, ``Type/id``, the JSON path and what to do.

    ``located``: ``problem`` names its path(s) already (a list of errors).
    """
    ref = f"{rtype}/{rid}" if rtype and rid else rtype
    where = problem if located else f"{problem} at {path}"
    return Reject(
        origin=origin,
        code=code,
        reason=(
            f"{_where(origin, ref)}: {where}. Fix this element in the source export "
            "(or remove the resource); the rest of the file still loads."
        ),
        resource_type=rtype,
        resource_id=rid,
        path=path,
    )


def _error_message(error: Any, rtype: str | None = None) -> str:
    loc = tuple(error.get("loc") or ())
    msg = str(error.get("msg", "invalid value")).replace("Value error, ", "")
    if error.get("type") == "json_invalid":
        # fhir.resources parses a string given for an object as JSON: say what was wrong instead.
        msg = "expected an object, got a string"
    elif error.get("type") == "extra_forbidden":
        msg = "element not defined in FHIR R4"
        if rtype and len(loc) == 1 and isinstance(loc[0], str):
            other = other_version_of_element(rtype, loc[0])
            if other:
                msg = f"element not defined in FHIR R4 (it is a FHIR {other} element of {rtype})"
    value = error.get("input")
    if value is not None and not isinstance(value, (dict, list)) and loc:
        msg = f"{msg} (got {_short(value)})"
    return msg


def _all_errors(exc: ValidationError, base: str, rtype: str | None = None) -> tuple[str, str]:
    """(path of the first error, every error as "problem at path; ...")."""
    errors = exc.errors(include_url=False)
    parts = [f"{_error_message(e, rtype)} at {_loc_path(base, tuple(e.get('loc') or ()))}" for e in errors]
    first = _loc_path(base, tuple(errors[0].get("loc") or ())) if errors else base
    if len(parts) > MAX_LISTED_ERRORS:
        parts = [*parts[:MAX_LISTED_ERRORS], f"and {len(parts) - MAX_LISTED_ERRORS} more"]
    prefix = f"{len(errors)} errors: " if len(errors) > 1 else ""
    return first, prefix + "; ".join(parts)


def _first_error(exc: ValidationError) -> tuple[tuple[Any, ...], str]:
    """(loc, message) of the first error (kept for callers that show one line)."""
    errors = exc.errors(include_url=False)
    return tuple(errors[0].get("loc") or ()), _error_message(errors[0])


def check_resource(
    data: dict[str, Any],
    origin: Origin,
    *,
    refs: dict[str, str] | None = None,
    full_url: str | None = None,
    policy: ValidationPolicy = DEFAULT_POLICY,
) -> SourcedResource | Reject:
    """Validate one resource dict with its R4B model, its required codes and its plausibility.

    Never raises: whatever goes wrong with one resource becomes its Reject.

    ``refs`` maps bundle fullUrls (``urn:uuid:…``) to ``Type/id``; every
    ``reference`` found anywhere in the resource that is a key of ``refs`` is
    rewritten. A resource without ``id`` takes it from ``full_url`` when that is
    a ``urn:uuid:``, else a deterministic id made from its origin and content
    (with a warning). Codes outside their required value set are normalised
    (case: a warning) or reject the resource (:mod:`clinimem.fhir.valuesets`);
    implausible content does the same (:mod:`clinimem.fhir.plausibility`).
    The version is not checked here (see :func:`iter_payload`).

    Example::

        >>> r = check_resource({"resourceType": "Patient", "id": "p1"}, Origin("p.json"))
        >>> r.ref
        'Patient/p1'
    """
    try:
        return _check_resource(data, origin, refs=refs, full_url=full_url, policy=policy)
    except Exception as exc:  # a model or check that breaks on odd input: this resource only
        rtype = data.get("resourceType") if isinstance(data, dict) else None
        rid = data.get("id") if isinstance(data, dict) else None
        return _invalid(
            origin,
            rtype if isinstance(rtype, str) else None,
            rid if isinstance(rid, str) else None,
            origin.json_path,
            f"could not be validated ({type(exc).__name__}: {_short(str(exc))})",
        )


def _warning(origin: Origin, rtype: str, rid: str, path: str, code: str, message: str) -> Reject:
    return Reject(
        origin=origin,
        code=code,
        reason=f"{_where(origin, f'{rtype}/{rid}')}: {message} at {path}; loaded.",
        resource_type=rtype,
        resource_id=rid,
        path=path,
        severity="warning",
    )


def id_from_full_url(full_url: str, resource_type: str) -> str | None:
    """The id a fullUrl gives a resource without one: a ``urn:uuid:``, or ``…/Type/id`` of its own type."""
    if full_url.startswith("urn:uuid:"):
        return full_url[len("urn:uuid:") :] or None
    parts = full_url.split("?")[0].split("/_history")[0].rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == resource_type and parts[-1]:
        return parts[-1]
    return None


def derived_id(data: dict[str, Any], origin: Origin) -> str:
    """A deterministic id for a resource that has none: from its file name, place and content."""
    place = f"{Path(origin.source).name}|{origin.line}|{origin.entry}"
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "cm-" + hashlib.blake2b(f"{place}|{body}".encode(), digest_size=12).hexdigest()


def _check_contained(data: dict[str, Any], origin: Origin, rtype: str, rid: str) -> Reject | None:
    """A Reject for a contained resource the R4B models cannot take (they raise on an unknown type)."""
    contained = data.get("contained")
    if contained is None:
        return None
    base = origin.json_path
    if not isinstance(contained, list):
        return _invalid(origin, rtype, rid, f"{base}.contained", "contained is not a list")
    for i, item in enumerate(contained):
        path = f"{base}.contained[{i}]"
        if not isinstance(item, dict):
            return _invalid(origin, rtype, rid, path, "a contained resource is not an object")
        ctype = item.get("resourceType")
        if not isinstance(ctype, str) or not ctype:
            return _invalid(
                origin, rtype, rid, f"{path}.resourceType", "contained resource has no resourceType"
            )
        if model_class(ctype) is not None:
            continue
        version = type_version(ctype)
        if version is not None:
            return _invalid(
                origin,
                rtype,
                rid,
                f"{path}.resourceType",
                f"contained {ctype} is a FHIR {version} resource type, not R4: this resource is {version} "
                "data; convert the export to R4",
                code=RejectCode.FHIR_VERSION,
            )
        return _invalid(
            origin,
            rtype,
            rid,
            f"{path}.resourceType",
            f"contained resourceType {ctype!r} is not a FHIR R4 resource type (misspelt?)",
            code=RejectCode.UNKNOWN_TYPE,
        )
    return None


def _check_resource(
    data: dict[str, Any],
    origin: Origin,
    *,
    refs: dict[str, str] | None,
    full_url: str | None,
    policy: ValidationPolicy,
) -> SourcedResource | Reject:
    base = origin.json_path
    if not isinstance(data, dict):
        return _invalid(origin, None, None, base, f"expected a resource object, got {type(data).__name__}")
    rtype = data.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        return _invalid(origin, None, None, f"{base}.resourceType", "no resourceType")
    warnings: list[Reject] = []
    rid = data.get("id")
    if rid is None and full_url:
        rid = id_from_full_url(full_url, rtype)
        if rid is not None:
            data = {**data, "id": rid}
    if rid is not None and not isinstance(rid, str):
        return _invalid(origin, rtype, None, f"{base}.id", f"id must be a string, got {_short(rid)}")
    if not rid:
        rid = derived_id(data, origin)
        data = {**data, "id": rid}
        warnings.append(
            _warning(
                origin,
                rtype,
                rid,
                f"{base}.id",
                RejectCode.ID_ASSIGNED,
                f"the resource has no id; it was given the id {rid!r}, derived from its file, place and "
                "content (give it an id in the source to keep it stable when the file moves)",
            )
        )

    cls = model_class(rtype)
    if cls is None:
        if rtype in R4_ONLY_TYPES:
            return Reject(
                origin=origin,
                code=RejectCode.OUT_OF_SCOPE,
                reason=(
                    f"{_where(origin, f'{rtype}/{rid}')}: {rtype} is a FHIR R4 (4.0.1) resource type that "
                    f"R4B removed; clinimem reads with {MODELS_PACKAGE} and does not read it "
                    "(a product or substance definition, not a patient fact). Nothing to do."
                ),
                resource_type=rtype,
                resource_id=rid,
                path=f"{base}.resourceType",
            )
        version = type_version(rtype)
        if version is not None:
            return Reject(
                origin=origin,
                code=RejectCode.FHIR_VERSION,
                reason=(
                    f"{_where(origin, f'{rtype}/{rid}')}: {rtype} is a FHIR {version} ({RELEASE[version]}) "
                    f"resource type that R4 does not have (checked against {MODELS_PACKAGE}), so this is FHIR "
                    f"{version} data; clinimem reads R4/R4B only. Convert it to R4 (re-export it as R4, or run "
                    "it through a FHIR version converter) and load it again."
                ),
                resource_type=rtype,
                resource_id=rid,
                path=f"{base}.resourceType",
            )
        hint = "check the spelling, or export this data as R4"
        return Reject(
            origin=origin,
            code=RejectCode.UNKNOWN_TYPE,
            reason=(
                f"{_where(origin, f'{rtype}/{rid}')}: {rtype!r} is not a FHIR R4 resource type "
                f"(checked against {MODELS_PACKAGE}); {hint}."
            ),
            resource_type=rtype,
            resource_id=rid,
            path=f"{base}.resourceType",
        )

    if policy.is_full(rtype):
        contained = _check_contained(data, origin, rtype, rid)
        if contained is not None:
            return contained
        try:
            cls.model_validate(data)
        except ValidationError as exc:
            path, problems = _all_errors(exc, base, rtype)
            version = other_version_fit(rtype, data) if _shape_errors(exc) else None
            if version is not None:
                return _invalid(
                    origin,
                    rtype,
                    rid,
                    path,
                    f"this is FHIR {version} ({RELEASE[version]}) data, not R4: it is a valid {version} {rtype} "
                    f"and fails R4 ({problems}); clinimem reads R4/R4B only. Convert it to R4 (re-export it "
                    "as R4, or run it through a FHIR version converter) and load it again",
                    located=True,
                    code=RejectCode.FHIR_VERSION,
                )
            if policy.is_strict(rtype):
                return _invalid(origin, rtype, rid, path, problems, located=True)
            # a type the memory does not read: rejected as out-of-scope next, whatever R4B says of it
    else:
        unknown = sorted(k for k in data if k not in _known_elements(rtype, cls) and not k.startswith("_"))
        if unknown:
            listed = "; ".join(f"element not defined in FHIR R4 at {base}.{name}" for name in unknown)
            prefix = f"{len(unknown)} errors: " if len(unknown) > 1 else ""
            return _invalid(origin, rtype, rid, f"{base}.{unknown[0]}", prefix + listed, located=True)
        if len(rid) > 64:
            return _invalid(origin, rtype, rid, f"{base}.id", "id longer than 64 characters")

    data, code_problems = check_codes(data)
    rejected = _problems_reject(
        origin, rtype, rid, base, code_problems, RejectCode.FHIR_INVALID, RejectCode.NORMALISED, warnings
    )
    if rejected is not None:
        return rejected
    rejected = _problems_reject(
        origin,
        rtype,
        rid,
        base,
        check_plausibility(data),
        RejectCode.IMPLAUSIBLE,
        RejectCode.IMPLAUSIBLE,
        warnings,
    )
    if rejected is not None:
        return rejected

    if refs:
        data = resolve_references(data, refs)
    return SourcedResource(resource_type=rtype, id=rid, data=data, origin=origin, warnings=tuple(warnings))


def _problems_reject(
    origin: Origin,
    rtype: str,
    rid: str,
    base: str,
    problems: list[CodeProblem],
    error_code: str,
    warning_code: str,
    warnings: list[Reject],
) -> Reject | None:
    """Errors among ``problems`` -> one Reject listing them all; warnings appended to ``warnings``."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        listed = "; ".join(f"{p.message} at {base}.{p.path}" for p in errors)
        prefix = f"{len(errors)} errors: " if len(errors) > 1 else ""
        return _invalid(
            origin, rtype, rid, f"{base}.{errors[0].path}", prefix + listed, located=True, code=error_code
        )
    for problem in problems:
        warnings.append(_warning(origin, rtype, rid, f"{base}.{problem.path}", warning_code, problem.message))
    return None


def _entry_url_identity(entry: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(url, type, id) that an entry without a resource names in its request, response or fullUrl."""
    request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    url = str(request.get("url") or response.get("location") or entry.get("fullUrl") or "")
    tail = url.split("?")[0].split("/_history")[0].rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2][:1].isupper():
        return url, tail[-2], tail[-1]
    if tail and tail[-1][:1].isupper():
        return url, tail[-1], None
    return url, None, None


def held_resources(obj: Any) -> tuple[tuple[str, int], ...]:
    """The resources a parsed JSON document holds, ``(type, number)`` per type, as a load counts them.

    A Bundle counts its entries (an entry without a resource under the type its URL names, else
    ``(file)``; an empty Bundle counts as one Bundle); anything else is one resource of its
    ``resourceType`` (``(file)`` when it has none). A reject that refuses the whole document
    carries these (:attr:`Reject.counts`), so seen = loaded + rejected per type against the input.

    Example::

        >>> held_resources({"resourceType": "Bundle", "entry": [
        ...     {"resource": {"resourceType": "Patient"}}, {"resource": {"resourceType": "Patient"}}]})
        (('Patient', 2),)
    """
    counts: dict[str, int] = {}

    def add(rtype: Any) -> None:
        key = rtype if isinstance(rtype, str) and rtype else "(file)"
        counts[key] = counts.get(key, 0) + 1

    if not isinstance(obj, dict):
        add(None)
    elif obj.get("resourceType") == "Bundle" and isinstance(obj.get("entry"), list) and obj["entry"]:
        for entry in obj["entry"]:
            res = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(res, dict):
                add(res.get("resourceType"))
            elif isinstance(entry, dict):
                add(_entry_url_identity(entry)[1])
            else:
                add(None)
    else:
        add(obj.get("resourceType"))
    return tuple(sorted(counts.items()))


def _entry_reject(origin: Origin, entry: Any, bundle_type: str) -> Reject:
    """Report a bundle entry that holds no resource, saying what it was."""
    path = f"$.entry[{origin.entry}]"
    if not isinstance(entry, dict):
        return _invalid(origin, None, None, path, "bundle entry is not an object")
    request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    url, rtype, rid = _entry_url_identity(entry)
    ref = f"{rtype}/{rid}" if rtype and rid else (url or None)
    method = str(request.get("method") or "").upper()
    status = str(response.get("status") or "")
    if method == "DELETE" or status.startswith("410"):
        reason = (
            f"{_where(origin, ref)}: {bundle_type} entry records a deletion and carries no resource; "
            "nothing to load. Remove the resource from the store if it was loaded before."
        )
        code = RejectCode.OUT_OF_SCOPE
    elif method in ("GET", "HEAD") or "search" in entry:
        reason = (
            f"{_where(origin, ref)}: {bundle_type} entry is a read or search ({method or 'search'} "
            f"{url or '?'}) without a resource; nothing to load. Fetch the resources themselves "
            "(e.g. run the search against the server) and load the result."
        )
        code = RejectCode.OUT_OF_SCOPE
    elif response:
        reason = (
            f"{_where(origin, ref)}: {bundle_type} entry is a server response ({status or 'no status'}) "
            "without the resource; nothing to load. Ask the server to return the resources "
            "(header Prefer: return=representation) or load the resources themselves."
        )
        code = RejectCode.OUT_OF_SCOPE
    else:
        reason = (
            f"{_where(origin, ref)}: {bundle_type} entry has no resource at {path}.resource. "
            "Export the bundle with the resources included."
        )
        code = RejectCode.FHIR_INVALID
    return Reject(
        origin=origin,
        code=code,
        reason=reason,
        resource_type=rtype,
        resource_id=rid,
        path=f"{path}.resource",
    )


def _ref_of(res: dict[str, Any]) -> str | None:
    """``Type/id`` of a resource dict, or its type alone when it has no string id."""
    rtype, rid = res.get("resourceType"), res.get("id")
    if not isinstance(rtype, str):
        return None
    return f"{rtype}/{rid}" if isinstance(rid, str) else rtype


def _entry_identity(entry: Any) -> tuple[str | None, str | None]:
    """(fullUrl, ``Type/id``) of a bundle entry; the id may come from a urn:uuid fullUrl."""
    if not isinstance(entry, dict):
        return None, None
    full_url = entry.get("fullUrl")
    res = entry.get("resource")
    if not isinstance(full_url, str) or not isinstance(res, dict):
        return None, None
    rtype, rid = res.get("resourceType"), res.get("id")
    if rid is None and full_url.startswith("urn:uuid:"):
        rid = full_url[len("urn:uuid:") :]
    if isinstance(rtype, str) and isinstance(rid, str):
        return full_url, f"{rtype}/{rid}"
    return full_url, None


def _bundle_refs(entries: list[Any]) -> tuple[dict[str, str], dict[int, tuple[int, str, str]]]:
    """fullUrl -> ``Type/id`` for every entry whose resource has a type and an id (or a urn:uuid),
    and the entries whose fullUrl an earlier entry of ANOTHER identity already used
    (index -> (that earlier index, its ``Type/id``, the fullUrl)): references to such a
    fullUrl would be ambiguous, so the later entries are not loaded.
    """
    refs: dict[str, str] = {}
    first: dict[str, int] = {}
    clashes: dict[int, tuple[int, str, str]] = {}
    for i, entry in enumerate(entries):
        full_url, ref = _entry_identity(entry)
        if full_url is None or ref is None:
            continue
        if full_url in refs:
            if refs[full_url] != ref:
                clashes[i] = (first[full_url], refs[full_url], full_url)
            continue
        refs[full_url] = ref
        first[full_url] = i
    return refs, clashes


def _birth_dates(entries: list[Any]) -> dict[str, str]:
    """``Patient/id`` -> birthDate of the Patients in a bundle."""
    births: dict[str, str] = {}
    for entry in entries:
        res = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(res, dict) and res.get("resourceType") == "Patient":
            pid, born = res.get("id"), res.get("birthDate")
            full_url = entry.get("fullUrl")
            if not isinstance(pid, str) and isinstance(full_url, str):
                pid = id_from_full_url(full_url, "Patient")
            if isinstance(pid, str) and isinstance(born, str):
                births[f"Patient/{pid}"] = born
    return births


def _birth_warnings(item: SourcedResource, births: dict[str, str]) -> SourcedResource:
    """``item`` with a warning for each clinical time before its patient's birth (same bundle)."""
    data = item.data
    for key in ("subject", "patient"):
        ref = data.get(key)
        born = births.get(ref.get("reference")) if isinstance(ref, dict) else None
        if born is None:
            continue
        problems = check_birth(data, born)
        if not problems:
            return item
        base = item.origin.json_path
        extra = tuple(
            _warning(
                item.origin,
                item.resource_type,
                item.id,
                f"{base}.{p.path}",
                RejectCode.IMPLAUSIBLE,
                p.message,
            )
            for p in problems
        )
        return dataclasses.replace(item, warnings=item.warnings + extra)
    return item


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
        # refused whole: every resource it held is counted as rejected, under its type
        yield dataclasses.replace(rejected, counts=held_resources(obj))
        return
    if obj.get("resourceType") != "Bundle":
        yield check_resource(obj, Origin(source), policy=policy)
        return

    bundle_type = str(obj.get("type") or "")
    if bundle_type not in BUNDLE_TYPES:
        rejected = _invalid(
            Origin(source),
            "Bundle",
            obj.get("id") if isinstance(obj.get("id"), str) else None,
            "$.type",
            f"unknown Bundle.type {bundle_type!r}; none of its entries was loaded",
        )
        yield dataclasses.replace(rejected, counts=held_resources(obj))
        return
    entries = obj.get("entry") or []
    if not isinstance(entries, list):
        yield _invalid(Origin(source), "Bundle", None, "$.entry", "Bundle.entry is not a list")
        return
    refs, clashes = _bundle_refs(entries)
    births = _birth_dates(entries)
    for i, entry in enumerate(entries):
        origin = Origin(source, entry=i)
        if i in clashes:
            earlier, earlier_ref, full_url = clashes[i]
            _, ref = _entry_identity(entry)
            rtype, _, rid = (ref or "").partition("/")
            yield Reject(
                origin=origin,
                code=RejectCode.DUPLICATE,
                reason=(
                    f"{_where(origin, ref)}: its fullUrl {full_url} is also the fullUrl of {earlier_ref} at "
                    f"$.entry[{earlier}]; references to it cannot tell the two apart, so only the first is "
                    "loaded and this one is not. Give every entry its own fullUrl."
                ),
                resource_type=rtype or None,
                resource_id=rid or None,
                path=f"{origin.json_path}",
            )
            continue
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            yield _entry_reject(origin, entry, bundle_type)
            continue
        rtype = res.get("resourceType")
        search = entry.get("search") if isinstance(entry.get("search"), dict) else {}
        if rtype == "OperationOutcome" or search.get("mode") == "outcome":
            yield Reject(
                origin=origin,
                code=RejectCode.OUT_OF_SCOPE,
                reason=(
                    f"{_where(origin, _ref_of(res))}: an OperationOutcome (the server's messages about the "
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
                code=RejectCode.OUT_OF_SCOPE,
                reason=(
                    f"{_where(origin, _ref_of(res))}: a Bundle inside a Bundle is not read; save it as its own "
                    "file and load that."
                ),
                resource_type="Bundle",
                resource_id=res.get("id") if isinstance(res.get("id"), str) else None,
                path=origin.json_path,
            )
            continue
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        item = check_resource(res, origin, refs=refs, full_url=full_url, policy=policy)
        if births and isinstance(item, SourcedResource):
            item = _birth_warnings(item, births)
        yield item


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
