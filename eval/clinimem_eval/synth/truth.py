"""The ground truth file written next to each bundle (``{patient_id}.truth.json``).

Every fact cites the resource that supports it as ``ResourceType/id`` (the
``id`` in the bundle, not the ``urn:uuid:`` fullUrl) and, for observations,
the JSON path of the value inside the resource (``$`` or ``$.component[0]``).
Times are the FHIR strings written in the bundle. See the package docstring
for the full layout.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clinimem_eval.synth import vocab as v
from clinimem_eval.synth.facts import (
    Allergy,
    BloodPressure,
    CarePlan,
    Condition,
    Encounter,
    Event,
    Immunization,
    Medication,
    Note,
    Observation,
    Procedure,
    Report,
    ref,
)
from clinimem_eval.synth.fhir_builders import iso
from clinimem_eval.synth.record import PatientRecord
from clinimem_eval.synth.vocab import Concept

Json = dict[str, Any]

# Plausible problems and drugs to ask about when the patient has none of them.
ABSENT_CONDITIONS = (
    v.T2DM,
    v.PREDIABETES,
    v.HYPERTENSION,
    v.HYPERLIPIDEMIA,
    v.ASTHMA,
    v.CKD_STAGE[3],
    v.BRONCHITIS,
    v.UTI,
    v.ANKLE_FRACTURE,
    v.STREP_THROAT,
    v.SINUSITIS,
    v.HEART_FAILURE,
    v.ATRIAL_FIBRILLATION,
    v.COPD,
    v.HYPOTHYROIDISM,
    v.BREAST_CANCER,
    v.COLON_CANCER,
    v.CORONARY_DISEASE,
    v.STROKE,
    v.OSTEOARTHRITIS,
    v.DEPRESSION,
)
ABSENT_DRUGS = (
    v.METFORMIN,
    v.INSULIN,
    v.LISINOPRIL,
    v.LOSARTAN,
    v.AMLODIPINE,
    v.HCTZ,
    v.SIMVASTATIN,
    v.ATORVASTATIN,
    v.ALBUTEROL,
    v.FLUTICASONE,
    v.PREDNISONE,
    v.WARFARIN,
    v.CLOPIDOGREL,
    v.METOPROLOL,
    v.LEVOTHYROXINE,
    v.FUROSEMIDE,
    v.ASPIRIN,
)

# (story, test, which event starts the trend, change that counts as a real change)
TRENDS = (
    ("t2dm", v.HBA1C, "metformin started", 0.3),
    ("hyperlipidemia", v.LDL, "simvastatin started", 10.0),
    ("hypertension", v.SYSTOLIC, "hypertension diagnosed", 8.0),
    ("ckd", v.EGFR, None, 5.0),  # None: the first CKD diagnosis, whatever its stage
)


def coded(concept: Concept) -> Json:
    return {
        "code": concept.code,
        "system": concept.system,
        "display": v.display(concept),
        "name": concept.name,
    }


def _opt(when: datetime | None) -> str | None:
    return iso(when) if when is not None else None


def build(rec: PatientRecord, reference: datetime) -> Json:
    """The truth document of one patient."""
    info = rec.info
    encounters = rec.encounters()
    ordinal = {e.id: n for n, e in enumerate(encounters, start=1)}

    def enc(fact_encounter: str) -> str:
        return f"Encounter/{fact_encounter}"

    conditions = sorted(rec.of(Condition), key=lambda c: (c.onset, c.id))
    meds = sorted(rec.of(Medication), key=lambda m: (m.start, m.id))
    observations = _observations(rec)
    out: Json = {
        "patient_id": info.id,
        "name": f"{info.given} {info.family}",
        "birth_date": info.birth_date.isoformat(),
        "sex": info.sex,
        "reference_date": reference.date().isoformat(),
        "stories": list(info.stories),
        "encounters": [
            {
                "resource": ref(e),
                "ordinal": ordinal[e.id],
                "start": iso(e.start),
                "end": iso(e.end),
                "type": e.kind,
                "display": v.display(e.concept),
                "reason": e.reason.name if e.reason else None,
            }
            for e in encounters
        ],
        "conditions": [
            {
                "resource": ref(c),
                "encounter": enc(c.encounter),
                **coded(c.concept),
                "onset": iso(c.onset),
                "abatement": _opt(c.abatement),
                "clinical_status": c.clinical_status,
                "category": c.category,
                "story": c.story,
            }
            for c in conditions
        ],
        "medications": [
            {
                "resource": ref(m),
                "encounter": enc(m.encounter),
                **coded(m.drug.concept),
                "start": iso(m.start),
                "end": _opt(m.end),
                "status": m.status,
                "reason": rec.get(m.reason).concept.name if m.reason else None,  # type: ignore[union-attr]
                "reason_resource": f"Condition/{m.reason}" if m.reason else None,
                "stop_reason": m.stop_reason,
                "story": m.story,
            }
            for m in meds
        ],
        "observations": observations,
        "reports": [
            {
                "resource": ref(r),
                "encounter": enc(r.encounter),
                **coded(r.concept),
                "time": iso(r.time),
                "results": [f"Observation/{o}" for o in r.results],
            }
            for r in rec.of(Report)
        ],
        "allergies": [
            {
                "resource": ref(a),
                "encounter": enc(a.encounter),
                **coded(a.concept),
                "category": a.category,
                "criticality": a.criticality,
                "reactions": [r.name for r in a.reactions],
                "severity": a.severity,
                "onset": iso(a.onset),
                "recorded": iso(a.recorded),
                "clinical_status": "active",
            }
            for a in rec.of(Allergy)
        ],
        "immunizations": [
            {
                "resource": ref(i),
                "encounter": enc(i.encounter),
                **coded(i.concept),
                "time": iso(i.time),
                "status": "completed",
            }
            for i in sorted(rec.of(Immunization), key=lambda i: i.time)
        ],
        "procedures": [
            {
                "resource": ref(p),
                "encounter": enc(p.encounter),
                **coded(p.concept),
                "start": iso(p.start),
                "end": iso(p.end),
                "reason": f"Condition/{p.reason}" if p.reason else None,
                "status": "completed",
            }
            for p in sorted(rec.of(Procedure), key=lambda p: (p.start, p.id))
        ],
        "care_plans": [
            {
                "resource": ref(c),
                "encounter": enc(c.encounter),
                **coded(c.concept),
                "start": iso(c.start),
                "addresses": f"Condition/{c.addresses}",
                "activities": [a.name for a in c.activities],
            }
            for c in rec.of(CarePlan)
        ],
        "notes": [_note(n) for n in sorted(rec.of(Note), key=lambda n: n.time)],
        "family_history": [{"relation": r, **coded(c)} for r, c in info.family_history],
        "surgical_history": [{**coded(c), "year": year} for c, year in info.surgical_history],
        "events": [_event(e) for e in sorted(rec.events, key=lambda e: (e.time, e.what))],
        "trends": _trends(rec, observations),
        "absent": _absent(rec),
    }
    return out


def _observations(rec: PatientRecord) -> list[Json]:
    rows: list[tuple[datetime, str, Json]] = []
    for o in rec.of(Observation):
        row = {
            "resource": ref(o),
            "path": "$",
            "encounter": f"Encounter/{o.encounter}",
            **coded(o.test.concept),
            "value": o.value,
            "unit": o.test.unit,
            "time": iso(o.time),
            "status": o.status,
            "category": o.test.category,
        }
        rows.append((o.time, o.id, row))
    for b in rec.of(BloodPressure):
        for n, (test, value) in enumerate(((v.SYSTOLIC, b.systolic), (v.DIASTOLIC, b.diastolic))):
            row = {
                "resource": ref(b),
                "path": f"$.component[{n}]",
                "encounter": f"Encounter/{b.encounter}",
                **coded(test.concept),
                "value": value,
                "unit": test.unit,
                "time": iso(b.time),
                "status": b.status,
                "category": test.category,
                "panel": v.BP_PANEL.code,
            }
            rows.append((b.time, f"{b.id}/{n}", row))
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def _note(n: Note) -> Json:
    return {
        "resource": ref(n),
        "encounter": f"Encounter/{n.encounter}",
        "time": iso(n.time),
        **coded(n.concept),
        "content_type": n.content_type,
        "text": n.text,
        "sections": [{"name": s.name, "start": s.start, "end": s.end} for s in n.sections],
        "mentions": [
            {
                "text": m.text,
                "start": m.start,
                "end": m.end,
                "label": m.label,
                "section": m.section,
                "negated": m.negated,
                "historical": m.historical,
                "hypothetical": m.hypothetical,
                "family": m.family,
                "uncertain": m.uncertain,
            }
            for m in n.mentions
        ],
    }


def _event(e: Event) -> Json:
    return {
        "what": e.what,
        "kind": e.kind,
        "subject": e.subject,
        "time": iso(e.time),
        "resource": e.resource,
        "story": e.story,
    }


def _trends(rec: PatientRecord, observations: list[Json]) -> list[Json]:
    """How a story's key value moved after its key event: latest vs the value at that visit.

    ``baseline`` is the last final value at or before the event's visit,
    ``latest`` the last final value after it; ``direction`` is increasing or
    decreasing when they differ by more than ``threshold``, else stable.
    """
    out = []
    visit_start = {e.id: iso(e.start) for e in rec.of(Encounter)}
    for story, test, what, threshold in TRENDS:
        if story not in rec.info.stories:
            continue
        events = [e for e in rec.events if e.story == story and e.kind == "diagnosed" and what is None]
        events += [e for e in rec.events if e.what == what and e.story == story]
        if not events:
            continue
        event = min(events, key=lambda e: e.time)
        fact = rec.get(event.resource.split("/", 1)[1])
        cut = visit_start[fact.encounter]  # type: ignore[union-attr]
        series = [o for o in observations if o["code"] == test.concept.code and o["status"] == "final"]
        series.sort(key=lambda o: o["time"])
        starts = {o["resource"]: visit_start[o["encounter"].split("/", 1)[1]] for o in series}
        before = [o for o in series if starts[o["resource"]] <= cut]
        after = [o for o in series if starts[o["resource"]] > cut]
        if not before or not after:
            continue
        base, last = before[-1], after[-1]
        change = last["value"] - base["value"]
        direction = "increasing" if change > threshold else "decreasing" if change < -threshold else "stable"
        out.append(
            {
                "story": story,
                **coded(test.concept),
                "since_event": event.what,
                "since": iso(event.time),
                "baseline": {k: base[k] for k in ("resource", "path", "value", "time")},
                "latest": {k: last[k] for k in ("resource", "path", "value", "time")},
                "values_after": len(after),
                "threshold": threshold,
                "direction": direction,
            }
        )
    return out


def _absent(rec: PatientRecord) -> Json:
    """Problems and drugs the record does not support (not coded, not affirmed in a note)."""
    codes = {c.concept.code for c in rec.of(Condition)}
    has_ckd = any(c.concept in v.CKD_STAGE.values() for c in rec.of(Condition))
    affirmed = {
        m.text.lower()
        for n in rec.of(Note)
        for m in n.mentions
        if not (m.negated or m.historical or m.hypothetical or m.family or m.uncertain)
    }
    conditions = [
        coded(c)
        for c in ABSENT_CONDITIONS
        if c.code not in codes
        and c.name.lower() not in affirmed
        and not (has_ckd and c in v.CKD_STAGE.values())
    ]
    drug_codes = {m.drug.concept.code for m in rec.of(Medication)}
    drugs = [coded(d.concept) for d in ABSENT_DRUGS if d.concept.code not in drug_codes]
    return {"conditions": conditions, "medications": drugs}
