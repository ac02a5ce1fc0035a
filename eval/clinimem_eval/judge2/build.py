"""Assemble judge2 phrasings: drop the original phrasings, write new ones from templates.py.

Run from the repo root:  python eval/clinimem_eval/judge2/build.py
"""

import datetime as dt
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import names  # noqa: E402
import records  # noqa: E402
import templates  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FILES = [
    ("invariance/facts_synthea_r4.jsonl", "invariance/facts_synthea_r4_judge2.jsonl"),
    ("everyday/facts_synthea_r4.jsonl", "everyday/facts_synthea_r4_judge2.jsonl"),
]
PREFIXES = ["For this patient, ", "Per the chart, ", "Quick question: ", "Checking the record - ",
            "From the EHR, ", "Hey, ", "Chart check: ", "One more thing: ", "Looking at the record, "]
SUFFIXES = [" (per chart)", " - from the record", " for this pt", " in the chart"]
AFTER = [" Thanks.", " Thx", " Thank you!", " Appreciate it."]
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
UNITS = {"mm[Hg]": "mmHg", "mL/min/{1.73_m2}": "mL/min/1.73m2", "{score}": "", "kg/m2": "kg/m2"}

RES, PATS = records.load()


def display(r):
    for k in ("code", "medicationCodeableConcept", "vaccineCode"):
        if k in r:
            return r[k].get("text") or r[k]["coding"][0].get("display")
    return None


def when(r):
    for k in ("effectiveDateTime", "authoredOn", "onsetDateTime", "occurrenceDateTime", "recordedDate"):
        if r.get(k):
            return r[k][:10]
    return (r.get("period") or {}).get("start", "")[:10]


def typo(word):
    parts = word.split()
    i = max(range(len(parts)), key=lambda j: len(parts[j]))
    w = parts[i]
    if len(w) >= 4:
        k = len(w) // 2
        w = w[:k - 1] + w[k] + w[k - 1] + w[k + 1:]
    parts[i] = w
    return " ".join(parts)


def strip_paren(s):
    return re.sub(r"\s*\((disorder|finding|procedure)\)", "", s).strip()


def lab_names(concept):
    if concept in names.LAB:
        s, a, lay = names.LAB[concept]
    else:
        s = strip_paren(concept)
        a, lay = [s], [s]
    return {"D": concept, "S": s, "A": a, "L": lay, "T": typo(s)}


def drug_names(concept, disp=None):
    if concept in names.DRUG:
        s, a, lay, b = names.DRUG[concept]
    else:
        s, a, lay, b = concept, [concept], [concept], None
    return {"D": disp or concept, "S": s, "A": a, "L": lay, "B": b, "T": typo(s)}


def cond_names(concept):
    if concept in names.COND:
        s, a, lay = names.COND[concept]
    else:
        s = strip_paren(concept)
        s = s[0].lower() + s[1:] if s[:2] != s[:2].upper() else s
        a, lay = [s], [s]
    return {"D": concept, "S": s, "A": a, "L": lay, "T": typo(s)}


def vax_names(concept):
    s, a, lay = names.VAX.get(concept, (concept, [concept], [concept]))
    return {"D": concept, "S": s, "A": a, "L": lay, "T": typo(s)}


def date_fields(iso):
    d = dt.date.fromisoformat(iso)
    return {
        "iso": iso, "date": d.strftime("%B %-d, %Y"), "slash": d.strftime("%-m/%-d/%Y"),
        "month": d.strftime("%B %Y"), "mon_short": d.strftime("%b %Y"), "mm_yyyy": d.strftime("%m/%Y"),
        "month_lower": d.strftime("%B %Y").lower(), "year": str(d.year),
    }


def event_fields(fact):
    ref = fact["context_resources"][0]
    ev = RES[ref]
    disp = display(ev)
    pid = fact["patient_id"]
    same = sorted(when(r) for r in PATS[pid]["resources"]
                  if r["resourceType"] == ev["resourceType"] and display(r) == disp)
    first = when(ev) == same[0]
    n = drug_names(disp) if ev["resourceType"] == "MedicationRequest" else cond_names(disp)
    f = {"evD": disp, "evS": n["S"], "evA": n["A"][0], "evL": n["L"][0], "evB": n.get("B") or n["S"]}
    d = date_fields(when(ev))
    f["evwhen"] = "" if first else f" on {d['date']}"
    f["evwhen_paren"] = "" if first else f" ({d['slash']})"
    f["_has_brand"] = bool(n.get("B"))
    return f


