"""Disease stories: each writes one longitudinal thread into a patient's record.

A story picks when the disease is diagnosed (at a yearly check-up, or at a
problem visit), adds its visits, labs, conditions, drug starts/stops and note
sentences, and logs its key moments as events. Trends are drawn per patient
(improving, worsening, stable, drug switch, ...) so that the same question has
different answers across patients. Stories run in the order of ``STORIES``:
later ones may read and revise what earlier ones wrote (CKD stops metformin).

Note sentences are mention templates (see :mod:`clinimem_eval.synth.notes`):
``[drug:metformin]`` marks a mention, ``[finding!neg:fever]`` a negated one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from clinimem_eval.synth import vocab as v
from clinimem_eval.synth.facts import Condition, Encounter, Medication
from clinimem_eval.synth.record import Curve, PatientRecord, as_day

YEAR = 365.25
AP = "assessment_and_plan"


def years_between(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / (YEAR * 86400)


def fmt(value: float, decimals: int = 0) -> str:
    """A result as a note writes it, with the test's usual decimals ("8.0 %", "142")."""
    return f"{value:.{decimals}f}"


def compare(prev: float, now: float, band: float, decimals: int = 0) -> str:
    """Words a clinician uses for a change between two results."""
    if now < prev - band:
        return f"down from {fmt(prev, decimals)}"
    if now > prev + band:
        return f"up from {fmt(prev, decimals)}"
    return f"stable compared with {fmt(prev, decimals)}"


def diagnosis_index(rec: PatientRecord, after: int = 2, earliest: int = 0) -> int:
    """Index of the check-up where a disease is found, leaving ``after`` check-ups to follow it."""
    n = len(rec.checkups())
    hi = max(earliest + 1, n - after)
    return min(rec.rng.randrange(min(earliest, hi - 1), hi), n - 1)


def schedule(rec: PatientRecord, k: int, reason: v.Concept, midyear: bool = True) -> list[Encounter]:
    """Check-ups from index ``k`` on, plus a follow-up visit about halfway between each."""
    cks = rec.checkups()
    visits = {e.id: e for e in cks[k:]}
    if midyear:
        for i in range(k, len(cks)):
            mid = cks[i].start.date() + timedelta(days=182 + rec.rng.randint(-21, 21))
            nxt = cks[i + 1].start.date() if i + 1 < len(cks) else rec.info.last_visit
            if mid <= nxt - timedelta(days=60):
                enc = rec.visit(mid, "followup", reason, reuse_days=45)
                visits[enc.id] = enc
    return sorted(visits.values(), key=lambda e: e.start)


def followup_cc(rec: PatientRecord, enc: Encounter, name: str) -> None:
    if enc.kind == "followup":
        rec.note(enc, "chief_complaint", f"Follow-up of [problem:{name}].")


def mdrd_creatinine(egfr: float, age: int, female: bool) -> float:
    """Serum creatinine (mg/dL) that the MDRD equation maps to ``egfr``: keeps the pair consistent."""
    k = 175 * age**-0.203 * (0.742 if female else 1.0)
    return (egfr / k) ** (-1 / 1.154)


# --- type 2 diabetes ----------------------------------------------------------


