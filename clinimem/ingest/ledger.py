"""What one load has seen: one identity, one resource; no patient that the load does not hold.

:class:`LoadLedger` sits between the connectors and the memory writer (in
:func:`clinimem.ingest.load.load_items`) and decides, for each mapped
resource, in the order of the input:

- **duplicates**: a second resource with the same ``ResourceType/id`` in one
  load. An identical copy counts once (the copy is rejected with code
  ``duplicate``; nothing is lost). Differing copies keep the one with the later
  ``meta.lastUpdated``, or the later one in the input when either has none (the
  memory's own write rule), and the other goes to the rejects report with both
  origins. Never a silent last-wins, and ``seen = loaded + rejected`` per type.
- **unknown patients**: a resource whose patient is neither loaded in this load
  nor already in the memory is held back until its Patient arrives; at the end
  of the load (a checkpoint) what is still held is quarantined as
  ``unknown-patient`` rejects. No phantom patient is created.

Example::

    >>> ledger = LoadLedger(known_patient=lambda pid: False)
    >>> ledger.identity_count
    0
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from clinimem.errors import RejectCode
from clinimem.fhir.resource import Origin, Reject, SourcedResource
from clinimem.memory.mappers.common import MappedResource


def safe_map(resource: SourcedResource) -> MappedResource | Reject:
    """``map_resource`` that never raises: a mapper that breaks on odd input rejects that resource."""
    from clinimem.memory.mappers import map_resource

    try:
        return map_resource(resource)
    except Exception as exc:
        text = str(exc)
        return Reject(
            origin=resource.origin,
            code=RejectCode.FHIR_INVALID,
            reason=(
                f"{resource.ref} in {resource.origin}: could not be turned into memory entries "
                f"({type(exc).__name__}: {text[:120]}); the resource is not loaded, the rest of the file is. "
                "Check this resource's coded elements and dates in the source export."
            ),
            resource_type=resource.resource_type,
            resource_id=resource.id,
            path=resource.origin.json_path,
        )


@dataclass
class _Seen:
    content_hash: str
    last_updated: str | None
    origin: Origin
    held: bool  # still waiting for its patient


@dataclass
class Decision:
    """What to do with one mapped resource."""

    send: bool  # write it (or hold it for its patient)
    reject: Reject | None = None  # this resource is not loaded (a duplicate)
    superseded: Reject | None = None  # an earlier copy is not loaded after all
    superseded_counted: bool = False  # ... and it had been counted as loaded


@dataclass
class LoadLedger:
    """Identities and patients seen in one load (see the module text)."""

    known_patient: Callable[[str], bool]
    _seen: dict[str, _Seen] = field(default_factory=dict)
    _patients: dict[str, bool] = field(default_factory=dict)
    _held: dict[str, list[tuple[SourcedResource, MappedResource]]] = field(default_factory=dict)
    births: dict[str, str] = field(default_factory=dict)  # patient id -> birth date, when known

    def birth_warning(self, resource: SourcedResource, mapped: MappedResource) -> Reject | None:
        """A warning when an entry of ``resource`` is dated a day or more before its patient's birth.

        Works on the mapped entries, so on every path (bundles, NDJSON, REST, the reader
        process). Skipped when the bundle check already said so (it names the JSON path).
        """
        born = self.births.get(mapped.patient_id)
        if not born or mapped.resource_type == "Patient":
            return None
        if any(
            w.code == RejectCode.IMPLAUSIBLE and "before the patient's birth" in w.reason
            for w in resource.warnings
        ):
            return None
        try:
            birth = date.fromisoformat(born[:10])
        except ValueError:
            return None
        for entry in mapped.entries:
            try:
                when = date.fromisoformat(entry.time[:10]) if entry.time else None
            except ValueError:
                continue
            if when is not None and when < birth - timedelta(days=1):
                return Reject(
                    origin=resource.origin,
                    code=RejectCode.IMPLAUSIBLE,
                    reason=(
                        f"{mapped.ref} in {resource.origin}: dated {(entry.time or '')[:10]}, before its patient's birth "
                        f"({born[:10]}); loaded. Check the date (or the patient reference) in the source."
                    ),
                    resource_type=resource.resource_type,
                    resource_id=resource.id,
                    path=f"{resource.origin.json_path}{entry.path[1:]}"
                    if entry.path.startswith("$")
                    else None,
                    severity="warning",
                )
        return None

    @property
    def identity_count(self) -> int:
        return len(self._seen)

    def see(self, resource: SourcedResource, mapped: MappedResource) -> Decision:
        """Record ``resource``; say whether it is written and which copy, if any, is rejected."""
        ref = mapped.ref
        earlier = self._seen.get(ref)
        mine = _Seen(mapped.content_hash, mapped.last_updated, resource.origin, held=False)
        if earlier is None:
            self._seen[ref] = mine
            return Decision(send=True)
        if earlier.content_hash == mapped.content_hash:
            return Decision(
                send=False,
                reject=_duplicate(
                    resource,
                    f"an identical copy of {ref} at {earlier.origin}; counted once, nothing lost",
                ),
            )
        older = bool(
            earlier.last_updated and mapped.last_updated and mapped.last_updated < earlier.last_updated
        )
        if older:
            return Decision(
                send=False,
                reject=_duplicate(
                    resource,
                    f"{ref} appears twice in this load with different content: the copy at {earlier.origin} "
                    f"(meta.lastUpdated {earlier.last_updated}) is kept, this one (lastUpdated "
                    f"{mapped.last_updated}) is older and not loaded",
                ),
            )
        why = (
            f"its meta.lastUpdated {mapped.last_updated} is later than {earlier.last_updated}"
            if earlier.last_updated and mapped.last_updated and mapped.last_updated > earlier.last_updated
            else "it comes later in the input and the two do not both carry meta.lastUpdated"
            if not (earlier.last_updated and mapped.last_updated)
            else "it comes later in the input (same meta.lastUpdated)"
        )
        superseded = Reject(
            origin=earlier.origin,
            code=RejectCode.DUPLICATE,
            reason=(
                f"{ref} in {earlier.origin}: {ref} appears twice in this load with different content; "
                f"the copy at {resource.origin} is kept ({why}) and this one is not loaded. "
                "Remove the stale copy from the source, or give the two resources distinct ids."
            ),
            resource_type=resource.resource_type,
            resource_id=resource.id,
            path=earlier.origin.json_path,
        )
        if earlier.held:
            self._drop_held(ref)
        self._seen[ref] = mine
        return Decision(send=True, superseded=superseded, superseded_counted=not earlier.held)

    def _drop_held(self, ref: str) -> None:
        for pid, items in self._held.items():
            self._held[pid] = [pair for pair in items if pair[1].ref != ref]

    def patient_known(self, patient_id: str) -> bool:
        known = self._patients.get(patient_id)
        if known is None:
            known = bool(self.known_patient(patient_id))
            self._patients[patient_id] = known
        return known

    def hold(self, resource: SourcedResource, mapped: MappedResource) -> None:
        """Keep ``resource`` back until its patient arrives (or the load ends)."""
        self._held.setdefault(mapped.patient_id, []).append((resource, mapped))
        self._seen[mapped.ref].held = True

    def patient_arrived(self, patient_id: str) -> list[tuple[SourcedResource, MappedResource]]:
        """Mark the patient as in the load; return the resources that waited for it."""
        self._patients[patient_id] = True
        released = self._held.pop(patient_id, [])
        for _, mapped in released:
            seen = self._seen.get(mapped.ref)
            if seen is not None:
                seen.held = False
        return released

    def quarantine(self) -> Iterator[Reject]:
        """Rejects for every resource still held: its patient is neither in the load nor the memory."""
        held, self._held = self._held, {}
        for patient_id, items in held.items():
            for resource, mapped in items:
                yield Reject(
                    origin=resource.origin,
                    code=RejectCode.UNKNOWN_PATIENT,
                    reason=(
                        f"{mapped.ref} in {resource.origin}: its patient Patient/{patient_id} is neither in "
                        "this load nor in the memory, so it is quarantined (not loaded; no patient is made "
                        "up for it). Load it together with its Patient resource, or fix the subject reference."
                    ),
                    resource_type=resource.resource_type,
                    resource_id=resource.id,
                    path=f"{resource.origin.json_path}.subject",
                )


def _duplicate(resource: SourcedResource, why: str) -> Reject:
    return Reject(
        origin=resource.origin,
        code=RejectCode.DUPLICATE,
        reason=(
            f"{resource.ref} in {resource.origin}: {why}. Remove the extra copy from the source, "
            "or give the two resources distinct ids."
        ),
        resource_type=resource.resource_type,
        resource_id=resource.id,
        path=resource.origin.json_path,
    )