def fields_for(fact):
    op, concept = fact["op"], fact["concept"]
    gold_res = [RES[g] for g in fact["gold_resources"] if g in RES]
    f = {}
    if op in ("last_value", "first_value", "value_on_date", "in_month", "in_year", "before_event_med",
              "after_event_med", "before_event", "after_event", "at_visit_cond", "trend_all", "trend_last",
              "count_obs", "abstain_lab"):
        f.update(lab_names(concept))
        if op in ("value_on_date", "in_month", "in_year"):
            f.update(date_fields(when(gold_res[0])))
        if op in ("before_event_med", "after_event_med", "before_event", "after_event", "at_visit_cond"):
            f.update(event_fields(fact))
    elif op == "value_at_visit":
        f.update(lab_names(re.sub(r" \d{4}-\d\d$", "", concept)))
        f.update(date_fields(when(gold_res[0])))
    elif op == "times_above_threshold":
        lab, thr = concept.rsplit(" > ", 1)
        f.update(lab_names(lab))
        o = (gold_res or [RES[c] for c in fact["context_resources"]])[0]
        unit = (o.get("valueQuantity") or {}).get("unit")
        if unit is None:
            unit = "mm[Hg]"
        f["thr"], f["unit"] = thr, UNITS.get(unit, unit)
    elif op == "time_since_last":
        if concept in names.VAX:
            f.update(vax_names(concept))
        else:
            f.update(lab_names(concept))
    elif op in ("first_rx_date", "on_drug", "abstain_drug"):
        f.update(drug_names(concept))
    elif op in ("drug_since", "drug_stopped"):
        f.update(drug_names(concept, display(gold_res[0]) if gold_res else concept))
    elif op == "on_drug_class_now":
        s, a, lay, ex = names.DRUG_CLASS[concept]
        f.update({"D": concept, "S": s, "A": a, "L": lay, "T": typo(s), "B1": ex[0], "B2": ex[1]})
    elif op in ("onset_date", "cond_active", "abstain_condition", "history_of", "ever_had"):
        f.update(cond_names(concept))
    elif op in ("last_imm_date", "count_imm", "abstain_vaccine"):
        f.update(vax_names(concept))
    elif op in ("visit_count_since_year", "visit_count_in_year"):
        f["year"] = re.search(r"\d{4}", concept).group(0)
    elif op == "visit_count_by_type":
        vt, year = re.match(r"(\w+) Encounter in (\d{4})", concept).groups()
        v, va, vl = names.VISIT_TYPE[vt]
        f.update({"vt": v, "vA": va[0], "vL": vl[0], "year": year})
    return f


def pick(v, rng):
    return rng.choice(v) if isinstance(v, list) else v


def render(tmpl, style, f, sex, rng):
    he, his, him = ("she", "her", "her") if sex == "female" else ("he", "his", "him")
    vals = {k: pick(v, rng) for k, v in f.items() if not k.startswith("_")}
    vals.update({"he": he, "his": his, "him": him, "He": he.capitalize(), "His": his.capitalize()})
    out = tmpl.format(**vals).replace("the the ", "the ").replace("The the ", "The ")
    if style not in ("lowercase", "shorthand", "typo") and out[:1].islower():
        out = out[0].upper() + out[1:]
    if style == "lowercase":
        out = re.sub(r"[?.,!]", "", out.lower()).strip()
    return out


def phrasings_for(fact, seen, tries=0):
    avoid = {p.lower().strip(" ?.") for p in fact.get("_orig", [])}
    op = fact["op"]
    if op == "time_since_last":
        pool = templates.TIME_SINCE_IMM if fact["concept"] in names.VAX else templates.TIME_SINCE_OBS
    else:
        pool = templates.OPS[op]
    f = fields_for(fact)
    if "B" in f and not f.get("B"):
        pool = [p for p in pool if p[0] != "brand"]
    if "_has_brand" in f and not f["_has_brand"]:
        pool = [p for p in pool if p[0] != "brand"]
    sex = PATS[fact["patient_id"]]["patient"]["gender"]
    seed = int(hashlib.sha1(f"{fact['fact_id']}:{tries}".encode()).hexdigest()[:12], 16)
    rng = random.Random(seed)
    n = min(len(pool), 13)
    chosen = rng.sample(pool, n)
    out, styles = [], []
    for i, (style, t) in enumerate(chosen):
        q = render(t, style, f, sex, rng)
        if style not in ("lowercase", "terse", "typo") and i % 4 == rng.randrange(4):
            x = rng.random()
            if x < 0.45:
                first = q.split()[0]
                keep = q[:2] == q[:2].upper() or first in MONTHS or first in ("I", "I'm", "I'd")
                q = rng.choice(PREFIXES) + (q if keep else q[0].lower() + q[1:])
            elif x < 0.75 and "chart" not in q and "record" not in q:
                q = q.rstrip("?.") + rng.choice(SUFFIXES) + ("?" if q.endswith("?") else ".")
            else:
                q = q + rng.choice(AFTER)
        k = 0
        while q.lower().strip(" ?.") in avoid and k < 10:
            # collision with an original phrasing (detected by set lookup only): reword
            q = (rng.choice(PREFIXES) + q) if style != "lowercase" else ("pls " + q if k == 0 else q + " " + str(k))
            k += 1
        if q not in out:
            out.append(q)
            styles.append(style)
    key = (op, tuple(sorted(out)))
    if (key in seen or len(out) < 12) and tries < 20:
        return phrasings_for(fact, seen, tries + 1)
    seen.add(key)
    return out, styles


def main():
    seen = set()
    total = Counter()
    nfacts = 0
    for src, dst in FILES:
        with open(os.path.join(ROOT, src)) as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        with open(os.path.join(ROOT, dst), "w") as fh:
            for r in rows:
                keys = list(r)
                r["_orig"] = r["phrasings"]  # used only to avoid exact repeats; never printed
                ph, st = phrasings_for(r, seen)
                r["phrasings"], r["phrasing_styles"] = ph, st
                r = {k: r[k] for k in keys}
                total.update(st)
                nfacts += 1
                fh.write(json.dumps(r) + "\n")
        print(dst, len(rows))
    print("facts", nfacts, "questions", sum(total.values()))
    print(dict(sorted(total.items())))


if __name__ == "__main__":
    main()