def t2dm(rec: PatientRecord) -> None:
    rng, s = rec.rng, "t2dm"
    cks = rec.checkups()
    k = diagnosis_index(rec)
    pre: Condition | None = None
    if k >= 1 and rng.random() < 0.6:
        j = rng.randrange(0, k)
        pre = rec.diagnose(cks[j], v.PREDIABETES, s)
        rec.event("prediabetes diagnosed", "diagnosed", "prediabetes", pre, pre.onset, s)
        for n, enc in enumerate(cks[j:k]):
            a1c = rec.observe(enc, v.HBA1C, rng.uniform(5.8, 6.1) + 0.12 * n)
            rec.observe(enc, v.GLUCOSE, rng.uniform(100, 124))
            if n == 0:
                rec.note(
                    enc,
                    AP,
                    f"[problem:Prediabetes], HbA1c {fmt(a1c.value, 1)} %. Counseled on diet and exercise. "
                    "Recheck HbA1c in one year.",
                )
    dx = cks[k]
    mode = rng.choices(("improving", "worsening", "stable"), (0.45, 0.3, 0.25))[0]
    gi_stop = rng.random() < 0.15
    visits = schedule(rec, k, v.T2DM)
    cond = rec.diagnose(dx, v.T2DM, s)
    rec.event("type 2 diabetes diagnosed", "diagnosed", "type 2 diabetes", cond, cond.onset, s)
    if pre is not None:
        pre = rec.resolve(pre, dx.start)
        rec.event("prediabetes resolved", "resolved", "prediabetes", pre, dx.start, s)
    met = rec.prescribe(dx, v.METFORMIN, s, reason=cond)
    rec.event("metformin started", "started", "metformin", met, met.start, s)
    rec.care_plan(dx, v.DIABETES_PLAN, cond, (v.DIABETIC_DIET, v.EXERCISE))
    a0 = rng.uniform(7.2, 9.8)
    target = rng.uniform(6.2, 7.0)
    rate = rng.uniform(0.3, 0.7)
    value, prev = a0, a0
    insulin: Medication | None = None
    declined = False
    stop_at = rng.randrange(1, len(visits)) if gi_stop and len(visits) > 2 else -1
    for i, enc in enumerate(visits):
        if i > 0:
            dt = years_between(visits[i - 1].start, enc.start)
            if insulin is not None:
                value += (7.2 - value) * 0.5
            elif mode == "improving":
                value += (target - value) * 0.55
            elif mode == "worsening":
                value += rate * dt
            else:
                value += (a0 - value) * 0.5
            value = min(max(value + rng.gauss(0, 0.15), 5.6), 13.5)
        a1c = rec.observe(enc, v.HBA1C, value)
        rec.observe(enc, v.GLUCOSE, 28.7 * a1c.value - 46.7 + rng.gauss(0, 10))
        if i == 0:
            rec.note(
                enc,
                "hpi",
                "Reports [finding:increased thirst] and [finding:frequent urination] for several months.",
            )
            rec.note(
                enc,
                AP,
                f"New diagnosis of [problem:type 2 diabetes], HbA1c {fmt(a1c.value, 1)} %. "
                "Started [drug:metformin] 500 mg extended release daily. "
                "Consider [drug!hyp:insulin] if HbA1c stays above 9 %.",
            )
        else:
            followup_cc(rec, enc, "type 2 diabetes")
            rec.note(
                enc,
                AP,
                f"[problem:Type 2 diabetes]: HbA1c {fmt(a1c.value, 1)} %, {compare(prev, a1c.value, 0.2, 1)} %.",
            )
        prev = a1c.value
        since = years_between(dx.start, enc.start)
        wants_insulin = a1c.value >= 9.0 or (a1c.value >= 8.3 and mode == "worsening" and rng.random() < 0.4)
        if insulin is None and not declined and i > 0 and since >= 0.9 and wants_insulin:
            # Some patients decline insulin, so their HbA1c keeps rising (an increasing trend).
            if mode == "worsening" and rng.random() < 0.5:
                declined = True
                rec.note(
                    enc,
                    AP,
                    "Discussed starting [drug!hyp:insulin]; patient declines [drug!neg:insulin] for now.",
                )
            else:
                insulin = rec.prescribe(enc, v.INSULIN, s, reason=cond)
                rec.event("insulin started", "started", "insulin", insulin, insulin.start, s)
                rec.note(
                    enc,
                    AP,
                    "HbA1c above goal on oral therapy; started [drug:insulin] 70/30 twice daily. "
                    "Return if [finding!hyp:low blood sugar] episodes occur.",
                )
        if i == stop_at and rec.current(met).end is None:
            met = rec.stop(met, enc.start, "diarrhea")
            rec.event("metformin stopped", "stopped", "metformin", met, enc.start, s)
            rec.note(enc, "hpi", "Persistent [finding:diarrhea] since starting [drug:metformin].")
            rec.note(enc, AP, "Stopped [drug:metformin] because of [finding:diarrhea].")


