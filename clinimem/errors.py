"""One error hierarchy for clinimem, with stable codes.

Every error says where (file, ``ResourceType/id``, JSON path) and what to do.
Backend errors (qdrant-client raises different types in local and server mode)
are translated into these at the boundary.
"""

from __future__ import annotations


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
    code = "fhir-version"


class FhirValidationError(ClinimemError):
    code = "fhir-invalid"


class SourceError(ClinimemError):
    """A source (file, server) could not be read at all."""

    code = "source"


class StoreError(ClinimemError):
    code = "store"


class StoreLockedError(StoreError):
    code = "store-locked"


class UnknownPatientError(ClinimemError):
    code = "unknown-patient"


class QuestionError(ClinimemError):
    code = "question"
