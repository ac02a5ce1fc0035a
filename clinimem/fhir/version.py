"""The one place where the FHIR version of incoming data is decided.

clinimem reads FHIR R4 (4.0.1) and R4B (4.3): both are parsed with the
``fhir.resources.R4B`` models. Exports in other versions parse badly or, worse,
half-parse (an STU3 ``Condition.clinicalStatus`` string is not an R4
CodeableConcept), so they are recognised here by structural markers and refused
with a message that says what to do.

Example::

    >>> detect_version({"resourceType": "MedicationOrder", "id": "1"})
    'DSTU2'
    >>> detect_version({"resourceType": "Encounter", "class": [{"text": "amb"}]})
    'R5'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clinimem.errors import RejectCode
from clinimem.fhir.resource import Origin, Reject

R4 = "R4"
STU3 = "STU3"
DSTU2 = "DSTU2"
R5 = "R5"

SUPPORTED = frozenset({R4})

# The numbered release each label stands for, for messages.
RELEASE = {DSTU2: "1.0", STU3: "3.0", R4: "4.0/4.3", R5: "5.0"}

# The FHIR version that the fhir.resources models in use implement.
MODELS_PACKAGE = "fhir.resources.R4B"

# Resource types that exist only in one older or newer release.
_TYPE_ONLY_IN = {
    "MedicationOrder": DSTU2,
    "DeviceUseRequest": DSTU2,
    "DiagnosticOrder": DSTU2,
    "ProcedureRequest": STU3,
    "ReferralRequest": STU3,
    "DeviceComponent": STU3,
    "ProcessRequest": STU3,
    "ProcessResponse": STU3,
    "EligibilityRequest": STU3,
    "EligibilityResponse": STU3,
    "Transport": R5,
    "ActorDefinition": R5,
    "InventoryItem": R5,
    "Requirements": R5,
    "FormularyItem": R5,
    "DeviceDispense": R5,
    "DeviceUsage": R5,
    "NutritionIntake": R5,
    "ArtifactAssessment": R5,
}

# Valid FHIR R4 (4.0.1) resource types that R4B dropped (product and substance
# definitions, evidence syntheses): the R4B models cannot read them, but they are
# not errors in an R4 export.
R4_ONLY_TYPES = frozenset(
    {
        "EffectEvidenceSynthesis",
        "MedicinalProduct",
        "MedicinalProductAuthorization",
        "MedicinalProductContraindication",
        "MedicinalProductIndication",
        "MedicinalProductIngredient",
        "MedicinalProductInteraction",
        "MedicinalProductManufactured",
        "MedicinalProductPackaged",
        "MedicinalProductPharmaceutical",
        "MedicinalProductUndesirableEffect",
        "RiskEvidenceSynthesis",
        "SubstanceNucleicAcid",
        "SubstancePolymer",
        "SubstanceProtein",
        "SubstanceReferenceInformation",
        "SubstanceSourceMaterial",
        "SubstanceSpecification",
    }
)

# Precedence when a bundle shows several old versions: DSTU2 resources share
# some STU3 shapes (e.g. clinicalStatus as a plain string), never the reverse.
_PRECEDENCE = (DSTU2, STU3, R5)


@dataclass(frozen=True)
class VersionEvidence:
    """Why a version was chosen: the version, the marker seen and where."""

    version: str
    marker: str
    resource: str | None = None  # "Encounter/abc"
    entry: int | None = None  # index in Bundle.entry


_elements: dict[tuple[str, str], frozenset[str] | None] = {}


def _elements_of(package: str, resource_type: str) -> frozenset[str] | None:
    """Top-level element names of ``resource_type`` in a fhir.resources package (cached), or None."""
    key = (package, resource_type)
    if key not in _elements:
        names: frozenset[str] | None = None
        try:
            import importlib

            module = importlib.import_module(package)
            cls = module.get_fhir_model_class(resource_type)
            found: set[str] = set()
            for name, info in cls.model_fields.items():
                found.add(info.alias or name)
                found.add(name)
            names = frozenset(found)
        except Exception:  # no such type in that version (or no such package)
            names = None
        _elements[key] = names
    return _elements[key]


def type_version(resource_type: str) -> str | None:
    """The version a resource type unknown to R4 belongs to (STU3, DSTU2, R5), or None."""
    only = _TYPE_ONLY_IN.get(resource_type)
    if only:
        return only
    if resource_type in R4_ONLY_TYPES or _elements_of(MODELS_PACKAGE, resource_type) is not None:
        return None
    if _elements_of("fhir.resources", resource_type) is not None:
        return R5
    if _elements_of("fhir.resources.STU3", resource_type) is not None:
        return STU3
    return None


def other_version_of_element(resource_type: str, element: str) -> str | None:
    """The version (R5 or STU3) in which ``element`` of ``resource_type`` exists while R4 lacks it.

    None when R4 has it, when no other version has it, or when both R5 and STU3
    have it (then the element does not tell the version).
    """
    r4 = _elements_of(MODELS_PACKAGE, resource_type)
    if r4 is None or element in r4 or element.startswith("_"):
        return None
    in_r5 = element in (_elements_of("fhir.resources", resource_type) or ())
    in_stu3 = element in (_elements_of("fhir.resources.STU3", resource_type) or ())
    if in_r5 and not in_stu3:
        return R5
    if in_stu3 and not in_r5:
        return STU3
    return None


def version_of_release(text: str) -> str | None:
    """The version label of a release number: ``"3.0.2"`` -> ``"STU3"``, ``"4.3.0"`` -> ``"R4"``, else None.

    >>> version_of_release("5.0.0"), version_of_release("4.0.1")
    ('R5', 'R4')
    """
    return _from_release(text.strip())


def _from_release(text: str) -> str | None:
    """Map a release number ("3.0.2", "4.0.1", "5.0.0") to a version label."""
    if text.startswith("1.0") or text.startswith("0."):
        return DSTU2
    if text.startswith("3."):
        return STU3
    if text.startswith("4."):
        return R4
    if text.startswith("5."):
        return R5
    return None


def _profile_hint(meta: Any) -> tuple[str, str] | None:
    """A version named in ``meta.profile`` URLs (``…/fhir/STU3/…``), if any."""
    if not isinstance(meta, dict):
        return None
    profiles = meta.get("profile")
    if not isinstance(profiles, list):
        return None
    for url in profiles:
        if not isinstance(url, str):
            continue
        for needle, version in (
            ("/fhir/DSTU2/", DSTU2),
            ("/fhir/STU3/", STU3),
            ("/fhir/R4/", R4),
            ("/fhir/R4B/", R4),
            ("/fhir/R5/", R5),
        ):
            if needle in url:
                return version, f"meta.profile {url}"
    return None


def _resource_marker(res: dict[str, Any]) -> tuple[str, str] | None:
    """(version, marker) from the shape of one resource, or None when it does not tell.

    Only shapes that belong to exactly one version are used, so that an R4
    resource never looks old: e.g. ``Encounter.class`` is a Coding in STU3 and
    R4 alike, so only its string (DSTU2) and list (R5) forms decide.
    """
    rtype = res.get("resourceType")
    if not isinstance(rtype, str):
        return None
    only = _TYPE_ONLY_IN.get(rtype)
    if only:
        return only, f"resource type {rtype}"
    release = res.get("fhirVersion")
    if isinstance(release, str) and rtype != "StructureDefinition":
        version = _from_release(release)
        if version:
            return version, f"fhirVersion {release}"
    hint = _profile_hint(res.get("meta"))
    if hint:
        return hint

    if rtype == "Encounter":
        klass = res.get("class")
        if isinstance(klass, str):
            return DSTU2, "Encounter.class is a string"
        if isinstance(klass, list):
            return R5, "Encounter.class is a list"
        if "patient" in res and "subject" not in res:
            return DSTU2, "Encounter.patient instead of Encounter.subject"
        if "actualPeriod" in res:
            return R5, "Encounter.actualPeriod"
        if isinstance(klass, dict):
            return R4, "Encounter.class is a Coding"
    elif rtype == "Condition":
        if "patient" in res and "subject" not in res:
            return DSTU2, "Condition.patient instead of Condition.subject"
        status = res.get("clinicalStatus")
        if isinstance(status, str):
            return STU3, "Condition.clinicalStatus is a plain string"
        if "context" in res:
            return STU3, "Condition.context"
        if "assertedDate" in res:
            return STU3, "Condition.assertedDate"
    elif rtype == "AllergyIntolerance":
        status = res.get("clinicalStatus")
        if isinstance(status, str):
            return STU3, "AllergyIntolerance.clinicalStatus is a plain string"
        if "status" in res and "clinicalStatus" not in res:
            return DSTU2, "AllergyIntolerance.status"
    elif rtype == "Observation":
        if isinstance(res.get("category"), dict):
            return DSTU2, "Observation.category is an object, not a list"
        if "context" in res:
            return STU3, "Observation.context"
    elif rtype == "Immunization":
        if "wasNotGiven" in res:
            return DSTU2, "Immunization.wasNotGiven"
        if "notGiven" in res:
            return STU3, "Immunization.notGiven"
        if "date" in res and "occurrenceDateTime" not in res:
            return STU3, "Immunization.date instead of occurrenceDateTime"
    elif rtype == "MedicationRequest":
        if isinstance(res.get("medication"), dict):
            return R5, "MedicationRequest.medication is a CodeableReference"
        if "context" in res:
            return STU3, "MedicationRequest.context"
    elif rtype in ("Procedure", "DiagnosticReport", "CarePlan"):  # R4 MedicationStatement keeps context
        if "context" in res:
            return STU3, f"{rtype}.context"
    elif rtype == "Patient" and "animal" in res:
        return STU3, "Patient.animal"
    contained = res.get("contained")
    if isinstance(contained, list):
        for i, item in enumerate(contained):
            if isinstance(item, dict) and isinstance(item.get("resourceType"), str):
                only = _TYPE_ONLY_IN.get(item["resourceType"])
                if only:
                    return only, f"contained[{i}] is a {item['resourceType']}"
    # Generic: a top-level element R4 lacks and exactly one other version has.
    for key in res:
        if key.startswith("_") or key in ("resourceType", "fhir_comments"):
            continue
        other = other_version_of_element(rtype, key)
        if other:
            return other, f"{rtype}.{key} (a FHIR {other} element)"
    return None


def _resources(obj: dict[str, Any]) -> Iterable[tuple[int | None, dict[str, Any]]]:
    if obj.get("resourceType") == "Bundle":
        entries = obj.get("entry")
        if isinstance(entries, list):
            for i, entry in enumerate(entries):
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    yield i, entry["resource"]
    else:
        yield None, obj


def version_evidence(obj: dict[str, Any]) -> VersionEvidence | None:
    """The version shown by a resource or a bundle, with the marker that showed it.

    In a bundle every resource votes; any old-version vote (DSTU2, then STU3) or an
    R5 vote wins over R4 votes, because old and new shapes never appear in a valid
    R4 resource while most R4 shapes are shared with other versions.
    """
    found: dict[str, VersionEvidence] = {}
    if obj.get("resourceType") == "Bundle":
        hint = _profile_hint(obj.get("meta"))
        if hint:
            found.setdefault(hint[0], VersionEvidence(hint[0], hint[1], "Bundle"))
    for entry, res in _resources(obj):
        marker = _resource_marker(res)
        if marker is None:
            continue
        version, why = marker
        if version in found:
            continue
        rtype, rid = res.get("resourceType"), res.get("id")
        ref = f"{rtype}/{rid}" if isinstance(rid, str) else str(rtype)
        found[version] = VersionEvidence(version, why, ref, entry)
        if version == DSTU2:
            break  # nothing outranks it
    for version in _PRECEDENCE:
        if version in found:
            return found[version]
    return found.get(R4)


def detect_version(obj: dict[str, Any]) -> str | None:
    """FHIR version of a resource or bundle: "R4" (also R4B), "STU3", "DSTU2", "R5", or None.

    None means no marker was seen (most small resources look the same in every
    version); callers treat None as R4.
    """
    evidence = version_evidence(obj)
    return evidence.version if evidence else None


def version_reject(obj: dict[str, Any], origin: Origin) -> Reject | None:
    """A ``fhir-version`` Reject when ``obj`` (resource or bundle) is not R4/R4B, else None.

    A bundle gets ONE reject for the whole of it: half of an STU3 bundle would
    load as wrong R4 data, which is worse than none.
    """
    evidence = version_evidence(obj)
    if evidence is None or evidence.version in SUPPORTED:
        return None
    where = evidence.resource or "the resource"
    if evidence.entry is not None:
        where = f"{where} at $.entry[{evidence.entry}]"
    reason = (
        f"{origin}: this is FHIR {evidence.version} ({RELEASE[evidence.version]}), seen from {evidence.marker} "
        f"in {where}; clinimem reads R4/R4B only. Convert the export to R4 "
        "(e.g. re-export from the source system as R4, or run it through a FHIR version converter "
        "such as the HL7 FHIR validator's -version 4.0 transform) and load it again."
    )
    rtype = obj.get("resourceType") if isinstance(obj.get("resourceType"), str) else None
    rid = obj.get("id") if isinstance(obj.get("id"), str) else None
    return Reject(
        origin=origin,
        code=RejectCode.FHIR_VERSION,
        reason=reason,
        resource_type=rtype,
        resource_id=rid,
        path=origin.json_path,
    )