# --- chronic kidney disease ------------------------------------------------------


def ckd(rec: PatientRecord) -> None:
    rng, s = rec.rng, "ckd"
    cks = rec.checkups()
    k = diagnosis_index(rec)
    diabetic = "t2dm" in rec.info.stories
    female = rec.info.sex == "female"
    e_dx = rng.uniform(62, 82) if rng.random() < 0.65 else rng.uniform(45, 58)
    roll = rng.random()
    if roll < (0.55 if diabetic else 0.3):
        rate = rng.uniform(6, 11)  # fast decline: reaches stage 4 within the record for many
    elif roll < 0.8:
        rate = rng.uniform(1.5, 4.5)
    else:
        rate = rng.uniform(-1.0, 1.0)  # stable kidney function
    dx = cks[k]
    visits = sorted(
        {e.id: e for e in cks[:k] + schedule(rec, k, v.CKD_STAGE[3])}.values(), key=lambda e: e.start
    )
    stage, cond = 0, None
    for enc in visits:
        t = years_between(dx.start, enc.start)
        egfr = e_dx - rate * t + rng.gauss(0, 2.0)
        egfr = min(egfr, 108.0) if t < 0 else min(max(egfr, 8.0), 89.0)
        obs = rec.observe(enc, v.EGFR, egfr)
        rec.observe(enc, v.CREATININE, mdrd_creatinine(obs.value, rec.info.age_at(enc.start), female))
        if t < 0:
            continue
        now = 2 if obs.value >= 60 else 3 if obs.value >= 30 else 4
        if now > stage:
            new = rec.diagnose(enc, v.CKD_STAGE[now], s)
            what = v.CKD_STAGE[now].name
            rec.event(f"{what} diagnosed", "diagnosed", what, new, new.onset, s)
            if cond is None:
                rec.perform(enc, v.URINE_PROTEIN, reason=new, minutes=10)
                rec.note(
                    enc,
                    AP,
                    f"[problem:{what.capitalize()}], eGFR {fmt(obs.value)}. "
                    "Recheck kidney function in six months.",
                )
            else:
                old = rec.resolve(cond, enc.start)
                rec.event(f"{old.concept.name} resolved", "resolved", old.concept.name, old, enc.start, s)
                rec.note(enc, AP, f"eGFR {fmt(obs.value)}, progressed to [problem:{what}].")
            cond, stage = new, now
        else:
            followup_cc(rec, enc, "chronic kidney disease")
            rec.note(enc, AP, f"[problem:Chronic kidney disease] stage {stage}: eGFR {fmt(obs.value)}.")
        if obs.value < 30:
            for med in rec.medications_at(enc.start):
                # Only a metformin still open-ended: one already set to stop later keeps its story.
                if med.drug == v.METFORMIN and med.end is None:
                    stopped = rec.stop(med, enc.start, "eGFR below 30")
                    rec.event("metformin stopped", "stopped", "metformin", stopped, enc.start, s)
                    rec.note(
                        enc,
                        AP,
                        f"Stopped [drug:metformin] because eGFR is {fmt(obs.value)}, below 30.",
                    )


# --- hypertension ---------------------------------------------------------------


