"""Routine care every patient gets, whatever their stories.

Yearly check-ups (scheduled before the stories run, which hang their labs and
diagnoses on them), then after the stories: vitals at every visit, routine
labs where no story measured them, lab panels as DiagnosticReports,
allergies, vaccines, screening procedures and the odd entered-in-error result.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from clinimem_eval.synth import vocab as v
from clinimem_eval.synth.facts import Allergy, Encounter, Immunization, Observation, Report
from clinimem_eval.synth.record import Curve, PatientRecord, as_day
from clinimem_eval.synth.stories import AP, mdrd_creatinine


def schedule_checkups(rec: PatientRecord) -> None:
    """One check-up a year, on roughly the same day, from the first to the last visit."""
    first, last = rec.info.first_visit, rec.info.last_visit
    year = 0
    while True:
        day = first.replace(year=first.year + year, day=min(first.day, 28))
        if year:
            day += timedelta(days=rec.rng.randint(-20, 20))
        if day > last:
            break
        rec.visit(day, "checkup")
        year += 1


def add_allergies(rec: PatientRecord) -> None:
    """Allergies are recorded at the first visit; their onset is years earlier."""
    rng = rec.rng
    enc = rec.checkups()[0]
    found = []
    if rec.info.penicillin_allergy:
        reaction = rng.choice((v.HIVES, v.RASH, v.ANAPHYLAXIS))
        found.append((v.PENICILLIN_ALLERGY, "medication", reaction))
    if rng.random() < 0.12:
        found.append((v.PEANUT_ALLERGY, "food", rng.choice((v.ANAPHYLAXIS, v.HIVES))))
    if rng.random() < 0.05:
        found.append((v.LATEX_ALLERGY, "environment", v.RASH))
    for concept, category, reaction in found:
        severe = reaction == v.ANAPHYLAXIS
        onset = datetime.combine(rec.info.birth_date, time()) + timedelta(days=365 * rng.randint(3, 20))
        rec.add(
            Allergy(
                rec.new_id(),
                enc.id,
                concept,
                category,
                "high" if severe else "low",
                (reaction,),
                "severe" if severe else "mild",
                min(onset, enc.start - timedelta(days=400)),
                enc.start + timedelta(minutes=2),
            )
        )


def finish(rec: PatientRecord) -> None:
    """Everything routine that depends on the visits the stories created."""
    _extras(rec)
    _vitals(rec)
    _labs(rec)
    _reports(rec)
    _vaccines(rec)
    _procedures(rec)
    _entered_in_error(rec)


def _vitals(rec: PatientRecord) -> None:
    rng, info = rec.rng, rec.info
    h = info.height_cm / 100
    first = datetime.combine(info.first_visit, time())
    w0 = rng.uniform(21, 33) * h * h
    # Weight drifts up or down by a patient-specific slope, so weight trends differ too.
    slope = rng.gauss(0, 1.3)
    weight = Curve([(first, w0), (first + timedelta(days=3653), w0 + 10 * slope)])
    for enc in rec.encounters():
        rec.bp(enc)
        if enc.kind in ("checkup", "followup"):
            w = rec.observe(enc, v.BODY_WEIGHT, max(weight.at(enc.start) + rng.gauss(0, 0.6), 40), minutes=2)
            rec.observe(enc, v.BMI, w.value / (h * h), minutes=2)
        if enc.kind == "checkup":
            rec.observe(enc, v.BODY_HEIGHT, info.height_cm, minutes=2)


def _labs(rec: PatientRecord) -> None:
    """Normal routine labs at check-ups, where no story already measured that test."""
    rng, info = rec.rng, rec.info
    female = info.sex == "female"
    have = {(o.encounter, o.test.concept.code) for o in rec.of(Observation)}
    stories = set(info.stories)
    for i, enc in enumerate(rec.checkups()):
        age = info.age_at(enc.start)
        if (enc.id, v.GLUCOSE.concept.code) not in have:
            rec.observe(enc, v.GLUCOSE, rng.uniform(76, 99))
        if (enc.id, v.EGFR.concept.code) not in have:
            egfr = rec.observe(enc, v.EGFR, rng.uniform(86, 110))
            rec.observe(enc, v.CREATININE, mdrd_creatinine(egfr.value, age, female))
        rec.observe(enc, v.SODIUM, rng.uniform(136, 144))
        rec.observe(enc, v.POTASSIUM, rng.uniform(3.7, 5.0))
        if (enc.id, v.HBA1C.concept.code) not in have and age >= 40 and i % 3 == 0:
            rec.observe(enc, v.HBA1C, rng.uniform(5.0, 5.6))
        if "hyperlipidemia" not in stories and i % 4 == 1:
            ldl = rec.observe(enc, v.LDL, rng.uniform(80, 128))
            hdl = rec.observe(enc, v.HDL, rng.uniform(40, 70))
            tg = rec.observe(enc, v.TRIGLYCERIDES, rng.uniform(70, 149))
            rec.observe(enc, v.TOTAL_CHOLESTEROL, ldl.value + hdl.value + tg.value / 5)


def _reports(rec: PatientRecord) -> None:
    """One DiagnosticReport per panel per visit, citing that visit's results."""
    by_visit: dict[str, list[Observation]] = {}
    for obs in rec.of(Observation):
        by_visit.setdefault(obs.encounter, []).append(obs)
    for enc in rec.encounters():
        results = by_visit.get(enc.id, [])
        for panel, members in (
            (v.BMP_PANEL, v.BMP_MEMBERS),
            (v.LIPID_PANEL, v.LIPID_MEMBERS),
            (v.CBC_PANEL, v.CBC_MEMBERS),
        ):
            ids = tuple(o.id for o in results if o.test.concept.code in members)
            if ids:
                rec.add(Report(rec.new_id(), enc.id, panel, enc.start + timedelta(minutes=10), ids))


