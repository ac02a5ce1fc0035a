"""Plausibility of one valid resource: content that FHIR allows but that cannot be right.

Each finding is a :class:`~clinimem.fhir.valuesets.CodeProblem` (severity, path
relative to the resource, message). The policy, chosen so that bad input never
becomes a wrong answer:

========================================  ========  ==============================================
finding                                   severity  why
========================================  ========  ==============================================
unit of another dimension than the LOINC  error     "his height" would answer "80 kg"
code measures (height in kg)
clinical time in the future (> 1 day)     error     a 2099 value would be "the most recent"
period that ends before it starts         warning   the start (what answers read) may be right
markup (``<script>``, ``<b>``) in a name  warning   kept as text; shown escaped
or a displayed text
========================================  ========  ==============================================

Planned things (an Encounter ``planned``, a CarePlan, a Goal) may lie in the future.

Example::

    >>> obs = {"resourceType": "Observation", "code": {"coding": [
    ...     {"system": "http://loinc.org", "code": "8302-2"}]}, "valueQuantity": {"value": 80, "unit": "kg"}}
    >>> [p.severity for p in check_plausibility(obs)]
    ['error']
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clinimem.fhir.valuesets import CodeProblem

LOINC = "http://loinc.org"

# UCUM codes (and the usual free-text spellings of them) -> the dimension they measure.
UNIT_DIMENSION: dict[str, str] = {
    **dict.fromkeys(("cm", "m", "mm", "[in_i]", "in", "inch", "inches", "[ft_i]", "ft"), "length"),
    **dict.fromkeys(("kg", "g", "[lb_av]", "lb", "lbs", "[oz_av]", "oz"), "mass"),
    **dict.fromkeys(("Cel", "[degF]", "°C", "°F", "degC", "degF"), "temperature"),
    **dict.fromkeys(
        ("/min", "{beats}/min", "{breaths}/min", "beats/min", "breaths/min", "bpm", "{beat}/min", "min-1"),
        "rate",
    ),
    **dict.fromkeys(("mm[Hg]", "mmHg", "mm Hg"), "pressure"),
    **dict.fromkeys(("%",), "fraction"),
    **dict.fromkeys(("kg/m2", "kg/m^2", "kg/m²"), "mass/area"),
    **dict.fromkeys(("mg/dL", "g/dL", "mg/L", "g/L", "ug/dL", "ng/mL", "mg/dl"), "mass concentration"),
    **dict.fromkeys(("mmol/L", "umol/L", "µmol/L", "mmol/l", "umol/l"), "substance concentration"),
    **dict.fromkeys(("mmol/mol",), "substance fraction"),
}

_CONC = frozenset({"mass concentration", "substance concentration"})

# LOINC code -> (what it is, the dimensions its value may have): common vitals and labs.
LOINC_DIMENSIONS: dict[str, tuple[str, frozenset[str]]] = {
    "8302-2": ("body height", frozenset({"length"})),
    "8306-3": ("body height (lying)", frozenset({"length"})),
    "8287-5": ("head circumference", frozenset({"length"})),
    "9843-4": ("head circumference", frozenset({"length"})),
    "29463-7": ("body weight", frozenset({"mass"})),
    "3141-9": ("body weight (measured)", frozenset({"mass"})),
    "39156-5": ("body mass index", frozenset({"mass/area"})),
    "8867-4": ("heart rate", frozenset({"rate"})),
    "9279-1": ("respiratory rate", frozenset({"rate"})),
    "8310-5": ("body temperature", frozenset({"temperature"})),
    "8331-1": ("oral temperature", frozenset({"temperature"})),
    "8480-6": ("systolic blood pressure", frozenset({"pressure"})),
    "8462-4": ("diastolic blood pressure", frozenset({"pressure"})),
    "2708-6": ("oxygen saturation", frozenset({"fraction"})),
    "59408-5": ("oxygen saturation (pulse oximetry)", frozenset({"fraction"})),
    "4548-4": ("HbA1c", frozenset({"fraction", "substance fraction"})),
    "2339-0": ("glucose", _CONC),
    "2345-7": ("glucose", _CONC),
    "2093-3": ("total cholesterol", _CONC),
    "2571-8": ("triglycerides", _CONC),
    "18262-6": ("LDL cholesterol", _CONC),
    "2085-9": ("HDL cholesterol", _CONC),
    "2160-0": ("creatinine", _CONC),
}

# Top-level elements holding the time a clinical thing happened or was recorded.
EVENT_TIMES = (
    "effectiveDateTime",
    "effectiveInstant",
    "effectivePeriod",
    "issued",
    "onsetDateTime",
    "onsetPeriod",
    "abatementDateTime",
    "recordedDate",
    "recorded",
    "authoredOn",
    "performedDateTime",
    "performedPeriod",
    "occurrenceDateTime",
    "birthDate",
    "deceasedDateTime",
    "date",
    "started",
)
PERIODS = ("effectivePeriod", "onsetPeriod", "performedPeriod", "period", "abatementPeriod")
# Resource types (or statuses) whose times may lie ahead.
FUTURE_OK_TYPES = frozenset({"CarePlan", "Goal", "ServiceRequest", "Appointment", "Task"})
FUTURE_OK_STATUS = frozenset(
    {"planned", "draft", "proposed", "preparation", "arrived", "triaged", "intended"}
)
FUTURE_SLACK = timedelta(days=1)  # time zones and clocks

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|javascript:|on[a-z]+\s*=", re.IGNORECASE)


def _unit_of(quantity: Any) -> str | None:
    if not isinstance(quantity, dict):
        return None
    for key in ("code", "unit"):
        unit = quantity.get(key)
        if isinstance(unit, str) and unit.strip() in UNIT_DIMENSION:
            return unit.strip()
    return None


def _loinc_codes(concept: Any) -> list[str]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return []
    return [
        c["code"]
        for c in codings
        if isinstance(c, dict) and c.get("system") == LOINC and isinstance(c.get("code"), str)
    ]


def _check_unit(concept: Any, quantity: Any, path: str, problems: list[CodeProblem]) -> None:
    unit = _unit_of(quantity)
    if unit is None:
        return  # no unit, or one not in the table: not judged
    for code in _loinc_codes(concept):
        known = LOINC_DIMENSIONS.get(code)
        if known is None:
            continue
        name, dimensions = known
        dimension = UNIT_DIMENSION[unit]
        if dimension not in dimensions:
            problems.append(
                CodeProblem(
                    "error",
                    f"{path}.unit" if isinstance(quantity, dict) and "unit" in quantity else f"{path}.code",
                    f"unit {unit!r} measures {dimension}, but LOINC {code} ({name}) is measured as "
                    f"{' or '.join(sorted(dimensions))}",
                )
            )
        return


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or len(text) < 4:
        return None
    try:
        if len(text) == 4:
            return datetime(int(text), 1, 1, tzinfo=UTC)
        if len(text) == 7:
            return datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _times(data: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key in EVENT_TIMES:
        value = data.get(key)
        if isinstance(value, str):
            found.append((key, value))
        elif isinstance(value, dict) and isinstance(value.get("start"), str):
            found.append((f"{key}.start", value["start"]))
    if data.get("resourceType") == "Encounter":
        period = data.get("period")
        if isinstance(period, dict) and isinstance(period.get("start"), str):
            found.append(("period.start", period["start"]))
    return found


def _texts(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Texts that are shown to a user: names, and the display texts of the main code."""
    found: list[tuple[str, str]] = []
    names = data.get("name")
    if isinstance(names, list):
        for i, name in enumerate(names):
            if not isinstance(name, dict):
                continue
            for key in ("text", "family"):
                if isinstance(name.get(key), str):
                    found.append((f"name[{i}].{key}", name[key]))
            given = name.get("given")
            if isinstance(given, list):
                found.extend((f"name[{i}].given[{j}]", g) for j, g in enumerate(given) if isinstance(g, str))
    for key in ("code", "medicationCodeableConcept", "vaccineCode"):
        concept = data.get(key)
        if not isinstance(concept, dict):
            continue
        if isinstance(concept.get("text"), str):
            found.append((f"{key}.text", concept["text"]))
        codings = concept.get("coding")
        if isinstance(codings, list):
            for i, coding in enumerate(codings):
                if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                    found.append((f"{key}.coding[{i}].display", coding["display"]))
    return found