def hypertension(rec: PatientRecord) -> None:
    rng, s = rec.rng, "hypertension"
    cks = rec.checkups()
    k = diagnosis_index(rec, earliest=1)
    dx = cks[k]
    mode = rng.choices(("controlled", "uncontrolled", "worsening"), (0.5, 0.3, 0.2))[0]
    first = cks[0].start
    s_pre, s_dx = rng.uniform(132, 144), rng.uniform(148, 168)
    sys_points = [(first, s_pre), (dx.start - timedelta(days=1), s_dx), (dx.start, s_dx)]
    later = cks[k + 1 :]
    step_up: list[tuple[Encounter, v.Drug]] = []
    if mode == "controlled":
        sys_points.append((dx.start + timedelta(days=180), rng.uniform(122, 134)))
    elif mode == "uncontrolled":
        high = rng.uniform(142, 152)
        sys_points.append((dx.start + timedelta(days=180), high))
        if later:
            m = later[0]
            step_up.append((m, v.AMLODIPINE))
            sys_points += [(m.start, high), (m.start + timedelta(days=180), rng.uniform(132, 138))]
            if len(later) > 1 and rng.random() < 0.5:
                m2 = later[1]
                step_up.append((m2, v.HCTZ))
                sys_points += [
                    (m2.start, sys_points[-1][1]),
                    (m2.start + timedelta(days=180), rng.uniform(120, 130)),
                ]
    else:
        sys_points.append((dx.start + timedelta(days=180), rng.uniform(130, 138)))
        end = datetime.combine(rec.info.last_visit, datetime.min.time())
        sys_points.append((end, s_dx + rng.uniform(8, 18)))  # rising again despite treatment
    offset = rng.uniform(-4, 4)
    rec.systolic = Curve(sys_points)
    rec.diastolic = Curve([(t, 0.6 * val + 8 + offset) for t, val in sys_points])

    cond = rec.diagnose(dx, v.HYPERTENSION, s)
    rec.event("hypertension diagnosed", "diagnosed", "hypertension", cond, cond.onset, s)
    acei = rec.prescribe(dx, v.LISINOPRIL, s, reason=cond)
    rec.event("lisinopril started", "started", "lisinopril", acei, acei.start, s)
    bp = rec.bp(dx)
    rec.note(
        dx,
        AP,
        f"[problem:Hypertension], BP {bp.systolic}/{bp.diastolic} today and elevated at prior visits. "
        "Started [drug:lisinopril] 10 mg daily; low-salt diet.",
    )
    if rng.random() < 0.35:
        day = as_day(dx.start) + timedelta(days=rng.randint(30, 200))
        enc = rec.visit(day, "problem", v.COUGH)
        acei = rec.stop(acei, enc.start, "cough")
        rec.event("lisinopril stopped", "stopped", "lisinopril", acei, enc.start, s)
        arb = rec.prescribe(enc, v.LOSARTAN, s, reason=cond)
        rec.event("losartan started", "started", "losartan", arb, arb.start, s)
        rec.note(enc, "chief_complaint", "Dry [finding:cough].")
        rec.note(
            enc,
            "hpi",
            "Dry [finding:cough] for several weeks since starting [drug:lisinopril]. No [finding!neg:fever].",
        )
        rec.note(
            enc,
            AP,
            "Likely a side effect of the ACE inhibitor. Stopped [drug:lisinopril] because of [finding:cough]; "
            "started [drug:losartan] 50 mg daily.",
        )
    for enc, drug in step_up:
        bp = rec.bp(enc)
        med = rec.prescribe(enc, drug, s, reason=cond)
        rec.event(f"{drug.concept.name} started", "started", drug.concept.name, med, med.start, s)
        rec.note(
            enc,
            AP,
            f"BP {bp.systolic}/{bp.diastolic}, above goal; added [drug:{drug.concept.name}] {drug.sig.split(' by')[0]} daily.",
        )
    added = {e.id for e, _ in step_up}
    for enc in later:
        if enc.id in added:
            continue
        bp = rec.bp(enc)
        goal = "at goal" if bp.systolic < 135 else "above goal"
        rec.note(enc, AP, f"[problem:Hypertension]: BP {bp.systolic}/{bp.diastolic}, {goal}.")
        if mode == "worsening" and goal == "above goal":
            rec.note(enc, "hpi", "Admits to missing doses of blood pressure medicine.")


# --- hyperlipidemia ---------------------------------------------------------------


