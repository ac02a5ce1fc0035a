"""FHIR resource -> memory entries, one module per resource family.

:func:`map_resource` is the single entry point. It returns a
:class:`MappedResource` (the entries of one resource, or its removal when it is
``entered-in-error``) or a :class:`~clinimem.fhir.resource.Reject` when the
resource is valid FHIR but not a clinical fact of a patient.
"""

from __future__ import annotations

from collections.abc import Callable

from clinimem.errors import RejectCode
from clinimem.fhir.resource import Reject, SourcedResource
from clinimem.memory.entry import MemoryEntry
from clinimem.memory.mappers.common import MappedResource, mapped, patient_of
from clinimem.memory.mappers.conditions import map_allergy, map_condition
from clinimem.memory.mappers.documents import map_document_reference, narrative_entries
from clinimem.memory.mappers.encounters import map_encounter
from clinimem.memory.mappers.medications import map_medication_request, map_medication_statement
from clinimem.memory.mappers.observations import map_diagnostic_report, map_observation
from clinimem.memory.mappers.patients import map_patient
from clinimem.memory.mappers.procedures import (
    map_careplan,
    map_device,
    map_goal,
    map_imaging_study,
    map_immunization,
    map_procedure,
)

Mapper = Callable[[SourcedResource, str], list[MemoryEntry]]

MAPPERS: dict[str, Mapper] = {
    "Patient": map_patient,
    "Encounter": map_encounter,
    "Condition": map_condition,
    "AllergyIntolerance": map_allergy,
    "Observation": map_observation,
    "DiagnosticReport": map_diagnostic_report,
    "MedicationRequest": map_medication_request,
    "MedicationStatement": map_medication_statement,
    "MedicationAdministration": map_medication_statement,
    "Procedure": map_procedure,
    "Immunization": map_immunization,
    "CarePlan": map_careplan,
    "Goal": map_goal,
    "ImagingStudy": map_imaging_study,
    "Device": map_device,
    "DocumentReference": map_document_reference,
}

# Valid resources that are not clinical facts about a patient. They are
# reported as rejected with code "out-of-scope" so the totals still add up.
OUT_OF_SCOPE: dict[str, str] = {
    "Claim": "billing",
    "ExplanationOfBenefit": "billing",
    "Coverage": "billing",
    "Organization": "directory",
    "Practitioner": "directory",
    "PractitionerRole": "directory",
    "Location": "directory",
    "Provenance": "audit",
    "Medication": "catalogue (drug names are read from the requests that use them)",
    "OperationOutcome": "server message",
}


def map_resource(resource: SourcedResource) -> MappedResource | Reject:
    """Map one validated resource to its memory entries."""
    mapper = MAPPERS.get(resource.resource_type)
    if mapper is None:
        why = OUT_OF_SCOPE.get(resource.resource_type, "no mapping to a clinical fact yet")
        return Reject(
            origin=resource.origin,
            code=RejectCode.OUT_OF_SCOPE,
            reason=(
                f"{resource.ref} in {resource.origin}: {resource.resource_type} is not stored in memory "
                f"({why}); nothing to do, the clinical resources of the file still load"
            ),
            resource_type=resource.resource_type,
            resource_id=resource.id,
            path=resource.origin.json_path,
        )
    patient_id = patient_of(resource)
    if patient_id is None:
        return Reject(
            origin=resource.origin,
            code=RejectCode.NO_PATIENT,
            reason=(
                f"{resource.ref} in {resource.origin} names no patient (subject/patient is missing or not a "
                "Patient reference); add the patient reference or load it with its Patient"
            ),
            resource_type=resource.resource_type,
            resource_id=resource.id,
            path=f"{resource.origin.json_path}.subject",
        )
    entries = list(mapper(resource, patient_id))
    # A narrative a person wrote (not generated boilerplate) is read like a note.
    entries += narrative_entries(resource, patient_id, entries)
    return mapped(resource, patient_id, entries)


__all__ = ["MAPPERS", "OUT_OF_SCOPE", "MappedResource", "map_resource"]
