"""Every generated gold answer agrees with a recomputation straight from the bundle JSON.

The recomputation below never uses the memory mappers, the entries, or the
generator's ops: it reads the raw FHIR resources (references resolved from
``urn:uuid:`` fullUrls by hand), applies each template's documented rule to
the question's ``params``, and compares with the gold answer and evidence.
It runs on synthetic patients (seed 3, not the suite's default) and on the
real Synthea bundles.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clinimem_eval.questions import Question, generate_for_patients
from clinimem_eval.questions.names import DRUG_CLASSES
from clinimem_eval.synth import generate

Json = dict[str, Any]
N_SYNTH = 40


class Record:
    """One patient's raw resources, with the few readers the rules need."""

    def __init__(self, bundle: Json) -> None:
        full_urls = {
            e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}"
            for e in bundle["entry"]
            if e.get("fullUrl")
        }
        self.resources: dict[str, Json] = {}
        for e in bundle["entry"]:
            r = e["resource"]
            if (
                r.get("status") == "entered-in-error"
                or _code(r.get("verificationStatus")) == "entered-in-error"
            ):
                continue
            self.resources[f"{r['resourceType']}/{r['id']}"] = r
        self.full_urls = full_urls
        self.text = json.dumps(bundle).lower()

    def of(self, rtype: str) -> list[tuple[str, Json]]:
        return [(ref, r) for ref, r in self.resources.items() if ref.startswith(rtype + "/")]

    def ref(self, value: Any) -> str | None:
        raw = (value or {}).get("reference")
        return self.full_urls.get(raw, raw)

    # (date, time, value, unit, ref) of every numeric result of a LOINC code, panel components included
    def values(self, code: str) -> list[tuple[str, str, float, str, str, str | None]]:
        out = []
        for ref, obs in self.of("Observation"):
            time = (
                obs.get("effectiveDateTime")
                or (obs.get("effectivePeriod") or {}).get("start")
                or obs.get("issued")
            )
            for part in [obs, *(obs.get("component") or [])]:
                quantity = part.get("valueQuantity") or {}
                if _code(part.get("code")) == code and quantity.get("value") is not None:
                    unit = quantity.get("unit") or quantity.get("code")
                    out.append(
                        (time[:10], time, float(quantity["value"]), unit, ref, self.ref(obs.get("encounter")))
                    )
        return sorted(out, key=lambda v: (v[1], v[4]))

    def meds(self, code: str | None = None) -> list[Json]:
        out = []
        for ref, med in self.of("MedicationRequest"):
            concept = med.get("medicationCodeableConcept")
            if code is None or _code(concept) == code:
                out.append(
                    {
                        "ref": ref,
                        "time": med["authoredOn"],
                        "display": _display(concept),
                        "code": _code(concept),
                        "status": med.get("status"),
                        "end": ((med.get("dispenseRequest") or {}).get("validityPeriod") or {}).get("end"),
                        "encounter": self.ref(med.get("encounter")),
                    }
                )
        return sorted(out, key=lambda m: (m["time"], m["ref"]))

    def conditions(self, code: str | None = None) -> list[Json]:
        out = []
        for ref, c in self.of("Condition"):
            if code is None or _code(c.get("code")) == code:
                onset = (
                    c.get("onsetDateTime")
                    or (c.get("onsetPeriod") or {}).get("start")
                    or c.get("recordedDate")
                )
                out.append(
                    {
                        "ref": ref,
                        "time": onset,
                        "display": _display(c.get("code")),
                        "code": _code(c.get("code")),
                        "status": _code(c.get("clinicalStatus")),
                        "end": c.get("abatementDateTime") or (c.get("abatementPeriod") or {}).get("start"),
                        "encounter": self.ref(c.get("encounter")),
                    }
                )
        return sorted(out, key=lambda c: (c["time"], c["ref"]))

    def anchor(self, params: Json) -> Json:
        """The first prescription / diagnosis the question hangs on."""
        anchor = params["anchor"]
        found = (
            self.meds(anchor["code"]) if anchor["kind"] == "medication" else self.conditions(anchor["code"])
        )
        return found[0]


def _code(concept: Any) -> str | None:
    codings = (concept or {}).get("coding") or []
    return codings[0].get("code") if codings else None


def _display(concept: Any) -> str:
    concept = concept or {}
    return concept.get("text") or ((concept.get("coding") or [{}])[0].get("display")) or ""


def _trend(values: list[float]) -> str:
    change = (values[-1] - values[0]) / abs(values[0]) if values[0] else values[-1] - values[0]
    return "increasing" if change > 0.05 else "decreasing" if change < -0.05 else "stable"


def _names(items: list[Json]) -> list[str]:
    return sorted({i["display"].lower(): i["display"] for i in items}.values(), key=str.lower)


def _current(m: Json) -> bool:
    return m["status"] == "active" and not m["end"]


def _resolved(c: Json) -> bool:
    return c["status"] in ("resolved", "inactive", "remission") or bool(c["end"])