def hyperlipidemia(rec: PatientRecord) -> None:
    rng, s = rec.rng, "hyperlipidemia"
    cks = rec.checkups()
    k = diagnosis_index(rec)
    mode = rng.choices(("responds", "switch", "nonadherent"), (0.5, 0.3, 0.2))[0]
    lifestyle_first = rng.random() < 0.3 and k + 2 < len(cks)
    ldl0, hdl, tg = rng.uniform(165, 215), rng.uniform(36, 62), rng.uniform(120, 260)
    cond = rec.diagnose(cks[k], v.HYPERLIPIDEMIA, s)
    rec.event("hyperlipidemia diagnosed", "diagnosed", "hyperlipidemia", cond, cond.onset, s)
    start_k = k + 1 if lifestyle_first else k
    switch_k = start_k + 1 if mode == "switch" and start_k + 1 < len(cks) else -1
    myalgia = rng.random() < 0.5
    statin: Medication | None = None
    factor = 1.0
    prev = None
    for i in range(max(k - 1, 0), len(cks)):
        enc = cks[i]
        if i == start_k:
            statin = rec.prescribe(enc, v.SIMVASTATIN, s, reason=cond)
            rec.event("simvastatin started", "started", "simvastatin", statin, statin.start, s)
        if i == switch_k and statin is not None:
            why = "muscle aches" if myalgia else "LDL not at goal"
            statin = rec.stop(statin, enc.start, why)
            rec.event("simvastatin stopped", "stopped", "simvastatin", statin, enc.start, s)
            statin = rec.prescribe(enc, v.ATORVASTATIN, s, reason=cond)
            rec.event("atorvastatin started", "started", "atorvastatin", statin, statin.start, s)
        ldl = ldl0 * factor * rng.uniform(0.96, 1.04) - (rng.uniform(0, 15) if i < k else 0)
        obs = rec.observe(enc, v.LDL, ldl)
        h = rec.observe(enc, v.HDL, hdl + rng.gauss(0, 2))
        t = rec.observe(enc, v.TRIGLYCERIDES, tg * (0.85 if statin else 1.0) + rng.gauss(0, 12))
        rec.observe(enc, v.TOTAL_CHOLESTEROL, obs.value + h.value + t.value / 5)
        if i == k:
            rec.note(enc, AP, f"[problem:Hyperlipidemia], LDL {fmt(obs.value)} mg/dL.")
            if lifestyle_first:
                rec.note(enc, AP, "Diet and exercise for one year, then consider [drug!hyp:statin therapy].")
        if i == start_k:
            rec.note(enc, AP, "Started [drug:simvastatin] 20 mg at bedtime.")
        elif i == switch_k:
            if myalgia:
                rec.note(enc, "hpi", "Reports [finding:muscle aches] on [drug:simvastatin].")
                rec.note(
                    enc,
                    AP,
                    "Stopped [drug:simvastatin] because of [finding:muscle aches]; started [drug:atorvastatin] 80 mg.",
                )
            else:
                rec.note(
                    enc,
                    AP,
                    f"LDL {fmt(obs.value)} mg/dL, not at goal. Switched from [drug:simvastatin] to "
                    "[drug:atorvastatin] 80 mg daily.",
                )
        elif i > k and prev is not None:
            rec.note(
                enc,
                AP,
                f"[problem:Hyperlipidemia]: LDL {fmt(obs.value)} mg/dL, {compare(prev, obs.value, 8)}.",
            )
        prev = obs.value
        # The next panel reflects the drug taken from this visit on.
        if statin is not None:
            on_atorva = statin.drug == v.ATORVASTATIN
            if mode == "nonadherent":
                factor = rng.uniform(0.92, 1.15)
            elif on_atorva:
                factor = rng.uniform(0.45, 0.55)
            elif mode == "switch":
                factor = rng.uniform(0.8, 0.88)
            else:
                factor = rng.uniform(0.55, 0.7)


# --- asthma ---------------------------------------------------------------------