def _vaccines(rec: PatientRecord) -> None:
    rng, info = rec.rng, rec.info
    td_given = pneumo_given = False
    for enc in rec.checkups():
        age = info.age_at(enc.start)
        if rng.random() < (0.85 if age >= 65 else 0.65):
            rec.add(Immunization(rec.new_id(), enc.id, v.FLU_VACCINE, enc.start + timedelta(minutes=25)))
            rec.note(enc, "assessment_and_plan", "[procedure:Influenza vaccine] given.")
        if not td_given and rng.random() < 0.12:
            td_given = True
            rec.add(Immunization(rec.new_id(), enc.id, v.TD_VACCINE, enc.start + timedelta(minutes=26)))
        if not pneumo_given and age >= 65 and rng.random() < 0.5:
            pneumo_given = True
            rec.add(Immunization(rec.new_id(), enc.id, v.PNEUMO_VACCINE, enc.start + timedelta(minutes=27)))


def _procedures(rec: PatientRecord) -> None:
    rng, info = rec.rng, rec.info
    for enc in rec.encounters():
        if enc.kind == "checkup" and rng.random() < 0.3:
            rec.perform(enc, v.DEPRESSION_SCREENING, minutes=10)
        elif enc.kind == "followup" and rec.medications_at(enc.start) and rng.random() < 0.5:
            rec.perform(enc, v.MED_RECONCILIATION, minutes=10)
    span = (info.last_visit - info.first_visit).days
    if info.age_at(info.last_visit) >= 50 and span > 60 and rng.random() < 0.4:
        day = info.first_visit + timedelta(days=rng.randrange(30, span - 20))
        if info.age_at(day) >= 45:
            enc = rec.visit(day, "procedure")
            rec.perform(enc, v.COLONOSCOPY, minutes=40)
            rec.bp(enc)
            rec.note(enc, "chief_complaint", "Screening [procedure:colonoscopy].")
            rec.note(
                enc,
                "assessment_and_plan",
                "[procedure:Colonoscopy] without polyps. No [problem!neg:colon cancer]. Repeat in ten years.",
            )