def _value(v: tuple) -> Json:
    return {"kind": "value", "value": v[2], "unit": v[3]}


def _first_starts(items: list[Json]) -> list[Json]:
    first: dict[str, Json] = {}
    for item in items:
        first.setdefault(item["code"], item)
    return list(first.values())


# template -> (record, params) -> gold answer
RULES: dict[str, Callable[[Record, Json], Json]] = {}


def rule(name: str) -> Callable[[Callable[[Record, Json], Json]], Callable[[Record, Json], Json]]:
    def register(fn: Callable[[Record, Json], Json]) -> Callable[[Record, Json], Json]:
        RULES[name] = fn
        return fn

    return register


@rule("lab_on_date")
def _lab_on_date(rec: Record, p: Json) -> Json:
    (found,) = [v for v in rec.values(p["target"]["code"]) if v[0] == p["date"]]
    return _value(found)


@rule("bp_on_date")
def _bp_on_date(rec: Record, p: Json) -> Json:
    (panel,) = [
        o
        for _, o in rec.of("Observation")
        if _code(o.get("code")) in ("85354-9", "55284-4") and o["effectiveDateTime"][:10] == p["date"]
    ]
    parts = {_code(c["code"]): c["valueQuantity"] for c in panel["component"]}
    text = "/".join(_number(parts[code]["value"]) for code in ("8480-6", "8462-4"))
    return {"kind": "text", "value": text, "unit": parts["8480-6"]["unit"]}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@rule("meds_on_date")
def _meds_on_date(rec: Record, p: Json) -> Json:
    return {"kind": "list", "value": _names([m for m in rec.meds() if m["time"][:10] == p["date"]])}


@rule("first_value")
def _first_value(rec: Record, p: Json) -> Json:
    return _value(rec.values(p["target"]["code"])[0])


@rule("last_value")
def _last_value(rec: Record, p: Json) -> Json:
    return _value(rec.values(p["target"]["code"])[-1])


@rule("value_before_event")
def _before(rec: Record, p: Json) -> Json:
    day = rec.anchor(p)["time"][:10]
    return _value([v for v in rec.values(p["target"]["code"]) if v[0] < day][-1])


@rule("value_after_event")
def _after(rec: Record, p: Json) -> Json:
    day = rec.anchor(p)["time"][:10]
    return _value([v for v in rec.values(p["target"]["code"]) if v[0] > day][0])


@rule("value_at_event_visit")
def _at_visit(rec: Record, p: Json) -> Json:
    encounter = rec.anchor(p)["encounter"]
    (found,) = [v for v in rec.values(p["target"]["code"]) if v[5] == encounter]
    return _value(found)


@rule("diagnosis_date")
def _diagnosis_date(rec: Record, p: Json) -> Json:
    return {"kind": "date", "value": rec.conditions(p["target"]["code"])[0]["time"][:10]}


@rule("med_start_date")
def _med_start_date(rec: Record, p: Json) -> Json:
    return {"kind": "date", "value": rec.meds(p["target"]["code"])[0]["time"][:10]}


@rule("meds_since_diagnosis")
def _meds_since(rec: Record, p: Json) -> Json:
    day = rec.anchor(p)["time"][:10]
    return {"kind": "list", "value": _names([m for m in _first_starts(rec.meds()) if m["time"][:10] >= day])}


@rule("conditions_before_med")
def _conditions_before(rec: Record, p: Json) -> Json:
    day = rec.anchor(p)["time"][:10]
    firsts = _first_starts(rec.conditions())
    return {"kind": "list", "value": _names([c for c in firsts if c["time"][:10] < day])}


@rule("trend_last_n")
def _trend_last_n(rec: Record, p: Json) -> Json:
    return {"kind": "trend", "value": _trend([v[2] for v in rec.values(p["target"]["code"])[-p["n"] :]])}


@rule("trend_since_event")
def _trend_since(rec: Record, p: Json) -> Json:
    day = rec.anchor(p)["time"][:10]
    series = rec.values(p["target"]["code"])
    base = [v for v in series if v[0] <= day][-1]
    return {"kind": "trend", "value": _trend([base[2]] + [v[2] for v in series if v[0] > day])}


@rule("compare_last_two")
def _compare(rec: Record, p: Json) -> Json:
    series = rec.values(p["target"]["code"])
    return {"kind": "boolean", "value": series[-1][2] > series[-2][2]}


@rule("recurrence_count")
def _recurrences(rec: Record, p: Json) -> Json:
    return {"kind": "count", "value": len(rec.conditions(p["target"]["code"]))}


@rule("count_since_year")
def _count_since(rec: Record, p: Json) -> Json:
    return {"kind": "count", "value": sum(1 for v in rec.values(p["target"]["code"]) if v[0] >= p["since"])}


@rule("visits_in_year")
def _visits(rec: Record, p: Json) -> Json:
    return {
        "kind": "count",
        "value": sum(1 for _, e in rec.of("Encounter") if e["period"]["start"][:4] == p["year"]),
    }