def asthma(rec: PatientRecord) -> None:
    rng, s = rec.rng, "asthma"
    first, last = rec.info.first_visit, rec.info.last_visit
    span = (last - first).days
    dx = rec.visit(first + timedelta(days=rng.randint(20, max(21, span // 3))), "problem", v.ASTHMA)
    cond = rec.diagnose(dx, v.ASTHMA, s)
    rec.event("asthma diagnosed", "diagnosed", "asthma", cond, cond.onset, s)
    rec.perform(dx, v.SPIROMETRY, reason=cond)
    saba = rec.prescribe(dx, v.ALBUTEROL, s, reason=cond)
    rec.event("albuterol started", "started", "albuterol", saba, saba.start, s)
    rec.care_plan(dx, v.ASTHMA_PLAN, cond, (v.SMOKE_FREE,))
    rec.note(dx, "chief_complaint", "[finding:Wheezing] and [finding:cough] at night.")
    rec.note(
        dx,
        "hpi",
        "Recurrent [finding:wheezing] and night-time [finding:cough] for months, worse with exercise. "
        "No [finding!neg:fever].",
    )
    rec.note(
        dx,
        AP,
        "[problem:Asthma], confirmed by [procedure:spirometry]. Started [drug:albuterol] inhaler as needed.",
    )
    n = rng.choices((0, 1, 2, 3, 4), (0.15, 0.3, 0.25, 0.2, 0.1))[0]
    window = (last - as_day(dx.start)).days - 30
    days = sorted(rng.sample(range(30, max(window, 31)), min(n, max(window - 30, 0))))
    days = [d for i, d in enumerate(days) if i == 0 or d - days[i - 1] > 60]
    for i, d in enumerate(days):
        enc = rec.visit(as_day(dx.start) + timedelta(days=d), "emergency", v.ASTHMA_EXACERBATION)
        onset = enc.start - timedelta(days=rng.randint(1, 3))
        ex = rec.diagnose(
            enc,
            v.ASTHMA_EXACERBATION,
            s,
            onset=onset,
            abatement=enc.start + timedelta(days=rng.randint(5, 14)),
            category="encounter-diagnosis",
        )
        rec.event("asthma exacerbation", "exacerbation", "asthma exacerbation", ex, enc.start, s)
        rec.perform(enc, v.NEBULIZER, reason=ex, minutes=30)
        rec.prescribe(enc, v.PREDNISONE, s, reason=ex, course_days=5)
        spo2 = rec.observe(enc, v.SPO2, rng.uniform(89, 95), minutes=5)
        rec.observe(enc, v.RESP_RATE, rng.uniform(22, 30), minutes=5)
        rec.note(enc, "chief_complaint", "[finding:Shortness of breath] and [finding:wheezing].")
        rec.note(
            enc,
            "hpi",
            f"{_days(enc.start - onset)} of [finding:wheezing] and [finding:shortness of breath] "
            "after a [problem:viral upper respiratory infection]. Denies [finding!neg:chest pain].",
        )
        plan = (
            f"[problem:Asthma exacerbation], oxygen saturation {fmt(spo2.value)} %. "
            "Given [procedure:nebulizer treatment] and started [drug:prednisone] 40 mg for 5 days."
        )
        if rng.random() < 0.35:
            rec.perform(enc, v.CHEST_XRAY, reason=ex, minutes=15)
            plan += " Possible [problem!unc:pneumonia]; [procedure:chest X-ray] without infiltrate."
        rec.note(enc, AP, plan + " Return if [finding!hyp:shortness of breath] worsens.")
        if i == 1:
            ics = rec.prescribe(enc, v.FLUTICASONE, s, reason=cond)
            rec.event("fluticasone started", "started", "fluticasone", ics, ics.start, s)
            rec.note(
                enc, AP, "Second exacerbation: started controller [drug:fluticasone] inhaler twice daily."
            )


def _days(delta: timedelta) -> str:
    n = max(delta.days, 1)
    return "One day" if n == 1 else f"{n} days"


# --- acute, self-limited problems --------------------------------------------------


def _antibiotic(rec: PatientRecord, preferred: v.Drug) -> v.Drug:
    """A penicillin-allergic patient gets azithromycin instead of a penicillin."""
    if rec.info.penicillin_allergy and preferred in (v.AMOXICILLIN, v.AMOX_CLAV):
        return v.AZITHROMYCIN
    return preferred


def episode(rec: PatientRecord, kind: str, day: date, story: str, number: int = 0) -> Condition:
    """One acute problem: a visit, a resolved condition, tests, a completed course and a note."""
    rng = rec.rng
    concept = {
        "bronchitis": v.BRONCHITIS,
        "uti": v.UTI,
        "fracture": v.ANKLE_FRACTURE,
        "strep": v.STREP_THROAT,
        "sinusitis": v.SINUSITIS,
    }[kind]
    enc = rec.visit(day, "problem", concept)
    onset = enc.start - timedelta(days=rng.randint(1, 10) if kind != "fracture" else 0, hours=2)
    heal = rng.randint(42, 70) if kind == "fracture" else rng.randint(7, 21)
    cond = rec.diagnose(enc, concept, story, onset=onset, category="encounter-diagnosis")
    rec.event(f"{concept.name} diagnosed", "diagnosed", concept.name, cond, enc.start, story)
    name = concept.name
    cc, hpi, plan = "", "", ""
    if kind == "bronchitis":
        cc = "[finding:Cough] for ten days."
        hpi = "[finding:Productive cough] and [finding:chest congestion]. No [finding!neg:fever] or [finding!neg:chills]."
        rec.perform(enc, v.CHEST_XRAY, reason=cond, minutes=15)
        plan = (
            "[problem:Acute bronchitis]; possible [problem!unc:pneumonia], [procedure:chest X-ray] clear. "
            "No [drug!neg:antibiotics] needed. Return if [finding!hyp:fever] develops."
        )
    elif kind == "uti":
        cc = "[finding:Burning with urination]."
        hpi = "[finding:Dysuria] and [finding:urinary frequency] for three days. Denies [finding!neg:flank pain]."
        rec.perform(enc, v.URINE_CULTURE, reason=cond, minutes=5)
        rec.prescribe(enc, v.CIPROFLOXACIN, story, reason=cond, course_days=3)
        plan = "[problem:Urinary tract infection]; [procedure:urine culture] sent. Started [drug:ciprofloxacin] for 3 days."
    elif kind == "fracture":
        cc = "[finding:Ankle pain] after a fall."
        hpi = "Twisted ankle on stairs today with [finding:ankle swelling]. No [finding!neg:head injury]."
        rec.perform(enc, v.ANKLE_XRAY, reason=cond, minutes=15)
        rec.perform(enc, v.IMMOBILIZATION, reason=cond, minutes=20)
        rec.prescribe(enc, v.IBUPROFEN, story, reason=cond, course_days=14)
        plan = (
            "[problem:Ankle fracture] on [procedure:ankle X-ray]. [procedure:Splinting] applied; "
            "[drug:ibuprofen] as needed. Follow up in six weeks."
        )
        check = rec.visit(as_day(enc.start) + timedelta(days=heal), "followup", concept)
        heal = (check.start - enc.start).days
        rec.note(check, "chief_complaint", "Follow-up of [problem:ankle fracture].")
        rec.note(check, AP, "[problem:Ankle fracture] healed; splint removed. Return to full activity.")
    elif kind == "strep":
        drug = _antibiotic(rec, v.AMOXICILLIN)
        cc = "[finding:Sore throat]."
        hpi = "[finding:Sore throat] and [finding:fever] for two days. No [finding!neg:cough]."
        rec.perform(enc, v.THROAT_CULTURE, reason=cond, minutes=5)
        rec.prescribe(enc, drug, story, reason=cond, course_days=10)
        allergy = " [problem:Penicillin allergy] noted." if drug is v.AZITHROMYCIN else ""
        plan = f"[problem:Strep throat], positive [procedure:throat culture].{allergy} Started [drug:{drug.concept.name}]."
    else:
        drug = _antibiotic(rec, v.AMOX_CLAV)
        cc = "[finding:Facial pain] and [finding:congestion]."
        hpi = "[finding:Facial pain] and [finding:nasal congestion] for twelve days. Denies [finding!neg:fever]."
        rec.prescribe(enc, drug, story, reason=cond, course_days=10 if drug is not v.AZITHROMYCIN else 5)
        count = f" Episode {number} of [problem:sinusitis]." if number > 1 else ""
        plan = f"[problem:Acute sinusitis].{count} Started [drug:{drug.concept.name}]."
    cond = rec.resolve(cond, enc.start + timedelta(days=heal))
    rec.event(f"{name} resolved", "resolved", name, cond, cond.abatement or enc.start, story)
    rec.note(enc, "chief_complaint", cc)
    rec.note(enc, "hpi", hpi)
    rec.note(enc, AP, plan)
    return cond


def _episode_days(rec: PatientRecord, n: int, gap_days: int) -> list[date]:
    first, last = rec.info.first_visit, rec.info.last_visit - timedelta(days=80)
    span = max((last - first).days, 1)
    days: list[date] = []
    for _ in range(n * 6):
        if len(days) == n:
            break
        day = first + timedelta(days=rec.rng.randrange(10, max(span, 11)))
        if all(abs((day - d).days) >= gap_days for d in days):
            days.append(day)
    return sorted(days)


def acute(rec: PatientRecord) -> None:
    kinds = rec.rng.sample(("bronchitis", "uti", "fracture", "strep", "sinusitis"), rec.rng.randint(1, 3))
    for kind, day in zip(kinds, _episode_days(rec, len(kinds), 90), strict=False):
        episode(rec, kind, day, "acute")


def recurrent_sinusitis(rec: PatientRecord) -> None:
    s, rng = "recurrent_sinusitis", rec.rng
    # Episodes cluster: 4-10 months apart, all before the last visit.
    n = rng.randint(3, 4)
    gaps = [rng.randint(120, 300) for _ in range(n - 1)]
    latest = (rec.info.last_visit - timedelta(days=80) - rec.info.first_visit).days - sum(gaps)
    day = rec.info.first_visit + timedelta(days=rng.randint(10, max(latest, 11)))
    days = [day]
    for gap in gaps:
        days.append(days[-1] + timedelta(days=gap))
    last: Condition | None = None
    for number, day in enumerate(days, start=1):
        last = episode(rec, "sinusitis", day, s, number=number)
    if last is not None and rng.random() < 0.4:
        enc = rec.visit(last.onset + timedelta(days=45), "followup", v.CHRONIC_SINUSITIS)
        chronic = rec.diagnose(enc, v.CHRONIC_SINUSITIS, s)
        rec.event("chronic sinusitis diagnosed", "diagnosed", "chronic sinusitis", chronic, chronic.onset, s)
        rec.note(enc, "chief_complaint", "Follow-up of recurrent [problem:sinusitis].")
        rec.note(
            enc,
            AP,
            f"{len(days)} episodes of [problem:acute sinusitis]; now [problem:chronic sinusitis]. "
            "Consider [procedure!hyp:sinus CT] if symptoms persist.",
        )


# Run in this order: CKD must come after the diabetes story whose metformin it may stop.
STORIES: dict[str, Callable[[PatientRecord], None]] = {
    "t2dm": t2dm,
    "hypertension": hypertension,
    "hyperlipidemia": hyperlipidemia,
    "ckd": ckd,
    "asthma": asthma,
    "acute": acute,
    "recurrent_sinusitis": recurrent_sinusitis,
}

# How often each story is drawn (relative weights).
STORY_WEIGHTS: dict[str, float] = {
    "t2dm": 1.0,
    "hypertension": 1.2,
    "hyperlipidemia": 1.0,
    "ckd": 0.6,
    "asthma": 0.6,
    "acute": 1.0,
    "recurrent_sinusitis": 0.5,
}

CHRONIC = ("t2dm", "hypertension", "hyperlipidemia", "ckd")
