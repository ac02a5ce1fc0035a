"""One error hierarchy for clinimem, with stable codes, and the catalogue of a load's reject codes.

Every error says where (file, ``ResourceType/id``, JSON path) and what to do.
Backend errors (qdrant-client raises different types in local and server mode)
are translated into these at the boundary.

A load never raises for one bad resource: it reports a :class:`~clinimem.fhir.resource.Reject`
with a code from :class:`RejectCode`. Those codes live here, once, with their meaning
(:data:`REJECT_CODES`), as spaCy keeps every message in its ``errors.py``: connectors, validation,
mapping and the ingest command take them from here, so that reports and rejects files cannot
drift apart. A caller that must stop on a reject raises the exception :data:`ERROR_OF_CODE` names
(``Reject.error()``).
"""

from __future__ import annotations

from typing import Final


class RejectCode:
    """The codes of a load's rejects and warnings: stable strings, written as they are into the load
    report, the rejects file (``--rejects``) and ``clinimem ingest``'s output. Meanings: :data:`REJECT_CODES`."""

    UNREADABLE: Final = "unreadable"
    EMPTY: Final = "empty"
    FHIR_VERSION: Final = "fhir-version"
    UNKNOWN_TYPE: Final = "unknown-type"
    FHIR_INVALID: Final = "fhir-invalid"
    NO_PATIENT: Final = "no-patient"
    OUT_OF_SCOPE: Final = "out-of-scope"
    DUPLICATE: Final = "duplicate"
    IMPLAUSIBLE: Final = "implausible"
    UNKNOWN_PATIENT: Final = "unknown-patient"
    NORMALISED: Final = "normalised"
    ID_ASSIGNED: Final = "id-assigned"


# Each code's meaning. Severity: a Reject is an ``error`` (not loaded, counted as rejected) or a
# ``warning`` (a remark on a loaded resource); the last column says which each code can be.
REJECT_CODES: Final[dict[str, str]] = {
    RejectCode.UNREADABLE: "a file or line could not be read or parsed (not JSON, cut short, an export "
    "error, a reader that stopped); error",
    RejectCode.EMPTY: "a file or bundle that holds no resource (an empty Bundle counts as one Bundle); error",
    RejectCode.FHIR_VERSION: "not FHIR R4/R4B (STU3, DSTU2, R5), or part of an export or FHIR package "
    "that is not (a whole file refused counts every resource it held); error",
    RejectCode.UNKNOWN_TYPE: "a resourceType that FHIR R4/R4B does not define; error",
    RejectCode.FHIR_INVALID: "failed validation against the R4B model or its required value sets; error",
    RejectCode.NO_PATIENT: "a clinical resource not tied to a patient; error",
    RejectCode.OUT_OF_SCOPE: "a valid resource that is not a clinical fact (e.g. Claim), or a bundle "
    "entry that is not a resource to load (a request, a search outcome); error",
    RejectCode.DUPLICATE: "a second copy of a resource in one load (the other copy is loaded); error",
    RejectCode.IMPLAUSIBLE: "valid FHIR whose content cannot be right (a height in kg, a date in the "
    "future or before birth); error, or warning when the resource is still loaded",
    RejectCode.UNKNOWN_PATIENT: "quarantined: its patient is neither in the load nor in the memory; error",
    RejectCode.NORMALISED: "a code that was normalised to its value set's spelling (loaded); warning",
    RejectCode.ID_ASSIGNED: "a resource without id was given a deterministic one from its file, place and "
    "content (loaded); warning",
}


class ClinimemError(Exception):
    """Base class. ``code`` is stable and safe to match on."""

    code = "clinimem"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        resource: str | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.resource = resource
        self.path = path
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.file,
                self.resource,
                f"at {self.path}" if self.path else None,
            )
            if part
        )
        text = f"[{self.code}] {self.message}"
        if where:
            text = f"{text} ({where})"
        if self.hint:
            text = f"{text}. {self.hint}"
        return text


class FhirVersionError(ClinimemError):
    code = RejectCode.FHIR_VERSION


class FhirValidationError(ClinimemError):
    code = RejectCode.FHIR_INVALID


class SourceError(ClinimemError):
    """A source (file, server) could not be read at all."""

    code = "source"


class StoreError(ClinimemError):
    code = "store"


class StoreLockedError(StoreError):
    code = "store-locked"


class UnknownPatientError(ClinimemError):
    code = RejectCode.UNKNOWN_PATIENT


class QuestionError(ClinimemError):
    code = "question"


# The exception a caller raises for a reject it cannot go past (an interactive call fails fast;
# a batch load reports instead). Codes not named here are a ClinimemError.
ERROR_OF_CODE: Final[dict[str, type[ClinimemError]]] = {
    RejectCode.UNREADABLE: SourceError,
    RejectCode.EMPTY: SourceError,
    RejectCode.FHIR_VERSION: FhirVersionError,
    RejectCode.UNKNOWN_TYPE: FhirValidationError,
    RejectCode.FHIR_INVALID: FhirValidationError,
    RejectCode.IMPLAUSIBLE: FhirValidationError,
    RejectCode.UNKNOWN_PATIENT: UnknownPatientError,
}