@rule("active_medications")
def _active_meds(rec: Record, p: Json) -> Json:
    return {"kind": "list", "value": _names([m for m in rec.meds() if _current(m)])}


@rule("conditions_between")
def _conditions_between(rec: Record, p: Json) -> Json:
    lo, hi = p["from"][:4], p["to"][:4]
    return {"kind": "list", "value": _names([c for c in rec.conditions() if lo <= c["time"][:4] <= hi])}


@rule("allergies")
def _allergies(rec: Record, p: Json) -> Json:
    found = [
        {"display": _display(a.get("code"))}
        for _, a in rec.of("AllergyIntolerance")
        if _code(a.get("clinicalStatus")) in (None, "active")
    ]
    return {"kind": "list", "value": _names(found)}


@rule("vaccines_in_year")
def _vaccines(rec: Record, p: Json) -> Json:
    found = [
        {"display": _display(i["vaccineCode"])}
        for _, i in rec.of("Immunization")
        if i["occurrenceDateTime"][:4] == p["year"]
    ]
    return {"kind": "list", "value": _names(found)}


@rule("still_taking")
def _still_taking(rec: Record, p: Json) -> Json:
    return {"kind": "boolean", "value": any(_current(m) for m in rec.meds(p["target"]["code"]))}


@rule("condition_resolved")
def _resolved_rule(rec: Record, p: Json) -> Json:
    return {"kind": "boolean", "value": _resolved(rec.conditions(p["target"]["code"])[-1])}


@rule("current_in_class")
def _current_in_class(rec: Record, p: Json) -> Json:
    words = DRUG_CLASSES[p["drug_class"]]  # the class vocabulary is data, not a rule
    found = [m for m in rec.meds() if _current(m) and any(w in m["display"].lower() for w in words)]
    return {"kind": "list", "value": _names(found)}


@rule("active_conditions")
def _active_conditions(rec: Record, p: Json) -> Json:
    return {"kind": "list", "value": _names([c for c in rec.conditions() if not _resolved(c)])}


def _absent(rec: Record, p: Json) -> Json:
    # the code appears nowhere in the record (string match on the raw JSON)
    assert f'"code": "{p["absent"]["code"]}"' not in rec.text
    return {"kind": "none", "value": None}


for _name in ("absent_lab", "absent_drug", "absent_condition"):
    RULES[_name] = _absent


def _same(gold: Json, expected: Json) -> bool:
    if gold["kind"] != expected["kind"]:
        return False
    if gold["kind"] == "value":
        return gold["value"] == pytest.approx(expected["value"]) and gold.get("unit") == expected.get("unit")
    return gold == expected


def _check(questions: list[Question], records: dict[str, Record]) -> int:
    assert questions
    problems = []
    for q in questions:
        rec = records[q.patient_id]
        expected = RULES[q.template](rec, q.params)
        if not _same(q.answer, expected):
            problems.append(f"{q.template}: {q.question!r} gold {q.answer} != recomputed {expected}")
        for ref in q.evidence:
            assert ref in rec.resources, f"{q.qid}: evidence {ref} not in the record (or entered-in-error)"
        assert (not q.evidence) == (q.op == "abstain")
    assert not problems, "\n".join(problems[:20])
    return len(questions)


def _records(paths: list[Path]) -> dict[str, Record]:
    out = {}
    for path in paths:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
        out[patient["id"]] = Record(bundle)
    return out


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[list[Question], dict[str, Record], Path]:
    folder = tmp_path_factory.mktemp("synth-recompute")
    generate(N_SYNTH, seed=3, out_dir=folder)
    bundles = sorted(
        p for p in folder.glob("*.json") if not p.name.endswith(".truth.json") and p.name != "manifest.json"
    )
    return generate_for_patients(bundles, seed=3, per_patient=20), _records(bundles), folder


def test_every_template_has_a_recomputation():
    from clinimem_eval.questions.templates import TEMPLATES

    assert set(TEMPLATES) == set(RULES)


def test_synthetic_gold_answers_agree_with_the_bundle_json(synthetic):
    questions, records, _ = synthetic
    assert _check(questions, records) >= N_SYNTH * 15
    covered = {q.template for q in questions}
    assert len(covered) >= len(RULES) - 2, f"templates never drawn: {set(RULES) - covered}"


def test_synthea_gold_answers_agree_with_the_bundle_json(synthea_dir):
    bundles = sorted(synthea_dir.glob("*.json"))
    questions = generate_for_patients(bundles, truth_paths=[], seed=0, per_patient=20)
    assert _check(questions, _records(bundles)) >= 23 * 15


def test_entered_in_error_results_are_never_evidence(synthetic):
    questions, _, folder = synthetic
    wrong = {
        o["resource"]
        for path in folder.glob("*.truth.json")
        for o in json.loads(path.read_text(encoding="utf-8"))["observations"]
        if o["status"] == "entered-in-error"
    }
    assert wrong, "the synthetic patients should hold some entered-in-error results"
    assert not wrong & {ref for q in questions for ref in q.evidence}
