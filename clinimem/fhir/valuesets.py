"""Required value sets of the codes that decide answers, checked on every resource.

The R4B models check the *syntax* of a ``code`` (no whitespace runs), not its
binding, so ``MedicationRequest.status: "Active"`` validates and the executor
then never sees an ``active`` drug: "What is he currently taking?" answers
*Not in the record*. This module checks the elements whose codes the memory and
the executor read against their required R4 value sets:

- a code in the set passes;
- a code that differs from one member only in case, surrounding blanks or
  ``_``/space for ``-`` (``"Active"``, ``" final "``, ``"entered_in_error"``)
  is normalised in the resource and reported as a warning (code ``normalised``);
- any other code rejects the resource, naming the JSON path and the allowed codes.

Example::

    >>> fixed, problems = check_codes({"resourceType": "Immunization", "status": "Completed"})
    >>> fixed["status"], problems[0].severity
    ('completed', 'warning')
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"


@dataclass(frozen=True)
class Binding:
    """One element bound to a required value set.

    ``kind`` is ``code`` (a plain string), ``codes`` (a list of them), ``concept`` (a CodeableConcept whose
    codings of ``system``, or without a system, must hold a member) or ``coding``.
    ``strict`` False: only case is normalised, other codes pass (extensible bindings).
    """

    element: str
    value_set: str
    codes: frozenset[str]
    kind: str = "code"
    system: str | None = None
    strict: bool = True
    upper: bool = False  # the set's codes are upper case (v3 ActCode)


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VS = "http://hl7.org/fhir/ValueSet/"

BINDINGS: dict[str, tuple[Binding, ...]] = {
    "MedicationRequest": (
        Binding(
            "status",
            _VS + "medicationrequest-status",
            _codes("active on-hold cancelled completed entered-in-error stopped draft unknown"),
        ),
        Binding(
            "intent",
            _VS + "medicationrequest-intent",
            _codes("proposal plan order original-order reflex-order filler-order instance-order option"),
        ),
    ),
    "MedicationStatement": (
        Binding(
            "status",
            _VS + "medication-statement-status",
            _codes("active completed entered-in-error intended stopped on-hold unknown not-taken"),
        ),
    ),
    "MedicationAdministration": (
        Binding(
            "status",
            _VS + "medication-admin-status",
            _codes("in-progress not-done on-hold completed entered-in-error stopped unknown"),
        ),
    ),
    "Condition": (
        Binding(
            "clinicalStatus",
            _VS + "condition-clinical",
            _codes("active recurrence relapse inactive remission resolved"),
            kind="concept",
            system=TERMINOLOGY + "condition-clinical",
        ),
        Binding(
            "verificationStatus",
            _VS + "condition-ver-status",
            _codes("unconfirmed provisional differential confirmed refuted entered-in-error"),
            kind="concept",
            system=TERMINOLOGY + "condition-ver-status",
        ),
    ),
    "AllergyIntolerance": (
        Binding(
            "clinicalStatus",
            _VS + "allergyintolerance-clinical",
            _codes("active inactive resolved"),
            kind="concept",
            system=TERMINOLOGY + "allergyintolerance-clinical",
        ),
        Binding(
            "verificationStatus",
            _VS + "allergyintolerance-verification",
            _codes("unconfirmed confirmed refuted entered-in-error"),
            kind="concept",
            system=TERMINOLOGY + "allergyintolerance-verification",
        ),
        Binding("type", _VS + "allergy-intolerance-type", _codes("allergy intolerance")),
        Binding(
            "category",
            _VS + "allergy-intolerance-category",
            _codes("food medication environment biologic"),
            kind="codes",
        ),
        Binding("criticality", _VS + "allergy-intolerance-criticality", _codes("low high unable-to-assess")),
    ),
    "Immunization": (
        Binding("status", _VS + "immunization-status", _codes("completed entered-in-error not-done")),
    ),
    "Observation": (
        Binding(
            "status",
            _VS + "observation-status",
            _codes("registered preliminary final amended corrected cancelled entered-in-error unknown"),
        ),
    ),
    "DiagnosticReport": (
        Binding(
            "status",
            _VS + "diagnostic-report-status",
            _codes(
                "registered partial preliminary final amended corrected appended cancelled "
                "entered-in-error unknown"
            ),
        ),
    ),
    "Encounter": (
        Binding(
            "status",
            _VS + "encounter-status",
            _codes("planned arrived triaged in-progress onleave finished cancelled entered-in-error unknown"),
        ),
        # Extensible binding: other codes pass, only the case of a known v3 code is fixed.
        Binding(
            "class",
            _VS + "v3-ActEncounterCode",
            _codes("AMB EMER FLD HH IMP ACUTE NONAC OBSENC PRENC SS VR"),
            kind="coding",
            system="http://terminology.hl7.org/CodeSystem/v3-ActCode",
            strict=False,
            upper=True,
        ),
    ),
    "Procedure": (
        Binding(
            "status",
            _VS + "event-status",
            _codes("preparation in-progress not-done on-hold stopped completed entered-in-error unknown"),
        ),
    ),
    "CarePlan": (
        Binding(
            "status",
            _VS + "request-status",
            _codes("draft active on-hold revoked completed entered-in-error unknown"),
        ),
        Binding("intent", _VS + "care-plan-intent", _codes("proposal plan order option")),
    ),
    "Goal": (
        Binding(
            "lifecycleStatus",
            _VS + "goal-status",
            _codes("proposed planned accepted active on-hold completed cancelled entered-in-error rejected"),
        ),
    ),
    "DocumentReference": (
        Binding("status", _VS + "document-reference-status", _codes("current superseded entered-in-error")),
        Binding(
            "docStatus", _VS + "composition-status", _codes("preliminary final amended entered-in-error")
        ),
    ),
    "Device": (Binding("status", _VS + "device-status", _codes("active inactive entered-in-error unknown")),),
    "ImagingStudy": (
        Binding(
            "status",
            _VS + "imagingstudy-status",
            _codes("registered available cancelled entered-in-error unknown"),
        ),
    ),
    "Patient": (Binding("gender", _VS + "administrative-gender", _codes("male female other unknown")),),
}


@dataclass(frozen=True)
class CodeProblem:
    """A code outside its value set: ``severity`` ``warning`` (normalised) or ``error`` (rejected)."""

    severity: str
    path: str  # relative to the resource: "status", "clinicalStatus.coding[0].code"
    message: str


def _fold(code: str, upper: bool) -> str:
    text = " ".join(code.split()).replace("_", "-").replace(" ", "-")
    return text.upper() if upper else text.lower()


def _allowed(binding: Binding) -> str:
    return ", ".join(sorted(binding.codes))


def _check_code(code: Any, binding: Binding, path: str, problems: list[CodeProblem]) -> str | None:
    """The normalised code when it needs fixing, else None; problems appended."""
    if not isinstance(code, str):
        return None  # the model check reports a wrong type
    if code in binding.codes:
        return None
    folded = _fold(code, binding.upper)
    if folded in binding.codes:
        problems.append(
            CodeProblem(
                "warning",
                path,
                f"code {code!r} normalised to {folded!r} (required value set {binding.value_set})",
            )
        )
        return folded
    if binding.strict:
        problems.append(
            CodeProblem(
                "error",
                path,
                f"code {code!r} is not in the required value set {binding.value_set} "
                f"(allowed: {_allowed(binding)})",
            )
        )
    return None


def _check_coding(
    coding: Any, binding: Binding, path: str, problems: list[CodeProblem]
) -> dict[str, Any] | None:
    if not isinstance(coding, dict):
        return None
    system = coding.get("system")
    if system is not None and binding.system is not None and system != binding.system:
        return None  # another code system: not judged against this set
    fixed = _check_code(coding.get("code"), binding, f"{path}.code", problems)
    return {**coding, "code": fixed} if fixed is not None else None


def check_codes(data: dict[str, Any]) -> tuple[dict[str, Any], list[CodeProblem]]:
    """``data`` with case-normalised codes (a copy if anything changed) and the problems found.

    Any ``error`` problem means the resource must be rejected.
    """
    bindings = BINDINGS.get(str(data.get("resourceType")))
    if not bindings:
        return data, []
    problems: list[CodeProblem] = []
    fixes: dict[str, Any] = {}
    for binding in bindings:
        value = data.get(binding.element)
        if value is None:
            continue
        name = binding.element
        if binding.kind == "code":
            fixed = _check_code(value, binding, name, problems)
            if fixed is not None:
                fixes[name] = fixed
        elif binding.kind == "codes":
            if isinstance(value, list):
                fixed_list = [
                    _check_code(code, binding, f"{name}[{i}]", problems) for i, code in enumerate(value)
                ]
                if any(f is not None for f in fixed_list):
                    fixes[name] = [
                        f if f is not None else code for f, code in zip(fixed_list, value, strict=True)
                    ]
        elif binding.kind == "coding":
            fixed_coding = _check_coding(value, binding, name, problems)
            if fixed_coding is not None:
                fixes[name] = fixed_coding
        elif isinstance(value, dict):
            codings = value.get("coding")
            if not isinstance(codings, list) or not codings:
                continue  # text only: nothing coded to judge
            before = len([p for p in problems if p.severity == "error"])
            new_codings = list(codings)
            changed = False
            for i, coding in enumerate(codings):
                fixed_coding = _check_coding(coding, binding, f"{name}.coding[{i}]", problems)
                if fixed_coding is not None:
                    new_codings[i] = fixed_coding
                    changed = True
            judged = [
                c for c in new_codings if isinstance(c, dict) and (c.get("system") in (None, binding.system))
            ]
            if (
                binding.strict
                and not judged
                and len([p for p in problems if p.severity == "error"]) == before
            ):
                problems.append(
                    CodeProblem(
                        "error",
                        f"{name}.coding",
                        f"no coding from {binding.system} (required value set {binding.value_set}; "
                        f"allowed: {_allowed(binding)})",
                    )
                )
            elif judged and new_codings[0] is not judged[0]:
                # The memory reads the first coding: put the one from the required set first.
                new_codings.remove(judged[0])
                new_codings.insert(0, judged[0])
                changed = True
                problems.append(
                    CodeProblem(
                        "warning",
                        f"{name}.coding",
                        f"the coding from {binding.system} moved first (the memory reads the first coding)",
                    )
                )
            if changed:
                fixes[name] = {**value, "coding": new_codings}
    if fixes and not any(p.severity == "error" for p in problems):
        data = {**data, **copy.deepcopy(fixes)}
    return data, problems
