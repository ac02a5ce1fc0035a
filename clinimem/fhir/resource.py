"""Types that cross the boundary between connectors and memory.

A connector yields :class:`SourcedResource` for every resource it could read and
validate, and :class:`Reject` for every one it could not, so that the totals
always add up: seen = loaded + rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clinimem.errors import ERROR_OF_CODE, ClinimemError


@dataclass(frozen=True)
class Origin:
    """Where a resource came from: a file (with line or bundle entry) or a URL."""

    source: str
    line: int | None = None  # 1-based line in an NDJSON file
    entry: int | None = None  # 0-based index in Bundle.entry

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.source}:{self.line}"
        if self.entry is not None:
            return f"{self.source}#entry[{self.entry}]"
        return self.source

    @property
    def json_path(self) -> str:
        """JSON path of the resource inside its file (``$`` for a file holding one)."""
        return f"$.entry[{self.entry}].resource" if self.entry is not None else "$"


@dataclass(frozen=True)
class SourcedResource:
    """A validated FHIR resource, with local references resolved to ``Type/id``."""

    resource_type: str
    id: str
    data: dict[str, Any] = field(repr=False, compare=False)
    origin: Origin
    fhir_version: str = "4.0.1"
    # What was fixed or doubted on the way in (codes normalised, implausible values):
    # Rejects with severity "warning"; the resource itself is loaded.
    warnings: tuple[Reject, ...] = field(default=(), compare=False)

    @property
    def ref(self) -> str:
        return f"{self.resource_type}/{self.id}"

    def __deepcopy__(self, memo: dict[int, Any]) -> SourcedResource:
        # Treated as immutable once built. Haystack deep-copies every value passed
        # between components; copying each resource's JSON tree cost a third of ingest.
        return self


@dataclass(frozen=True)
class Reject:
    """A resource (or a whole file) that was not loaded, and why.

    ``code`` is one of :class:`clinimem.errors.RejectCode`; their meanings are in
    :data:`clinimem.errors.REJECT_CODES` (``unreadable``, ``fhir-version``, ``fhir-invalid``,
    ``out-of-scope``, ``duplicate``, ``implausible``, ``unknown-patient``, …).

    ``severity`` is ``error`` for a resource that was not loaded, ``warning`` for
    a remark on one that was (code ``normalised`` or ``implausible``): warnings are
    listed in the rejects report but not counted as rejected.

    ``counts``: for a reject that refuses a whole file or bundle (another FHIR version), the
    resources it held, ``(type, number)`` per type, so that the load report counts each of them
    as rejected under its type (seen = loaded + rejected per type, against the input). Empty
    for a reject of one resource (counted once, under ``resource_type``, or the file's row).
    """

    origin: Origin
    code: str
    reason: str
    resource_type: str | None = None
    resource_id: str | None = None
    path: str | None = None
    severity: str = "error"
    counts: tuple[tuple[str, int], ...] = ()

    @property
    def ref(self) -> str | None:
        if self.resource_type and self.resource_id:
            return f"{self.resource_type}/{self.resource_id}"
        return self.resource_type

    def error(self) -> ClinimemError:
        """The exception to raise for this reject where a caller cannot go on without the resource.

        Example::

            >>> reject = Reject(Origin("a.json"), "fhir-version", "a.json: this is FHIR STU3")
            >>> raise reject.error()
            Traceback (most recent call last):
            clinimem.errors.FhirVersionError: [fhir-version] a.json: this is FHIR STU3 (a.json)
        """
        cls = ERROR_OF_CODE.get(self.code, ClinimemError)
        # the exception's code is its class's; keep the reject's own where they differ
        message = self.reason if cls.code == self.code else f"{self.code}: {self.reason}"
        return cls(message, file=self.origin.source, resource=self.ref, path=self.path)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.origin.source,
            "line": self.origin.line,
            "entry": self.origin.entry,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "path": self.path,
            "code": self.code,
            "severity": self.severity,
            "reason": self.reason,
            **({"resources": dict(self.counts)} if self.counts else {}),
        }