def _entered_in_error(rec: PatientRecord) -> None:
    """Now and then a result keyed in wrongly and voided: it must never count."""
    rng = rec.rng
    if rng.random() >= 0.3:
        return
    finals = [o for o in rec.of(Observation) if o.status == "final"]
    pool = [o for o in finals if o.test == v.HBA1C] or [o for o in finals if o.test == v.BODY_WEIGHT]
    if not pool:
        return
    obs = rng.choice(pool)
    enc = rec.get(obs.encounter)
    assert isinstance(enc, Encounter)
    # HbA1c typed into the wrong row, or a weight entered in pounds.
    wrong = obs.value + rng.uniform(3, 5) if obs.test == v.HBA1C else obs.value * 2.2046
    minutes = int((obs.time - enc.start).total_seconds() // 60) + 1
    rec.observe(enc, obs.test, wrong, minutes=minutes, status="entered-in-error")


# --- less common labs, drugs and problems ---------------------------------------
# Some patients have the TSH, INR, CBC, ferritin, vitamin D, PSA ... that others are
# asked about as absent, so a lab's name alone never tells whether it is on record.


def _some(rec: PatientRecord, encs: list[Encounter], lo: int, hi: int) -> list[Encounter]:
    k = min(len(encs), rec.rng.randint(lo, hi))
    return sorted(rec.rng.sample(encs, k), key=lambda e: e.start) if k else []


def _extras(rec: PatientRecord) -> None:
    rng, info = rec.rng, rec.info
    female = info.sex == "female"
    cks = rec.checkups()
    if not cks:
        return
    age = info.age_at(cks[-1].start)
    # Complete blood count at some check-ups (every one, every other, or every third).
    if rng.random() < 0.45:
        every = rng.choice((1, 2, 3))
        offset = rng.randrange(every)
        hgb0 = rng.gauss(13.6 if female else 15.0, 0.8)
        with_mpv = rng.random() < 0.6
        for i, enc in enumerate(cks):
            if i % every != offset:
                continue
            hgb = rec.observe(enc, v.HEMOGLOBIN, hgb0 + rng.gauss(0, 0.4), minutes=12)
            rec.observe(enc, v.HEMATOCRIT, hgb.value * 2.95 + rng.gauss(0, 0.8), minutes=12)
            rec.observe(enc, v.WBC, rng.uniform(4.2, 10.5), minutes=12)
            rec.observe(enc, v.PLATELETS, rng.uniform(160, 390), minutes=12)
            rec.observe(enc, v.MCV, rng.uniform(82, 98), minutes=12)
            if with_mpv:
                rec.observe(enc, v.MPV, rng.uniform(7.6, 11.4), minutes=12)
    # Urea nitrogen reported with the metabolic panel by some labs.
    if rng.random() < 0.3:
        for enc in cks:
            rec.observe(enc, v.BUN, rng.uniform(8, 21))
    # One-off or occasional labs.
    for test, prob, lo, hi, wanted in (
        (v.VITAMIN_D, 0.18, 12.0, 48.0, True),
        (v.FERRITIN, 0.12, 15.0, 240.0, True),
        (v.VITAMIN_B12, 0.1, 220.0, 900.0, True),
        (v.PSA, 0.35, 0.3, 3.8, not female and age >= 50),
        (v.ALT, 0.15, 10.0, 45.0, True),
    ):
        if wanted and rng.random() < prob:
            for enc in _some(rec, cks, 1, 3):
                rec.observe(enc, test, rng.uniform(lo, hi), minutes=14)
                if test is v.ALT:
                    rec.observe(enc, v.BILIRUBIN, rng.uniform(0.3, 1.2), minutes=14)
    if len(cks) >= 3 and rng.random() < 0.1:
        _hypothyroidism(rec, cks)
    if age >= 55 and rng.random() < 0.1:
        _atrial_fibrillation(rec)
    if age >= 60 and rng.random() < 0.05:
        _heart_failure(rec)
    if age >= 50 and rng.random() < 0.1:
        enc = rng.choice(cks)
        med = rec.prescribe(enc, v.ASPIRIN, "prevention")
        rec.event("aspirin started", "started", "aspirin", med, med.start, "prevention")
        rec.note(enc, AP, "Start [drug:aspirin] 81 mg daily for prevention.")


def _hypothyroidism(rec: PatientRecord, cks: list[Encounter]) -> None:
    rng, s = rec.rng, "hypothyroidism"
    k = rng.randrange(0, len(cks) - 1)
    enc = cks[k]
    tsh = rec.observe(enc, v.TSH, rng.uniform(6.5, 14.0), minutes=14)
    cond = rec.diagnose(enc, v.HYPOTHYROIDISM, s)
    rec.event("hypothyroidism diagnosed", "diagnosed", "hypothyroidism", cond, enc.start, s)
    med = rec.prescribe(enc, v.LEVOTHYROXINE, s, reason=cond)
    rec.event("levothyroxine started", "started", "levothyroxine", med, med.start, s)
    rec.note(enc, "hpi", "[finding:Fatigue] and [finding:cold intolerance] for months.")
    rec.note(
        enc, AP, f"[problem:Hypothyroidism], TSH {tsh.value:.1f}. Started [drug:levothyroxine] 75 mcg daily."
    )
    controlled = rng.random() < 0.75
    value = tsh.value
    for later in cks[k + 1 :]:
        value = rng.uniform(0.8, 3.6) if controlled else max(4.8, value + rng.gauss(0, 1.5))
        rec.observe(later, v.TSH, value, minutes=14)


def _atrial_fibrillation(rec: PatientRecord) -> None:
    rng, info, s = rec.rng, rec.info, "atrial_fibrillation"
    span = (info.last_visit - info.first_visit).days
    day = info.first_visit + timedelta(days=rng.randrange(15, max(span - 120, 16)))
    enc = rec.visit(day, "problem", v.ATRIAL_FIBRILLATION)
    cond = rec.diagnose(enc, v.ATRIAL_FIBRILLATION, s)
    rec.event("atrial fibrillation diagnosed", "diagnosed", "atrial fibrillation", cond, enc.start, s)
    rec.note(enc, "chief_complaint", "[finding:Palpitations].")
    rec.note(
        enc, "hpi", "Irregular heartbeat for a week. No [finding!neg:chest pain] or [finding!neg:syncope]."
    )
    rec.observe(enc, v.INR, rng.uniform(0.9, 1.1), minutes=14)
    plan = "[problem:Atrial fibrillation]."
    if rng.random() < 0.7:
        med = rec.prescribe(enc, v.METOPROLOL, s, reason=cond)
        rec.event("metoprolol started", "started", "metoprolol", med, med.start, s)
        plan += " Started [drug:metoprolol] for rate control."
    if rng.random() < 0.8:
        med = rec.prescribe(enc, v.WARFARIN, s, reason=cond)
        rec.event("warfarin started", "started", "warfarin", med, med.start, s)
        plan += " Started [drug:warfarin]; INR goal 2 to 3."
        with_pt = rng.random() < 0.5
        n = 0
        check = as_day(enc.start)
        while n < 6:
            check += timedelta(days=rng.randint(25, 120))
            if check > info.last_visit:
                break
            visit = rec.visit(check, "followup", v.ATRIAL_FIBRILLATION, reuse_days=10)
            inr = rec.observe(visit, v.INR, rng.uniform(1.6, 3.4), minutes=14)
            if with_pt:
                rec.observe(visit, v.PROTHROMBIN_TIME, inr.value * 11.5 + rng.gauss(0, 0.6), minutes=14)
            n += 1
    rec.note(enc, AP, plan)


def _heart_failure(rec: PatientRecord) -> None:
    rng, info, s = rec.rng, rec.info, "heart_failure"
    span = (info.last_visit - info.first_visit).days
    day = info.first_visit + timedelta(days=rng.randrange(15, max(span - 150, 16)))
    enc = rec.visit(day, "emergency", v.HEART_FAILURE)
    rec.observe(enc, v.TROPONIN, rng.uniform(0.01, 0.04), minutes=20)
    bnp = rec.observe(enc, v.BNP, rng.uniform(450, 1600), minutes=20)
    cond = rec.diagnose(enc, v.HEART_FAILURE, s)
    rec.event("heart failure diagnosed", "diagnosed", "heart failure", cond, enc.start, s)
    med = rec.prescribe(enc, v.FUROSEMIDE, s, reason=cond)
    rec.event("furosemide started", "started", "furosemide", med, med.start, s)
    rec.note(enc, "chief_complaint", "[finding:Shortness of breath] and [finding:leg swelling].")
    rec.note(enc, AP, f"[problem:Heart failure], BNP {bnp.value:.0f}. Started [drug:furosemide].")
    later = rec.visit(as_day(enc.start) + timedelta(days=rng.randint(30, 90)), "followup", v.HEART_FAILURE)
    rec.observe(later, v.BNP, bnp.value * rng.uniform(0.2, 0.7), minutes=14)
    rec.note(later, "chief_complaint", "Follow-up of [problem:heart failure].")