def check_birth(data: dict[str, Any], birth_date: str) -> list[CodeProblem]:
    """Warnings for clinical times before the patient's ``birth_date`` (a whole day earlier or more)."""
    born = _parse_time(birth_date[:10])
    if born is None or data.get("resourceType") == "Patient":
        return []
    problems = []
    for path, text in _times(data):
        moment = _parse_time(text)
        if moment is not None and moment < born - FUTURE_SLACK:
            problems.append(
                CodeProblem("warning", path, f"date {text} is before the patient's birth ({birth_date[:10]})")
            )
    return problems


def check_plausibility(data: dict[str, Any], now: datetime | None = None) -> list[CodeProblem]:
    """Findings on one resource (see the module's table); errors mean it must not be loaded."""
    problems: list[CodeProblem] = []
    rtype = data.get("resourceType")
    if rtype == "Observation":
        _check_unit(data.get("code"), data.get("valueQuantity"), "valueQuantity", problems)
        components = data.get("component")
        if isinstance(components, list):
            for i, comp in enumerate(components):
                if isinstance(comp, dict):
                    _check_unit(
                        comp.get("code"), comp.get("valueQuantity"), f"component[{i}].valueQuantity", problems
                    )

    status = data.get("status")
    if rtype not in FUTURE_OK_TYPES and status not in FUTURE_OK_STATUS:
        today = now or datetime.now(UTC)
        limit = today + FUTURE_SLACK
        for path, text in _times(data):
            moment = _parse_time(text)
            if moment is not None and moment > limit:
                problems.append(
                    CodeProblem("error", path, f"date {text} is in the future (today is {today.date()})")
                )

    for key in PERIODS:
        period = data.get(key)
        if not isinstance(period, dict):
            continue
        start, end = _parse_time(period.get("start")), _parse_time(period.get("end"))
        if start is not None and end is not None and end < start:
            problems.append(
                CodeProblem(
                    "warning",
                    f"{key}.end",
                    f"the period ends ({period['end']}) before it starts ({period['start']})",
                )
            )

    for path, text in _texts(data):
        if _MARKUP.search(text):
            problems.append(
                CodeProblem(
                    "warning", path, f"markup in a text that is shown ({text[:60]!r}); it is shown escaped"
                )
            )
    return problems
