"""Build the phrasing-invariance facts from the 23 real Synthea R4 bundles.

Every gold answer is computed here, straight from the FHIR JSON, by a small reader of its own
(nothing of clinimem's ingest, grounding or question generators is used), and every fact gets
at least 12 phrasings written the way clinicians ask: the record's display name, common
abbreviations, lay terms, brand and generic drug names, terse notes, possessives, other
tenses, lower case without punctuation, typos and filler words.

    python -m clinimem_eval.invariance.build \
        [--data /work/shared/data/synthea-r4] [--out eval/clinimem_eval/invariance/facts_synthea_r4.jsonl]

A fact is only asked when its answer is unambiguous in the record: a concept is skipped for a
patient when another of the patient's concepts shares its name, abbreviation or drug/condition
family (two hematocrit codes, HCTZ 6.25 and 25 MG, Errin and Camila); a "last", "first", "on
that day", "in that month" question needs exactly one result on the day (month, year) that
answers it; "before"/"after" an event needs no result of the concept on the event's own day;
trends whose relative change is within one point of the +/-5 % rule are skipped.

Rules for the gold values:

- ``value``: ``valueQuantity.value`` (a blood pressure component is its own concept; its
  resource is the panel Observation); ``unit`` is ``valueQuantity.unit``.
- ``date``: ``YYYY-MM-DD`` of ``onsetDateTime`` / ``authoredOn`` / ``occurrenceDateTime``.
- ``trend``: relative change of the last value of the window versus its first: above +5 %
  ``increasing``, below -5 % ``decreasing``, else ``stable``.
- ``count``: distinct resources. ``list``: sorted distinct display strings as in the record.
- ``boolean`` (update): a drug is current when its latest MedicationRequest is ``active``
  (false when every request is ``stopped``/``completed``); a condition is active when its
  clinicalStatus is ``active`` and it has no abatement (false when every occurrence resolved).
- ``none``: the concept appears nowhere in the patient's clinical resources.
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA = Path("/work/shared/data/synthea-r4")
DEFAULT_OUT = Path(__file__).with_name("facts_synthea_r4.jsonl")
MIN_PHRASINGS = 12
SEED = 20240611

CATEGORY_QUOTA = {  # aims: lookup 30 %, temporal 15 %, trend 10 %, aggregation 15 %,
    "lookup": 102,  # update 15 %, multihop 5 %, abstention 10 % of ~340 facts
    "temporal": 51,
    "trend": 34,
    "aggregation": 51,
    "update": 51,
    "multihop": 17,
    "abstention": 34,
}
CLINICAL_TYPES = (
    "Patient", "Encounter", "Condition", "Observation", "MedicationRequest", "Immunization",
    "Procedure", "AllergyIntolerance", "DiagnosticReport", "CarePlan", "Goal", "ImagingStudy",
)  # fmt: skip


# ----------------------------------------------------------------------------- reader


def clean(text: str) -> str:
    """A display as a person would type it (Synthea puts zero-width spaces in some)."""
    return text.replace("\u200b", "").strip()


def ref_id(ref: dict | None) -> str | None:
    if not ref or "reference" not in ref:
        return None
    return ref["reference"].split(":")[-1].split("/")[-1]


@dataclass(frozen=True)
class Obs:
    resource: str  # "Observation/<id>" (the panel for a blood pressure component)
    code: str
    display: str  # as in the record
    value: float
    unit: str
    time: str
    encounter: str | None

    @property
    def date(self) -> str:
        return self.time[:10]


@dataclass(frozen=True)
class Cond:
    resource: str
    code: str
    display: str
    onset: str
    abatement: str | None
    status: str
    encounter: str | None


@dataclass(frozen=True)
class Med:
    resource: str
    code: str
    display: str
    authored: str
    status: str
    encounter: str | None


@dataclass(frozen=True)
class Imm:
    resource: str
    code: str
    display: str
    time: str
    encounter: str | None


@dataclass
class Record:
    patient_id: str
    name: str
    gender: str
    birth: str
    deceased: str | None
    path: Path
    observations: list[Obs] = field(default_factory=list)
    conditions: list[Cond] = field(default_factory=list)
    meds: list[Med] = field(default_factory=list)
    immunizations: list[Imm] = field(default_factory=list)
    allergies: list[tuple[str, str]] = field(default_factory=list)  # (resource, display)
    resources: set[str] = field(default_factory=set)
    blob: str = ""  # lower-case text of every clinical resource, for absence checks


def _codeable(cc: dict) -> tuple[str, str]:
    coding = (cc.get("coding") or [{}])[0]
    return coding.get("code", ""), cc.get("text") or coding.get("display", "")


def read_bundle(path: Path) -> Record:
    bundle = json.loads(path.read_text())
    resources = [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    name = patient.get("name", [{}])[0]
    rec = Record(
        patient_id=patient["id"],
        name=" ".join(name.get("given", []) + [name.get("family", "")]).strip(),
        gender=patient.get("gender", "unknown"),
        birth=patient.get("birthDate", ""),
        deceased=patient.get("deceasedDateTime"),
        path=path,
    )
    texts = []
    for r in resources:
        rt = r["resourceType"]
        if rt not in CLINICAL_TYPES:
            continue
        rid = f"{rt}/{r['id']}"
        rec.resources.add(rid)
        texts.append(json.dumps({k: v for k, v in r.items() if k != "text"}))
        enc = ref_id(r.get("encounter"))
        if rt == "Observation":
            time = r.get("effectiveDateTime") or r.get("issued", "")
            code, display = _codeable(r["code"])
            if "valueQuantity" in r:
                q = r["valueQuantity"]
                rec.observations.append(
                    Obs(rid, code, display, float(q["value"]), q.get("unit", ""), time, enc)
                )
            for comp in r.get("component", []):
                if "valueQuantity" in comp:
                    ccode, cdisplay = _codeable(comp["code"])
                    q = comp["valueQuantity"]
                    rec.observations.append(
                        Obs(rid, ccode, cdisplay, float(q["value"]), q.get("unit", ""), time, enc)
                    )
        elif rt == "Condition":
            code, display = _codeable(r["code"])
            status = _codeable(r.get("clinicalStatus", {}))[0]
            onset = (
                r.get("onsetDateTime") or r.get("onsetPeriod", {}).get("start") or r.get("recordedDate", "")
            )
            abatement = r.get("abatementDateTime") or r.get("abatementPeriod", {}).get("start")
            rec.conditions.append(Cond(rid, code, display, onset, abatement, status, enc))
        elif rt == "MedicationRequest":
            if "medicationCodeableConcept" in r:
                code, display = _codeable(r["medicationCodeableConcept"])
            else:
                code, display = "", r.get("medicationReference", {}).get("display", "")
            rec.meds.append(Med(rid, code, display, r.get("authoredOn", ""), r.get("status", ""), enc))
        elif rt == "Immunization":
            code, display = _codeable(r["vaccineCode"])
            rec.immunizations.append(Imm(rid, code, display, r.get("occurrenceDateTime", ""), enc))
        elif rt == "AllergyIntolerance":
            rec.allergies.append((rid, _codeable(r["code"])[1]))
    rec.blob = clean("\n".join(texts)).lower()
    rec.observations.sort(key=lambda o: o.time)
    rec.conditions.sort(key=lambda c: c.onset)
    rec.meds.sort(key=lambda m: m.authored)
    rec.immunizations.sort(key=lambda i: i.time)
    return rec


# ----------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Names:
    """How a concept is called: the record's display, a short clinical name, abbreviations,
    lay terms, brand names; ``family`` marks concepts a clinician would not tell apart by name."""

    display: str
    short: str
    abbrs: tuple[str, ...] = ()
    lays: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    family: str = ""
    vital: bool = False


def N(short, abbrs=(), lays=(), brands=(), family="", vital=False) -> dict:  # noqa: N802
    return dict(
        short=short,
        abbrs=tuple(abbrs),
        lays=tuple(lays),
        brands=tuple(brands),
        family=family or short,
        vital=vital,
    )


OBS_LEX: dict[str, dict] = {
    "8302-2": N("height", ["Ht", "HT"], ["measured height"], vital=True),
    "29463-7": N("weight", ["Wt", "wt"], ["weight on the scale"], vital=True),
    "39156-5": N("BMI", ["BMI"], ["body mass index number"], vital=True),
    "8480-6": N(
        "systolic blood pressure", ["SBP", "systolic BP", "sys BP"], ["top blood pressure number"], vital=True
    ),
    "8462-4": N(
        "diastolic blood pressure",
        ["DBP", "diastolic BP", "dia BP"],
        ["bottom blood pressure number"],
        vital=True,
    ),
    "72514-3": N("pain score", ["NRS pain", "pain 0-10"], ["pain level"], vital=True),
    "8331-1": N(
        "oral temperature", ["temp", "oral temp"], ["fever reading"], family="temperature", vital=True
    ),
    "2339-0": N("glucose", ["BG", "glu"], ["blood sugar"]),
    "6299-2": N("BUN", ["BUN"], ["urea level"]),
    "38483-4": N("creatinine", ["Cr", "creat"], ["creatinine kidney level"]),
    "49765-1": N("calcium", ["Ca"], ["calcium level"]),
    "2947-0": N("sodium", ["Na"], ["salt level in the blood"]),
    "6298-4": N("potassium", ["K", "K+"], ["potassium level"]),
    "2069-3": N("chloride", ["Cl"], ["chloride level"]),
    "20565-8": N("CO2", ["bicarb", "HCO3"], ["bicarbonate level"]),
    "2093-3": N("total cholesterol", ["TC", "chol"], ["overall cholesterol"]),
    "2571-8": N("triglycerides", ["TG", "trigs"], ["blood fats"]),
    "18262-6": N("LDL cholesterol", ["LDL", "LDL-C"], ["bad cholesterol"]),
    "2085-9": N("HDL cholesterol", ["HDL", "HDL-C"], ["good cholesterol"]),
    "4548-4": N("hemoglobin A1c", ["A1c", "HbA1c", "Hgb A1c"], ["three-month sugar average"]),
    "787-2": N("mean corpuscular volume", ["MCV"], ["red cell size"]),
    "785-6": N("mean corpuscular hemoglobin", ["MCH"]),
    "32207-3": N("platelet distribution width", ["PDW"]),
    "32623-1": N("mean platelet volume", ["MPV"], ["platelet size"]),
    "4544-3": N("hematocrit", ["Hct", "crit"], ["red cell percentage"], family="hematocrit"),
    "20570-8": N("hematocrit", ["Hct", "crit"], ["red cell percentage"], family="hematocrit"),
    "21000-5": N("red cell distribution width", ["RDW"], ["red cell size variation"]),
    "33914-3": N("eGFR", ["eGFR", "GFR"], ["kidney function"]),
    "718-7": N("hemoglobin", ["Hgb", "Hb"], ["hemoglobin level"]),
    "786-4": N("mean corpuscular hemoglobin concentration", ["MCHC"]),
    "777-3": N("platelet count", ["Plt", "plts"], ["platelets"]),
    "6690-2": N("white blood cell count", ["WBC"], ["white count"]),
    "789-8": N("red blood cell count", ["RBC"], ["red count"]),
    "2885-2": N("total protein", ["TP"], ["protein level"]),
    "1751-7": N("albumin", ["Alb", "alb"]),
    "10834-0": N("globulin", ["glob"]),
    "1975-2": N("total bilirubin", ["T bili", "TBili"], ["bilirubin"]),
    "6768-6": N("alkaline phosphatase", ["ALP", "alk phos"]),
    "1742-6": N("alanine aminotransferase", ["ALT", "SGPT"]),
    "1920-8": N("aspartate aminotransferase", ["AST", "SGOT"]),
    "72106-8": N("MMSE score", ["MMSE"], ["memory test score"]),
    "14959-1": N("urine albumin/creatinine ratio", ["UACR", "ACR"], ["protein in the urine"]),
    "10230-1": N("ejection fraction", ["EF", "LVEF"], ["heart pumping strength"]),
    "33762-6": N("NT-proBNP", ["proBNP", "BNP"], ["heart failure blood marker"]),
    "6206-7": N("peanut IgE", ["peanut sIgE"], ["peanut allergy blood test"]),
    "7258-7": N("cow milk IgE", ["milk sIgE"], ["milk allergy blood test"]),
}
BP_PANEL = Names(
    "Blood Pressure", "blood pressure", ("BP",), ("blood pressure reading",), family="bp", vital=True
)

# key: a lower-case substring of the medication display -> names; families group drugs a
# clinician would name alike (all the norethindrone packs, both furosemides).
MED_LEX: list[tuple[str, dict]] = [
    ("simvistatin", N("simvastatin", ["simva"], ["cholesterol pill", "statin"], ["Zocor"], family="statin")),
    (
        "hydrochlorothiazide",
        N("hydrochlorothiazide", ["HCTZ"], ["water pill"], ["Microzide"], family="thiazide"),
    ),
    (
        "acetaminophen 325 mg / oxycodone",
        N(
            "oxycodone-acetaminophen",
            ["oxycodone/APAP"],
            ["opioid painkiller"],
            ["Percocet"],
            family="acetaminophen",
        ),
    ),
    (
        "acetaminophen 300 mg / hydrocodone",
        N(
            "hydrocodone-acetaminophen",
            ["hydrocodone/APAP"],
            ["opioid painkiller"],
            ["Vicodin", "Norco"],
            family="acetaminophen",
        ),
    ),
    (
        "acetaminophen 21.7",
        N(
            "acetaminophen/dextromethorphan/doxylamine syrup",
            ["APAP/DXM/doxylamine"],
            ["night-time cold medicine"],
            ["NyQuil"],
            family="acetaminophen",
        ),
    ),
    ("acetaminophen", N("acetaminophen", ["APAP"], ["pain reliever"], ["Tylenol"], family="acetaminophen")),
    (
        "naproxen",
        N("naproxen", ["NSAID naproxen"], ["anti-inflammatory"], ["Aleve", "Naprosyn"], family="naproxen"),
    ),
    (
        "amoxicillin 250 mg / clavulanate",
        N("amoxicillin-clavulanate", ["amox-clav"], ["antibiotic"], ["Augmentin"], family="amoxicillin"),
    ),
    ("amoxicillin", N("amoxicillin", ["amox"], ["antibiotic"], ["Amoxil"], family="amoxicillin")),
    ("penicillin", N("penicillin V", ["Pen VK", "PCN"], ["antibiotic"], ["Veetids"], family="amoxicillin")),
    (
        "etonogestrel",
        N(
            "etonogestrel implant",
            ["etonogestrel"],
            ["birth control implant"],
            ["Nexplanon", "Implanon"],
            family="contraceptive",
        ),
    ),
    ("jolivette", N("norethindrone", ["POP"], ["mini pill"], ["Jolivette"], family="contraceptive")),
    ("errin", N("norethindrone", ["POP"], ["mini pill"], ["Errin"], family="contraceptive")),
    ("camila", N("norethindrone", ["POP"], ["mini pill"], ["Camila"], family="contraceptive")),
    (
        "trinessa",
        N(
            "norgestimate-ethinyl estradiol",
            ["OCP"],
            ["birth control pill"],
            ["Trinessa"],
            family="contraceptive",
        ),
    ),
    (
        "yaz",
        N("drospirenone-ethinyl estradiol", ["OCP"], ["birth control pill"], ["Yaz"], family="contraceptive"),
    ),
    (
        "norelgestromin",
        N(
            "norelgestromin-ethinyl estradiol patch",
            ["contraceptive patch"],
            ["birth control patch"],
            ["Xulane", "Ortho Evra"],
            family="contraceptive",
        ),
    ),
    (
        "medroxyprogesterone",
        N("medroxyprogesterone", ["DMPA"], ["birth control shot"], ["Depo-Provera"], family="contraceptive"),
    ),
    (
        "mirena",
        N("levonorgestrel IUD", ["LNG-IUD", "IUD"], ["hormonal coil"], ["Mirena"], family="contraceptive"),
    ),
    (
        "loratadine",
        N("loratadine", ["loratadine chewable"], ["allergy tablet"], ["Claritin"], family="antihistamine"),
    ),
    (
        "fexofenadine",
        N("fexofenadine", ["fexofenadine"], ["allergy tablet"], ["Allegra"], family="antihistamine"),
    ),
    (
        "diphenhydramine",
        N("diphenhydramine", ["DPH"], ["allergy tablet"], ["Benadryl"], family="antihistamine"),
    ),
    (
        "0.3 ml epinephrine",
        N("epinephrine auto-injector", ["epi pen"], ["allergy pen"], ["EpiPen"], family="epinephrine"),
    ),
    (
        "1 ml epinephrine",
        N("epinephrine injection", ["epi"], ["adrenaline shot"], ["Adrenalin"], family="epinephrine"),
    ),
    ("prednisone", N("prednisone", ["pred"], ["steroid tablets"], ["Deltasone"], family="steroid")),
    ("alteplase", N("alteplase", ["tPA"], ["clot buster"], ["Activase"], family="alteplase")),
    ("vitamin b 12", N("vitamin B12 injection", ["B12"], ["B12 shots"], ["cyanocobalamin"], family="b12")),
    (
        "metformin",
        N(
            "metformin",
            ["metformin ER"],
            ["diabetes pill"],
            ["Glucophage XR", "Glucophage"],
            family="metformin",
        ),
    ),
    (
        "leucovorin",
        N("leucovorin", ["folinic acid"], ["chemo rescue drug"], ["Wellcovorin"], family="chemo-leucovorin"),
    ),
    (
        "oxaliplatin",
        N("oxaliplatin", ["L-OHP"], ["platinum chemo"], ["Eloxatin"], family="chemo-oxaliplatin"),
    ),
    (
        "metoprolol",
        N(
            "metoprolol succinate",
            ["metoprolol XL"],
            ["beta blocker"],
            ["Toprol XL", "Toprol"],
            family="metoprolol",
        ),
    ),
    ("lasix", N("furosemide tablets", ["furosemide PO"], ["water pill"], ["Lasix"], family="furosemide")),
    (
        "furosemide",
        N("furosemide injection", ["IV furosemide"], ["IV diuretic"], ["Lasix IV"], family="furosemide"),
    ),
    ("clopidogrel", N("clopidogrel", ["clopidogrel"], ["blood thinner"], ["Plavix"], family="clopidogrel")),
    (
        "methylphenidate",
        N("methylphenidate", ["MPH"], ["ADHD medication"], ["Ritalin"], family="methylphenidate"),
    ),
    ("tacrine", N("tacrine", ["THA"], ["memory medication"], ["Cognex"], family="dementia-drug")),
    (
        "donepezil",
        N("donepezil", ["donepezil 23"], ["memory medication"], ["Aricept"], family="dementia-drug"),
    ),
    ("amiodarone", N("amiodarone", ["amio"], ["heart rhythm drug"], ["Nexterone"], family="amiodarone")),
    ("atropine", N("atropine", ["atropine IV"], ["heart rate drug"], ["AtroPen"], family="atropine")),
    ("meperidine", N("meperidine", ["pethidine"], ["opioid painkiller"], ["Demerol"], family="meperidine")),
    ("ibuprofen", N("ibuprofen", ["IBU"], ["anti-inflammatory"], ["Advil", "Motrin"], family="ibuprofen")),
    ("docetaxel", N("docetaxel", ["DTX"], ["chemo infusion"], ["Taxotere"], family="chemo-docetaxel")),
    (
        "leuprolide",
        N("leuprolide", ["leuprorelin"], ["hormone shot"], ["Lupron Depot", "Lupron"], family="leuprolide"),
    ),
]

# key: the condition display as in the record -> names
COND_LEX: dict[str, dict] = {
    "Hypertension": N("hypertension", ["HTN"], ["high blood pressure"]),
    "Hyperlipidemia": N("hyperlipidemia", ["HLD"], ["high cholesterol"]),
    "Prediabetes": N("prediabetes", ["pre-DM"], ["borderline diabetes"]),
    "Diabetes": N("diabetes", ["DM", "T2DM"], ["sugar diabetes"]),
    "Anemia (disorder)": N("anemia", ["anaemia"], ["low blood count"]),
    "Chronic sinusitis (disorder)": N(
        "chronic sinusitis", ["CRS"], ["long-standing sinus infection"], family="sinus"
    ),
    "Viral sinusitis (disorder)": N(
        "viral sinusitis", ["viral rhinosinusitis"], ["sinus infection"], family="sinus"
    ),
    "Acute bacterial sinusitis (disorder)": N(
        "bacterial sinusitis", ["ABRS"], ["sinus infection"], family="sinus"
    ),
    "Body mass index 30+ - obesity (finding)": N("obesity", ["BMI 30+"], ["weight problem"]),
    "Alzheimer's disease (disorder)": N("Alzheimer's disease", ["AD", "Alzheimer's"], ["dementia"]),
    "Stroke": N("stroke", ["CVA"], ["brain attack"]),
    "Osteoporosis (disorder)": N("osteoporosis", ["OP"], ["thin bones"], family="osteoporosis"),
    "Chronic congestive heart failure (disorder)": N(
        "congestive heart failure", ["CHF", "HF"], ["heart failure"]
    ),
    "Seizure disorder": N("seizure disorder", ["epilepsy"], ["seizures"], family="seizure"),
    "Alcoholism": N("alcoholism", ["AUD", "EtOH use disorder"], ["drinking problem"]),
    "Osteoarthritis of knee": N("knee osteoarthritis", ["knee OA"], ["arthritis in the knee"], family="oa"),
    "Localized, primary osteoarthritis of the hand": N(
        "hand osteoarthritis", ["hand OA"], ["arthritis in the hands"], family="oa"
    ),
    "Malignant tumor of colon": N("colon cancer", ["CRC"], ["bowel cancer"], family="colon-ca"),
    "Overlapping malignant neoplasm of colon": N(
        "colon cancer", ["CRC"], ["bowel cancer"], family="colon-ca"
    ),
    "Child attention deficit disorder": N(
        "attention deficit disorder", ["ADHD", "ADD"], ["attention problems"]
    ),
    "Perennial allergic rhinitis": N(
        "perennial allergic rhinitis", ["PAR"], ["year-round allergy problem"], family="rhinitis"
    ),
    "Seasonal allergic rhinitis": N("seasonal allergic rhinitis", ["SAR"], ["hay fever"], family="rhinitis"),
    "Primary fibromyalgia syndrome": N("fibromyalgia", ["FMS", "fibro"], ["widespread pain syndrome"]),
    "Hypertriglyceridemia (disorder)": N("hypertriglyceridemia", ["HTG"], ["high triglycerides"]),
    "Metabolic syndrome X (disorder)": N("metabolic syndrome", ["MetS"], ["syndrome X"]),
    "Hyperglycemia (disorder)": N("hyperglycemia", ["hyperglycaemia"], ["high blood sugar"]),
    "Acute bronchitis (disorder)": N("acute bronchitis", ["bronchitis"], ["chest cold"]),
    "Acute viral pharyngitis (disorder)": N(
        "viral pharyngitis", ["pharyngitis"], ["sore throat"], family="throat"
    ),
    "Streptococcal sore throat (disorder)": N(
        "strep pharyngitis", ["GAS pharyngitis"], ["strep throat"], family="throat"
    ),
    "Miscarriage in first trimester": N("first-trimester miscarriage", ["SAB"], ["miscarriage"]),
    "Sprain of ankle": N("ankle sprain", ["sprained ankle"], ["twisted ankle"]),
    "Sprain of wrist": N("wrist sprain", ["sprained wrist"], ["twisted wrist"]),
    "Laceration of thigh": N("thigh laceration", ["thigh lac"], ["cut on the thigh"], family="laceration"),
    "Laceration of hand": N("hand laceration", ["hand lac"], ["cut on the hand"], family="laceration"),
    "Laceration of forearm": N(
        "forearm laceration", ["forearm lac"], ["cut on the forearm"], family="laceration"
    ),
    "Concussion with loss of consciousness": N("concussion", ["TBI with LOC"], ["head injury"]),
    "Otitis media": N("otitis media", ["OM", "AOM"], ["ear infection"]),
    "Chronic intractable migraine without aura": N("chronic migraine", ["migraine w/o aura"], ["migraines"]),
    "Drug overdose": N("drug overdose", ["OD"], ["overdose"]),
    "Impacted molars": N("impacted molars", ["impacted wisdom teeth"], ["wisdom teeth problem"]),
    "Injury of tendon of the rotator cuff of shoulder": N(
        "rotator cuff injury", ["RC tear"], ["shoulder tendon injury"]
    ),
    "Fracture of forearm": N("forearm fracture", ["forearm fx"], ["broken arm"], family="fracture"),
    "First degree burn": N("first-degree burn", ["1st degree burn"], ["minor burn"]),
    "Acute allergic reaction": N("acute allergic reaction", ["allergic rxn"], ["allergic reaction"]),
    "Normal pregnancy": N("pregnancy", ["IUP"]),
    "Polyp of colon": N("colon polyp", ["colonic polyp"], ["polyp in the bowel"], family="polyp"),
}

VAX_LEX: dict[str, dict] = {
    "Influenza, seasonal, injectable, preservative free": N(
        "flu vaccine", ["IIV", "flu shot"], ["flu jab"], ["Fluzone"]
    ),
    "Td (adult) preservative free": N("Td booster", ["Td"], ["tetanus shot"], ["Tenivac"], family="tetanus"),
    "Tdap": N("Tdap", ["Tdap booster"], ["whooping cough booster"], ["Boostrix", "Adacel"], family="tetanus"),
    "DTaP": N("DTaP", ["DTaP vaccine"], ["baby tetanus shot"], ["Daptacel"], family="tetanus"),
    "Pneumococcal conjugate PCV 13": N(
        "PCV13", ["pneumococcal conjugate"], ["pneumonia shot"], ["Prevnar 13"]
    ),
    "IPV": N("polio vaccine", ["IPV"], ["polio shot"], ["IPOL"]),
    "Hep B, adolescent or pediatric": N(
        "hepatitis B vaccine", ["HepB", "hep B shot"], ["hepatitis B jab"], ["Engerix-B"]
    ),
    "Hib (PRP-OMP)": N("Hib vaccine", ["Hib"], ["haemophilus shot"], ["PedvaxHIB"]),
    "Hep A, adult": N(
        "hepatitis A vaccine", ["HepA", "hep A shot"], ["hepatitis A jab"], ["Havrix"], family="hepa"
    ),
    "Hep A, ped/adol, 2 dose": N(
        "hepatitis A vaccine", ["HepA", "hep A shot"], ["hepatitis A jab"], ["Havrix"], family="hepa"
    ),
    "rotavirus, monovalent": N("rotavirus vaccine", ["RV1"], ["rotavirus drops"], ["Rotarix"]),
    "varicella": N("varicella vaccine", ["VAR"], ["chickenpox shot"], ["Varivax"]),
    "MMR": N("MMR", ["MMR vaccine"], ["measles shot"], ["M-M-R II"]),
    "HPV, quadrivalent": N("HPV vaccine", ["HPV4"], ["cervical cancer shot"], ["Gardasil"]),
    "zoster": N("zoster vaccine", ["shingles vaccine"], ["shingles shot"], ["Zostavax"]),
    "meningococcal MCV4P": N("meningococcal vaccine", ["MCV4"], ["meningitis shot"], ["Menactra"]),
}

# Things common in primary care that a record may lack: (kind, names, keywords that must be
# absent from every clinical resource of the patient, gender restriction)
ABSENT_BANK: list[tuple[str, dict, tuple[str, ...], str | None]] = [
    (
        "lab",
        dict(
            display="Thyrotropin [Units/volume] in Serum or Plasma",
            short="TSH",
            abbrs=("TSH",),
            lays=("thyroid blood test",),
        ),
        ("thyrotropin", "tsh", "thyroid", "3016-3"),
        None,
    ),
    (
        "lab",
        dict(
            display="Prostate specific Ag [Mass/volume] in Serum or Plasma",
            short="PSA",
            abbrs=("PSA",),
            lays=("prostate blood test",),
        ),
        ("prostate specific", "psa", "2857-1"),
        "male",
    ),
    (
        "lab",
        dict(
            display="Ferritin [Mass/volume] in Serum or Plasma",
            short="ferritin",
            abbrs=("ferritin",),
            lays=("iron stores",),
        ),
        ("ferritin", "2276-4", "iron"),
        None,
    ),
    (
        "lab",
        dict(
            display="INR in Platelet poor plasma by Coagulation assay",
            short="INR",
            abbrs=("INR", "PT/INR"),
            lays=("clotting time",),
        ),
        ("inr", "6301-6", "prothrombin", "coagulation"),
        None,
    ),
    (
        "lab",
        dict(
            display="Troponin I.cardiac [Mass/volume] in Serum or Plasma",
            short="troponin",
            abbrs=("TnI", "trop"),
            lays=("heart attack blood test",),
        ),
        ("troponin", "10839-9"),
        None,
    ),
    (
        "lab",
        dict(
            display="25-hydroxyvitamin D3 [Mass/volume] in Serum or Plasma",
            short="vitamin D level",
            abbrs=("25-OH vit D", "vit D"),
            lays=("vitamin D test",),
        ),
        ("vitamin d", "hydroxyvitamin", "1989-3"),
        None,
    ),
    (
        "lab",
        dict(
            display="Magnesium [Mass/volume] in Serum or Plasma",
            short="magnesium",
            abbrs=("Mg",),
            lays=("magnesium level",),
        ),
        ("magnesium", "19123-9", "2601-3"),
        None,
    ),
    (
        "lab",
        dict(
            display="C reactive protein [Mass/volume] in Serum or Plasma",
            short="CRP",
            abbrs=("CRP", "hs-CRP"),
            lays=("inflammation marker",),
        ),
        ("c reactive", "crp", "1988-5"),
        None,
    ),
    (
        "lab",
        dict(
            display="Hemoglobin A1c/Hemoglobin.total in Blood",
            short="hemoglobin A1c",
            abbrs=("A1c", "HbA1c"),
            lays=("three-month sugar average",),
        ),
        ("a1c", "4548-4", "glycated", "hemoglobin a"),
        None,
    ),
    (
        "lab",
        dict(
            display="Low Density Lipoprotein Cholesterol",
            short="LDL cholesterol",
            abbrs=("LDL", "LDL-C"),
            lays=("bad cholesterol",),
        ),
        ("low density", "ldl", "18262-6", "cholesterol"),
        None,
    ),
    (
        "lab",
        dict(
            display="Urate [Mass/volume] in Serum or Plasma",
            short="uric acid",
            abbrs=("urate", "UA level"),
            lays=("gout blood test",),
        ),
        ("urate", "uric", "3084-1", "gout"),
        None,
    ),
    (
        "drug",
        dict(
            display="Lisinopril 10 MG Oral Tablet",
            short="lisinopril",
            abbrs=("ACE inhibitor lisinopril",),
            lays=("ACE inhibitor",),
            brands=("Zestril", "Prinivil"),
        ),
        ("lisinopril", "ace inhibitor", "zestril"),
        None,
    ),
    (
        "drug",
        dict(
            display="Atorvastatin 20 MG Oral Tablet",
            short="atorvastatin",
            abbrs=("atorva",),
            lays=("Lipitor pill",),
            brands=("Lipitor",),
        ),
        ("atorvastatin", "lipitor"),
        None,
    ),
    (
        "drug",
        dict(
            display="Warfarin Sodium 5 MG Oral Tablet",
            short="warfarin",
            abbrs=("warfarin",),
            lays=("blood thinner",),
            brands=("Coumadin", "Jantoven"),
        ),
        ("warfarin", "coumadin", "anticoag", "clopidogrel", "apixaban"),
        None,
    ),
    (
        "drug",
        dict(
            display="Levothyroxine Sodium 0.05 MG Oral Tablet",
            short="levothyroxine",
            abbrs=("LT4", "levo"),
            lays=("thyroid pill",),
            brands=("Synthroid", "Levoxyl"),
        ),
        ("levothyroxine", "thyroid", "synthroid"),
        None,
    ),
    (
        "drug",
        dict(
            display="Amlodipine 5 MG Oral Tablet",
            short="amlodipine",
            abbrs=("amlo",),
            lays=("calcium channel blocker",),
            brands=("Norvasc",),
        ),
        ("amlodipine", "norvasc"),
        None,
    ),
    (
        "drug",
        dict(
            display="Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
            short="albuterol",
            abbrs=("albuterol MDI", "SABA"),
            lays=("rescue inhaler",),
            brands=("ProAir", "Ventolin"),
        ),
        ("albuterol", "inhaler", "salbutamol", "asthma"),
        None,
    ),
    (
        "drug",
        dict(
            display="Omeprazole 20 MG Delayed Release Oral Capsule",
            short="omeprazole",
            abbrs=("PPI",),
            lays=("acid reflux pill",),
            brands=("Prilosec",),
        ),
        ("omeprazole", "prilosec", "reflux", "prazole"),
        None,
    ),
    (
        "drug",
        dict(
            display="Sertraline 50 MG Oral Tablet",
            short="sertraline",
            abbrs=("SSRI sertraline",),
            lays=("antidepressant",),
            brands=("Zoloft",),
        ),
        ("sertraline", "zoloft", "depress", "ssri"),
        None,
    ),
    (
        "drug",
        dict(
            display="Insulin Glargine 100 UNT/ML Injectable Solution",
            short="insulin glargine",
            abbrs=("basal insulin",),
            lays=("insulin shots",),
            brands=("Lantus",),
        ),
        ("insulin",),
        None,
    ),
    (
        "drug",
        dict(
            display="Gabapentin 300 MG Oral Capsule",
            short="gabapentin",
            abbrs=("gaba",),
            lays=("nerve pain pill",),
            brands=("Neurontin",),
        ),
        ("gabapentin", "neurontin"),
        None,
    ),
    (
        "condition",
        dict(display="Asthma", short="asthma", abbrs=("asthma",), lays=("wheezing lung disease",)),
        ("asthma", "wheez"),
        None,
    ),
    (
        "condition",
        dict(
            display="Chronic obstructive pulmonary disease",
            short="COPD",
            abbrs=("COPD",),
            lays=("emphysema",),
        ),
        ("copd", "obstructive", "emphysema", "chronic bronchitis"),
        None,
    ),
    (
        "condition",
        dict(
            display="Atrial fibrillation",
            short="atrial fibrillation",
            abbrs=("AFib", "AF"),
            lays=("irregular heartbeat",),
        ),
        ("fibrillation", "afib", "arrhythm"),
        None,
    ),
    (
        "condition",
        dict(
            display="Major depression, single episode", short="depression", abbrs=("MDD",), lays=("low mood",)
        ),
        ("depress", "mdd"),
        None,
    ),
    (
        "condition",
        dict(
            display="Hypothyroidism",
            short="hypothyroidism",
            abbrs=("hypothyroid",),
            lays=("underactive thyroid",),
        ),
        ("thyroid",),
        None,
    ),
    (
        "condition",
        dict(
            display="Chronic kidney disease",
            short="chronic kidney disease",
            abbrs=("CKD",),
            lays=("kidney disease",),
        ),
        ("kidney disease", "ckd", "renal"),
        None,
    ),
    (
        "condition",
        dict(
            display="Gastroesophageal reflux disease",
            short="GERD",
            abbrs=("GERD", "GORD"),
            lays=("acid reflux",),
        ),
        ("reflux", "gerd"),
        None,
    ),
    (
        "condition",
        dict(display="Gout", short="gout", abbrs=("gouty arthritis",), lays=("gout attacks",)),
        ("gout", "urate", "uric"),
        None,
    ),
    (
        "vaccine",
        dict(
            display="COVID-19 vaccine",
            short="COVID vaccine",
            abbrs=("COVID-19 vaccine", "SARS-CoV-2 vaccine"),
            lays=("covid shot",),
            brands=("Comirnaty", "Spikevax"),
        ),
        ("covid", "sars-cov"),
        None,
    ),
    (
        "vaccine",
        dict(
            display="Pneumococcal polysaccharide vaccine 23 valent",
            short="PPSV23",
            abbrs=("PPSV23", "Pneumovax"),
            lays=("adult pneumonia shot",),
            brands=("Pneumovax 23",),
        ),
        ("polysaccharide", "ppsv", "pneumovax"),
        None,
    ),
]


def obs_names(o: Obs) -> Names | None:
    lex = OBS_LEX.get(o.code)
    if lex is None:
        return None
    return Names(display=clean(o.display), **lex)


def med_names(display: str) -> Names | None:
    low = display.lower()
    for key, lex in MED_LEX:
        if key in low:
            return Names(display=display, **lex)
    return None


def cond_names(display: str) -> Names | None:
    lex = COND_LEX.get(display)
    return Names(display=display, **lex) if lex else None


def vax_names(display: str) -> Names | None:
    lex = VAX_LEX.get(display)
    return Names(display=display, **lex) if lex else None


# ----------------------------------------------------------------------------- phrasing

MONTHS = list(calendar.month_name)[1:]
COMMON_TYPOS = {
    "cholesterol": "cholestrol", "hemoglobin": "hemoglobn", "pressure": "presure", "potassium": "potasium",
    "creatinine": "creatinin", "triglycerides": "triglicerides", "platelet": "platlet", "hypertension": "hypertention",
    "simvastatin": "simvastin", "metformin": "metfromin", "hydrochlorothiazide": "hydrochlorthiazide",
    "glucose": "glucoce", "weight": "wieght", "height": "hieght", "calcium": "calcuim", "sodium": "sodum",
    "albumin": "albumen", "bilirubin": "billirubin", "hematocrit": "hemotocrit", "diabetes": "diabeties",
    "prediabetes": "prediabeties", "hyperlipidemia": "hyperlipedemia", "anemia": "anemai", "sinusitis": "sinusitus",
    "acetaminophen": "acetaminophin", "naproxen": "naproxin", "amoxicillin": "amoxicilin", "vaccine": "vacine",
    "vaccines": "vacines", "immunizations": "immunizatons", "medications": "medicatons", "allergies": "allergys",
    "diagnosed": "diagnossed", "pharyngitis": "pharyngitus", "bronchitis": "bronchitus", "osteoporosis": "osteoperosis",
    "alzheimer's": "alzhiemer's", "fibromyalgia": "fibromyalgai", "prednisone": "prednisoen", "loratadine": "loratidine",
    "epinephrine": "epinephrin", "methylphenidate": "methylphenidat", "influenza": "influenze", "temperature": "temperture",
}  # fmt: skip


def typo_of(text: str, rng: random.Random) -> str:
    """One plausible misspelling of ``text`` (a known one if any word has one)."""
    for m in re.finditer(r"[A-Za-z']+", text):
        key = m.group().lower()
        if key in COMMON_TYPOS:
            t = COMMON_TYPOS[key]
            if m.group()[:1].isupper():
                t = t[:1].upper() + t[1:]
            return text[: m.start()] + t + text[m.end() :]
    runs = [m for m in re.finditer(r"[A-Za-z]{5,}", text)]
    if not runs:
        return text
    m = rng.choice(runs)
    w = m.group()
    j = rng.randrange(1, len(w) - 2)
    swap = rng.random() < 0.5 and w[j] != w[j + 1]
    w = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if swap else w[:j] + w[j + 1 :]  # swap two letters, or drop one
    return text[: m.start()] + w + text[m.end() :]


def lowercase_style(text: str) -> str:
    text = text.lower().replace("'s", "s")
    text = "".join(ch for ch in text if ch not in "?.,!:;")
    return re.sub(r"\s+", " ", text).strip()


def date_forms(iso: str) -> dict[str, str]:
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    mon = MONTHS[m - 1]
    return {
        "d_iso": iso,
        "d_long": f"{mon} {d} {y}",
        "d_longc": f"{mon} {d}, {y}",
        "d_dmy": f"{d} {mon} {y}",
        "d_my": f"{mon} {y}",
        "d_mon3": f"{mon[:3]} {y}",
        "d_y": str(y),
    }


class _Missing(KeyError):
    pass


class _Slots(dict):
    def __missing__(self, key: str) -> str:
        raise _Missing(key)


def render(template: str, slots: dict) -> str | None:
    """Fill a template; None when it needs a slot this fact does not have."""
    try:
        text = template.format_map(_Slots({k: v for k, v in slots.items() if v}))
    except _Missing:
        return None
    text = re.sub(r"\b([Aa]) (?=[aeioAEIO])", r"\1n ", text)  # "a ADHD medication" -> "an ..."
    return re.sub(r"\s+", " ", text).strip()


def concept_slots(names: Names, rng: random.Random, prefix: str = "") -> dict[str, str]:
    """Name slots of one concept: disp, short, abbr, abbr2, lay, brand, brand2, typo."""
    abbrs = list(names.abbrs)
    rng.shuffle(abbrs)
    brands = list(names.brands)
    rng.shuffle(brands)
    s = {
        "disp": names.display,
        "short": names.short,
        "abbr": abbrs[0] if abbrs else "",
        "abbr2": abbrs[1] if len(abbrs) > 1 else "",
        "lay": rng.choice(names.lays) if names.lays else "",
        "brand": brands[0] if brands else "",
        "brand2": brands[1] if len(brands) > 1 else "",
    }
    typo = typo_of(names.short, rng)
    if typo == names.short:
        typo = typo_of(names.display, rng)
    s["typo"] = typo if typo not in (names.short, names.display) else ""
    return {prefix + k: v for k, v in s.items()}


def pronoun_slots(gender: str) -> dict[str, str]:
    if gender == "female":
        return {"sub": "she", "Sub": "She", "pos": "her", "Pos": "Her", "obj": "her"}
    if gender == "male":
        return {"sub": "he", "Sub": "He", "pos": "his", "Pos": "His", "obj": "him"}
    return {"sub": "they", "Sub": "They", "pos": "their", "Pos": "Their", "obj": "them"}


def expand_lay(slots: dict) -> dict:
    """Lay terms may themselves carry pronouns ("top number of {pos} blood pressure")."""
    out = dict(slots)
    for k, v in slots.items():
        if isinstance(v, str) and "{" in v:
            out[k] = v.format(
                **{kk: vv for kk, vv in slots.items() if kk in ("sub", "pos", "obj", "Sub", "Pos")}
            )
    return out


# Templates: op -> style -> templates. Slots: pronouns (sub, pos, obj, Sub, Pos), concept names
# (disp, short, abbr, abbr2, lay, brand, brand2, typo), dates (d_iso, d_long, d_longc, d_dmy, d_my,
# d_mon3, d_y), n (window), event names (e_disp, e_short, e_abbr, e_lay, e_brand, e_typo) and the
# observation at a visit (same names with o_ prefix).
T: dict[str, dict[str, list[str]]] = {}

T["last_value"] = {
    "display": [
        "What was {pos} most recent {disp}?",
        "What is the latest {disp} on file?",
        "Most recent {disp} result?",
    ],
    "abbrev": [
        "What was {pos} last {abbr}?",
        "Latest {abbr} value?",
        "What did the most recent {abbr} show?",
        "{abbr2}, most recent?",
    ],
    "lay": ["What was {pos} {lay} the last time it was checked?", "How was {pos} {lay} at the latest check?"],
    "terse": ["Last {abbr}?", "{abbr} latest", "latest {short}?", "most recent {short}"],
    "possessive": [
        "{Pos} most recent {short}?",
        "The patient's latest {short}?",
        "What's {pos} latest {short} reading?",
    ],
    "tense": [
        "What did {pos} last {short} come back as?",
        "What has {pos} {short} been at the most recent measurement?",
        "What was {pos} {short} when it was last measured?",
    ],
    "typo": ["waht was {pos} most recnet {typo}?", "last {typo} value", "most recent {typo}?"],
    "filler": [
        "Can you tell me what {pos} most recent {short} was?",
        "Hi, could you pull up the latest {short} for me?",
        "Just wondering, what was the last {abbr} we have for {obj}?",
        "So, um, what's the most recent {short} on record?",
    ],
    "shorthand": ["pt's last {abbr}?", "most recent {abbr} pls", "{abbr} - last value?"],
}
T["first_value"] = {
    "display": [
        "What was {pos} first {disp} on record?",
        "Earliest {disp} result?",
        "What was the initial {disp} value?",
    ],
    "abbrev": [
        "What was {pos} first {abbr}?",
        "Baseline {abbr}, i.e. the first one recorded?",
        "Earliest {abbr} on file?",
    ],
    "lay": [
        "What was {pos} {lay} the very first time it was measured?",
        "When {pos} {lay} was first checked, what was it?",
    ],
    "terse": ["First {abbr}?", "{abbr} first value", "earliest {short}?"],
    "possessive": ["{Pos} first recorded {short}?", "The patient's earliest {short}?"],
    "tense": [
        "What was {pos} {short} when it was first measured?",
        "What did {pos} first ever {short} come back as?",
        "What had {pos} {short} been at the start of the record?",
    ],
    "typo": ["waht was {pos} frist {typo}?", "first {typo} on file?", "earliest {typo} pls"],
    "filler": [
        "Could you tell me what {pos} very first {short} was?",
        "I'd like to know the first {abbr} we have on record, please.",
        "Quick one: what was the initial {short}?",
    ],
    "shorthand": ["pt's first {abbr}?", "1st {abbr} on record?", "{abbr} - first result?"],
}
T["value_on_date"] = {
    "display": [
        "What was {pos} {disp} on {d_iso}?",
        "{disp} result from {d_longc}?",
        "What was the {disp} recorded on {d_long}?",
    ],
    "abbrev": [
        "What was {pos} {abbr} on {d_long}?",
        "{abbr} on {d_iso}?",
        "What did the {abbr} show on {d_dmy}?",
    ],
    "lay": ["What was {pos} {lay} on {d_longc}?", "How was {pos} {lay} at the {d_iso} visit?"],
    "terse": ["{abbr} {d_iso}?", "{d_long} {abbr}", "{short} on {d_iso}"],
    "possessive": ["{Pos} {short} on {d_longc}?", "The patient's {short} from {d_iso}?"],
    "tense": [
        "What had {pos} {short} been on {d_long}?",
        "What did {pos} {short} measure on {d_iso}?",
        "What did the {d_longc} {short} come back as?",
    ],
    "typo": ["waht was {pos} {typo} on {d_iso}?", "{typo} from {d_long}?", "{typo} on {d_longc}?"],
    "filler": [
        "Could you check what {pos} {short} was on {d_longc}?",
        "Hey, what did we get for the {abbr} on {d_iso}?",
        "I was wondering what {pos} {short} was back on {d_long}.",
    ],
    "shorthand": ["pt {abbr} on {d_iso}?", "{abbr} value dated {d_iso} pls", "{abbr} @ {d_long} visit?"],
}
T["in_month"] = {
    "display": [
        "What was {pos} {disp} in {d_my}?",
        "{disp} value from {d_my}?",
        "What {disp} was recorded during {d_my}?",
    ],
    "abbrev": [
        "What was {pos} {abbr} in {d_my}?",
        "{abbr} from {d_mon3}?",
        "What did the {d_my} {abbr} show?",
    ],
    "lay": ["What was {pos} {lay} back in {d_my}?", "How was {pos} {lay} in {d_my}?"],
    "terse": ["{abbr} {d_my}?", "{d_mon3} {abbr}", "{short} in {d_my}"],
    "possessive": ["{Pos} {short} in {d_my}?", "The patient's {short} during {d_my}?"],
    "tense": [
        "What had {pos} {short} been in {d_my}?",
        "What did {pos} {short} measure in {d_my}?",
        "Back in {d_my}, what was {pos} {short}?",
    ],
    "typo": ["waht was {pos} {typo} in {d_my}?", "{typo} from {d_my}?", "{typo} in {d_mon3}?"],
    "filler": [
        "Could you look up {pos} {short} from {d_my}?",
        "Any idea what the {abbr} was in {d_my}?",
        "I'd like the {short} that was done in {d_my}, please.",
    ],
    "shorthand": ["pt {abbr} {d_my}?", "{abbr} value, {d_my}", "{abbr} in {d_mon3} pls"],
}
T["in_year"] = {
    "display": [
        "What was {pos} {disp} in {d_y}?",
        "{disp} result from {d_y}?",
        "Which {disp} value was recorded in {d_y}?",
    ],
    "abbrev": ["What was {pos} {abbr} in {d_y}?", "{abbr} from {d_y}?", "What did the {d_y} {abbr} show?"],
    "lay": ["What was {pos} {lay} back in {d_y}?", "How was {pos} {lay} in {d_y}?"],
    "terse": ["{abbr} {d_y}?", "{d_y} {abbr}", "{short} in {d_y}"],
    "possessive": ["{Pos} {short} in {d_y}?", "The patient's {short} during {d_y}?"],
    "tense": [
        "What had {pos} {short} been in {d_y}?",
        "What did {pos} {short} measure in {d_y}?",
        "Back in {d_y}, what was {pos} {short}?",
    ],
    "typo": ["waht was {pos} {typo} in {d_y}?", "{typo} from {d_y}?", "{typo} durign {d_y}?"],
    "filler": [
        "Could you look up {pos} {short} from {d_y}?",
        "Any idea what the {abbr} was in {d_y}?",
        "I'd like the {short} from {d_y}, please.",
    ],
    "shorthand": ["pt {abbr} {d_y}?", "{abbr} value, {d_y}", "{abbr} in {d_y} pls"],
}
T["onset_date"] = {
    "display": [
        "When was {sub} diagnosed with {disp}?",
        "What is the onset date of {disp}?",
        "When was {disp} first recorded?",
    ],
    "abbrev": ["When was the {abbr} diagnosed?", "{abbr} onset date?", "Date of {abbr} diagnosis?"],
    "lay": ["When did {pos} {lay} start?", "When was {sub} first told {sub} had {lay}?"],
    "terse": ["{abbr} dx date?", "{short} onset?", "date {short} diagnosed"],
    "possessive": ["{Pos} {short} - when was it diagnosed?", "When was the patient's {short} diagnosed?"],
    "tense": [
        "Since when has {sub} had {short}?",
        "When did {sub} get diagnosed with {short}?",
        "How long ago was {pos} {short} diagnosed - what date?",
    ],
    "typo": [
        "when was {sub} diagnossed with {typo}?",
        "{typo} onset date?",
        "wehn was the {typo} first noted",
    ],
    "filler": [
        "Can you tell me when {pos} {short} was first diagnosed?",
        "Just checking, what date was the {abbr} diagnosed?",
        "Remind me when {sub} was diagnosed with {short}?",
    ],
    "shorthand": ["{abbr} dx - date?", "onset of {abbr}?", "pt dx'd w/ {abbr} when?"],
}
T["first_rx_date"] = {
    "display": [
        "When was {disp} first prescribed?",
        "What date was {sub} first prescribed {disp}?",
        "Date of the first {disp} order?",
    ],
    "abbrev": ["When was {sub} started on {abbr}?", "{abbr} start date?", "When did the {abbr} get started?"],
    "lay": ["When did {sub} first get put on the {lay}?", "When was the {lay} first prescribed?"],
    "brand": [
        "When was {sub} first prescribed {brand}?",
        "{brand} start date?",
        "When did {sub} begin {brand2}?",
    ],
    "generic": ["When did {sub} first start {short}?", "First {short} prescription, what date?"],
    "terse": ["{short} started when?", "{abbr} first rx date", "first {brand} script date?"],
    "possessive": [
        "When was {pos} first {short} prescription?",
        "The patient's {short} - when first prescribed?",
    ],
    "tense": [
        "When was {sub} first put on {short}?",
        "How long has {sub} been prescribed {short} - since what date?",
        "When did {sub} begin taking {short}?",
    ],
    "typo": ["when was {sub} firts prescribed {typo}?", "{typo} start date?", "wehn did {typo} start"],
    "filler": [
        "Could you tell me when {sub} was first started on {short}?",
        "Quick question - when was {brand} first prescribed?",
        "I need the date {short} was started, please.",
    ],
    "shorthand": ["{short} rx start?", "date of 1st {abbr} rx?", "pt started on {short} when?"],
}
T["last_imm_date"] = {
    "display": [
        "When did {sub} last receive {disp}?",
        "Date of the most recent {disp} immunization?",
        "When was {disp} last given?",
    ],
    "abbrev": ["When was {pos} last {abbr}?", "Last {abbr} date?", "Most recent {abbr2} given when?"],
    "lay": ["When did {sub} last get a {lay}?", "When was {pos} most recent {lay}?"],
    "brand": ["When did {sub} last get {brand}?", "Date of the last {brand} dose?"],
    "terse": ["last {short}?", "{abbr} last given?", "most recent {short} date"],
    "possessive": ["{Pos} last {short} - what date?", "The patient's most recent {short}?"],
    "tense": [
        "When has {sub} most recently been given the {short}?",
        "When did {sub} have {pos} latest {short}?",
        "When was the last time {sub} got the {short}?",
    ],
    "typo": ["when was {pos} lsat {typo}?", "last {typo} date?", "date of most recent {typo}"],
    "filler": [
        "Could you check when {sub} last had the {short}?",
        "Hey, when was the {abbr} last done?",
        "Just want to know when {pos} last {short} was.",
    ],
    "shorthand": ["last {abbr} dt?", "{abbr} - date of last dose?", "pt's last {short} when?"],
}
T["before_event"] = {
    "display": [
        "What was {pos} last {disp} before {sub} was diagnosed with {e_disp}?",
        "Most recent {disp} prior to the {e_disp} diagnosis?",
        "What was the last {disp} recorded before {e_disp} was diagnosed?",
    ],
    "abbrev": [
        "Last {abbr} before the {e_abbr} diagnosis?",
        "What was {pos} {abbr} just before {sub} was diagnosed with {e_abbr}?",
        "{abbr} prior to {e_abbr} dx?",
    ],
    "lay": [
        "What was {pos} {lay} right before {sub} was told {sub} had {e_lay}?",
        "Before the {e_lay} was diagnosed, what was {pos} last {lay}?",
    ],
    "terse": ["{abbr} before {e_short} dx?", "last {short} pre-{e_short}?", "pre-{e_abbr} {abbr}?"],
    "possessive": [
        "{Pos} last {short} before the {e_short} diagnosis?",
        "The patient's most recent {short} prior to {pos} {e_short}?",
    ],
    "tense": [
        "What had {pos} {short} been before {sub} was diagnosed with {e_short}?",
        "Before {sub} got diagnosed with {e_short}, what was {pos} {short}?",
        "What was {pos} {short} last measured at before the {e_short} came on?",
    ],
    "typo": [
        "waht was {pos} {typo} before {sub} was diagnossed with {e_short}?",
        "last {typo} before {e_short}?",
        "{typo} prior to the {e_typo} diagnosis",
    ],
    "filler": [
        "Could you tell me what {pos} {short} was right before the {e_short} diagnosis?",
        "Just curious, what was the last {abbr} before {e_abbr} was picked up?",
        "I'd like to know {pos} {short} before {sub} got diagnosed with {e_short}, please.",
    ],
    "shorthand": [
        "pt's last {abbr} b/f {e_abbr} dx?",
        "{abbr} pre {e_abbr} dx",
        "{abbr} before dx of {e_short}?",
    ],
}
T["before_event_med"] = {
    "display": [
        "What was {pos} last {disp} before {e_disp} was prescribed?",
        "Most recent {disp} prior to the first {e_disp} order?",
        "What was the last {disp} recorded before {sub} was started on {e_disp}?",
    ],
    "abbrev": [
        "Last {abbr} before starting {e_abbr}?",
        "What was {pos} {abbr} just before {e_abbr} was started?",
        "{abbr} prior to {e_abbr}?",
    ],
    "lay": [
        "What was {pos} {lay} right before {sub} went on the {e_lay}?",
        "Before {sub} started the {e_lay}, what was {pos} last {lay}?",
    ],
    "brand": [
        "What was {pos} last {short} before {sub} started {e_brand}?",
        "{abbr} before {e_brand} was prescribed?",
    ],
    "terse": ["{abbr} before {e_short}?", "last {short} pre-{e_short}?", "pre-{e_brand} {abbr}?"],
    "possessive": [
        "{Pos} last {short} before {pos} {e_short} was started?",
        "The patient's most recent {short} prior to {e_short}?",
    ],
    "tense": [
        "What had {pos} {short} been before {sub} was put on {e_short}?",
        "Before {sub} began taking {e_short}, what was {pos} {short}?",
        "What was {pos} {short} right before the {e_short} was started?",
    ],
    "typo": [
        "waht was {pos} {typo} before {sub} startd {e_short}?",
        "last {typo} before {e_short}?",
        "{typo} prior to {e_typo}",
    ],
    "filler": [
        "Could you tell me what {pos} {short} was right before {e_short} was started?",
        "Just curious, what was the last {abbr} before {sub} went on {e_brand}?",
        "I'd like {pos} {short} from before {e_short} was prescribed, please.",
    ],
    "shorthand": [
        "pt's last {abbr} b/f starting {e_abbr}?",
        "{abbr} pre {e_short}",
        "{abbr} before {e_short} rx?",
    ],
}
T["after_event"] = {
    "display": [
        "What was {pos} first {disp} after {sub} was diagnosed with {e_disp}?",
        "First {disp} following the {e_disp} diagnosis?",
        "What was the first {disp} recorded after {e_disp} was diagnosed?",
    ],
    "abbrev": [
        "First {abbr} after the {e_abbr} diagnosis?",
        "What was {pos} first {abbr} after {sub} was diagnosed with {e_abbr}?",
        "{abbr} after {e_abbr} dx, the first one?",
    ],
    "lay": [
        "What was {pos} {lay} the first time it was checked after {sub} was told {sub} had {e_lay}?",
        "After the {e_lay} was diagnosed, what was {pos} first {lay}?",
    ],
    "terse": [
        "first {abbr} after {e_short} dx?",
        "first {short} post-{e_short}?",
        "post-{e_abbr} {abbr}, first?",
    ],
    "possessive": [
        "{Pos} first {short} after the {e_short} diagnosis?",
        "The patient's first {short} following {pos} {e_short} diagnosis?",
    ],
    "tense": [
        "What had {pos} {short} been at the first check after {sub} was diagnosed with {e_short}?",
        "Once {sub} was diagnosed with {e_short}, what was {pos} next {short}?",
        "What did {pos} {short} come back as the first time after the {e_short} diagnosis?",
    ],
    "typo": [
        "waht was {pos} first {typo} after {sub} was diagnossed with {e_short}?",
        "first {typo} after {e_short}?",
        "{typo} following the {e_typo} diagnosis, first one",
    ],
    "filler": [
        "Could you tell me what {pos} first {short} was after the {e_short} diagnosis?",
        "Just curious, what was the first {abbr} once {e_abbr} was diagnosed?",
        "I'd like the first {short} after {sub} got diagnosed with {e_short}, please.",
    ],
    "shorthand": [
        "pt's 1st {abbr} after {e_abbr} dx?",
        "{abbr} post {e_abbr} dx (first)",
        "first {abbr} s/p {e_short} dx?",
    ],
}
T["after_event_med"] = {
    "display": [
        "What was {pos} first {disp} after {e_disp} was prescribed?",
        "First {disp} following the first {e_disp} order?",
        "What was the first {disp} recorded after {sub} was started on {e_disp}?",
    ],
    "abbrev": [
        "First {abbr} after starting {e_abbr}?",
        "What was {pos} first {abbr} once {e_abbr} was started?",
        "{abbr} after {e_abbr} was started, the first one?",
    ],
    "lay": [
        "What was {pos} {lay} the first time it was checked after {sub} went on the {e_lay}?",
        "After {sub} started the {e_lay}, what was {pos} first {lay}?",
    ],
    "brand": [
        "What was {pos} first {short} after {sub} started {e_brand}?",
        "First {abbr} after {e_brand} was prescribed?",
    ],
    "terse": [
        "first {abbr} after {e_short}?",
        "first {short} post-{e_short}?",
        "post-{e_brand} {abbr}, first?",
    ],
    "possessive": [
        "{Pos} first {short} after {pos} {e_short} was started?",
        "The patient's first {short} after {e_short} was started?",
    ],
    "tense": [
        "What had {pos} {short} been at the first check after {sub} was put on {e_short}?",
        "Once {sub} began taking {e_short}, what was {pos} next {short}?",
        "What did {pos} {short} come back as the first time after {e_short} was started?",
    ],
    "typo": [
        "waht was {pos} first {typo} after {sub} startd {e_short}?",
        "first {typo} after {e_short}?",
        "{typo} after starting {e_typo}, first one",
    ],
    "filler": [
        "Could you tell me what {pos} first {short} was after {e_short} was started?",
        "Just curious, what was the first {abbr} once {sub} went on {e_brand}?",
        "I'd like the first {short} after {e_short} was prescribed, please.",
    ],
    "shorthand": [
        "pt's 1st {abbr} after starting {e_abbr}?",
        "{abbr} post {e_short} (first)",
        "first {abbr} on {e_short}?",
    ],
}
T["trend_all"] = {
    "display": [
        "How has {pos} {disp} changed over time - increasing, decreasing or stable?",
        "What is the overall trend of {disp} across all results?",
        "Is the {disp} going up, going down or flat since the first measurement?",
    ],
    "abbrev": [
        "Overall {abbr} trend across all readings?",
        "Has {pos} {abbr} been rising, falling or stable over the whole record?",
        "Which way has the {abbr} moved since it was first checked?",
    ],
    "lay": [
        "Over all the checks, has {pos} {lay} gone up, down or stayed the same?",
        "How has {pos} {lay} trended overall?",
    ],
    "terse": ["{abbr} trend, all values?", "{short} trend overall?", "{abbr}: up/down/flat since first?"],
    "possessive": [
        "{Pos} {short} over time - up, down or stable?",
        "The patient's {short} trend since the first reading?",
    ],
    "tense": [
        "Has {pos} {short} been increasing or decreasing since it was first measured?",
        "How has {pos} {short} evolved from the first to the latest result?",
        "Over the years, has {pos} {short} gone up or down?",
    ],
    "typo": [
        "waht is the overall trend of {pos} {typo}?",
        "{typo} trend over tiem?",
        "is {pos} {typo} trending up or down overal",
    ],
    "filler": [
        "Could you tell me whether {pos} {short} has gone up or down overall?",
        "Just wondering which direction the {abbr} has moved across all results?",
        "I'd like a sense of the overall {short} trend, is it rising, falling or stable?",
    ],
    "shorthand": [
        "{abbr} trajectory (all results)?",
        "pt's {abbr} trend since 1st value?",
        "{abbr} ↑/↓/stable overall?",
    ],
}
T["trend_last"] = {
    "display": [
        "How has {pos} {disp} changed over the last {n} measurements?",
        "Trend of {disp} over the last {n} results: increasing, decreasing or stable?",
        "Is the {disp} rising or falling across the {n} most recent values?",
    ],
    "abbrev": [
        "{abbr} trend over the last {n} readings?",
        "Has {pos} {abbr} been going up or down over the past {n} checks?",
        "Direction of the last {n} {abbr} values?",
    ],
    "lay": [
        "Over the last {n} checks, has {pos} {lay} gone up, down or stayed the same?",
        "How has {pos} {lay} trended over the {n} most recent readings?",
    ],
    "terse": ["{abbr} trend, last {n}?", "last {n} {short}s - trend?", "{abbr} last {n}: up/down/flat?"],
    "possessive": [
        "{Pos} last {n} {short} values - rising, falling or stable?",
        "The patient's {short} trend over the last {n} measurements?",
    ],
    "tense": [
        "Has {pos} {short} been increasing or decreasing over the last {n} readings?",
        "How did {pos} {short} move across the {n} most recent measurements?",
        "Over the past {n} results, has {pos} {short} gone up or down?",
    ],
    "typo": [
        "waht is the trend of {pos} {typo} over the last {n}?",
        "{typo} trend last {n} readigns?",
        "is {pos} {typo} trending up or down over the last {n}",
    ],
    "filler": [
        "Could you tell me whether {pos} {short} has gone up or down over the last {n} measurements?",
        "Just wondering, which way has the {abbr} moved across the last {n} results?",
        "I'd like a sense of the {short} trend over the last {n}, please.",
    ],
    "shorthand": [
        "{abbr} trajectory (last {n})?",
        "pt's {abbr} trend x{n} most recent?",
        "{abbr} ↑/↓/stable last {n}?",
    ],
}
T["count_obs"] = {
    "display": [
        "How many {disp} results are on record?",
        "How many times was {disp} measured?",
        "Number of {disp} observations in the record?",
    ],
    "abbrev": [
        "How many {abbr} measurements does {sub} have?",
        "How many times has the {abbr} been checked?",
        "Count of {abbr} results?",
    ],
    "lay": ["How many times has {pos} {lay} been checked?", "How many {lay} readings are there?"],
    "terse": ["# of {abbr}s?", "{abbr} count?", "number of {short} results"],
    "possessive": [
        "How many {short} readings does {pos} record have?",
        "The patient's number of {short} measurements?",
    ],
    "tense": [
        "How many times has {sub} had {pos} {short} measured?",
        "How often was {pos} {short} recorded, in total?",
        "How many {short} results have been documented for {obj}?",
    ],
    "typo": ["how many tiems was {pos} {typo} measured?", "{typo} count?", "number of {typo} reuslts"],
    "filler": [
        "Could you tell me how many times {pos} {short} was measured?",
        "Just curious, how many {abbr} values do we have?",
        "Can you count the {short} results for me?",
    ],
    "shorthand": ["total # {abbr} on file?", "n of {abbr} measurements?", "how many {abbr} done?"],
}
T["count_imm"] = {
    "display": [
        "How many doses of {disp} has {sub} received?",
        "How many {disp} immunizations are recorded?",
        "Number of {disp} doses given?",
    ],
    "abbrev": [
        "How many {abbr} doses has {sub} had?",
        "Count of {abbr} given?",
        "How many times was {abbr2} given?",
    ],
    "lay": ["How many {lay}s has {sub} had?", "How many times has {sub} gotten the {lay}?"],
    "brand": ["How many doses of {brand} were given?", "Number of {brand} shots?"],
    "terse": ["# {abbr} doses?", "{short} count?", "number of {short} doses"],
    "possessive": ["How many {short} doses are in {pos} record?", "The patient's total {short} doses?"],
    "tense": [
        "How many times has {sub} been given the {short}?",
        "How many {short} doses did {sub} get over the years?",
        "How many {short} shots have been administered to {obj}?",
    ],
    "typo": ["how many {typo} doses has {sub} had?", "# of {typo} givne?", "nmber of {typo} doses"],
    "filler": [
        "Could you count how many {short} doses {sub} has had?",
        "Just checking, how many {abbr} has {sub} received?",
        "Can you tell me the number of {short} shots on file?",
    ],
    "shorthand": ["total {abbr} doses?", "n {abbr} given?", "{abbr} x how many?"],
}
T["list_vaccines"] = {
    "display": [
        "Which immunizations has {sub} received?",
        "List the vaccines in {pos} record.",
        "What vaccinations are documented?",
    ],
    "abbrev": ["Immunization hx?", "Vax history?", "List of immunizations (all)?"],
    "lay": ["Which shots has {sub} had?", "What jabs has {sub} been given?"],
    "terse": ["vaccines?", "immunizations given?", "vaccine list"],
    "possessive": ["{Pos} vaccines, all of them?", "The patient's full immunization list?"],
    "tense": [
        "What vaccines has {sub} ever been given?",
        "Which immunizations did {sub} get over the years?",
        "What has {sub} been vaccinated against?",
    ],
    "typo": ["which vacines has {sub} had?", "immunizatons recieved?", "list of vacinations"],
    "filler": [
        "Could you list all the vaccines {sub} has had?",
        "Can you tell me which immunizations are in the record?",
        "Just need a quick rundown of {pos} vaccinations, please.",
    ],
    "shorthand": ["imms on file?", "pt's vaccine hx?", "all vax given?"],
}
T["list_meds_ever"] = {
    "display": [
        "Which medications has {sub} ever been prescribed?",
        "List all medication requests in {pos} record.",
        "What medications have been prescribed for {obj}, past and present?",
    ],
    "abbrev": ["Med hx, all meds ever?", "All Rx ever written?", "Full medication history?"],
    "lay": [
        "What drugs has {sub} been on over the years?",
        "Which pills and shots has {sub} ever been prescribed?",
    ],
    "terse": ["all meds ever?", "medication history?", "every med prescribed"],
    "possessive": ["{Pos} complete medication history?", "The patient's meds, past and current?"],
    "tense": [
        "What medications has {sub} taken at any point?",
        "Which drugs was {sub} ever put on?",
        "What has {sub} been prescribed over time?",
    ],
    "typo": ["which medicatons has {sub} ever been prescribed?", "all meds evr?", "full medcation history"],
    "filler": [
        "Could you list every medication {sub} has been prescribed?",
        "Can you tell me all the meds {sub} has ever had?",
        "Just need all of {pos} prescriptions, past and present, please.",
    ],
    "shorthand": ["all rx hx?", "pt's med list incl. d/c'd?", "meds ever (active + stopped)?"],
}
T["list_conditions"] = {
    "display": [
        "Which conditions have ever been diagnosed for {obj}?",
        "List all conditions in {pos} record, including resolved ones.",
        "What diagnoses are documented, past and present?",
    ],
    "abbrev": ["PMH, all diagnoses?", "Full problem list incl. resolved?", "All dx ever?"],
    "lay": ["What health problems has {sub} ever had?", "Which illnesses has {sub} been diagnosed with?"],
    "terse": ["all diagnoses?", "conditions ever?", "diagnosis list (all)"],
    "possessive": ["{Pos} complete list of diagnoses?", "The patient's diagnoses, active and resolved?"],
    "tense": [
        "What has {sub} been diagnosed with over the years?",
        "Which conditions has {sub} had at any point?",
        "What conditions did {sub} ever have?",
    ],
    "typo": ["which condtions has {sub} had?", "all diagnosies ever?", "list of diagnosses"],
    "filler": [
        "Could you list every condition {sub} has been diagnosed with?",
        "Can you tell me all of {pos} diagnoses, including old ones?",
        "Just need the full list of {pos} conditions, please.",
    ],
    "shorthand": ["pt's dx list (all)?", "PMH + resolved dx?", "all probs incl. resolved?"],
}
T["list_allergies"] = {
    "display": [
        "What allergies are recorded for {obj}?",
        "List {pos} allergy intolerances.",
        "Which allergies are documented?",
    ],
    "abbrev": ["Allergies?", "Allergy list?", "Known allergies (all)?"],
    "lay": ["What is {sub} allergic to?", "Which things does {sub} react to?"],
    "terse": ["allergies", "allergy hx?", "all allergies"],
    "possessive": ["{Pos} allergies?", "The patient's allergy list?"],
    "tense": [
        "What has {sub} been found to be allergic to?",
        "Which allergies has {sub} had documented?",
        "What allergies did {sub} get diagnosed with?",
    ],
    "typo": ["what is {sub} alergic to?", "allergys?", "list of allergeis"],
    "filler": [
        "Could you tell me what {sub} is allergic to?",
        "Can you list {pos} allergies for me?",
        "Just need {pos} allergy list, please.",
    ],
    "shorthand": ["pt allergies?", "ALL: ?", "allergy list pls"],
}
T["on_drug"] = {
    "display": [
        "Is {sub} currently on {disp}?",
        "Is the {disp} prescription still active?",
        "Is {disp} an active medication for {obj}?",
    ],
    "abbrev": ["Is {sub} still on {abbr}?", "{abbr} - still active?", "Currently taking {abbr}?"],
    "lay": ["Is {sub} still taking the {lay}?", "Is {sub} on a {lay} right now?"],
    "brand": ["Is {sub} currently on {brand}?", "Still taking {brand}?", "Is {brand2} still on {pos} list?"],
    "generic": ["Is {sub} on {short} now?", "Does {sub} currently take {short}?"],
    "terse": ["on {short}?", "{brand} active?", "{short} current?"],
    "possessive": ["Is {short} on {pos} current med list?", "Is the patient's {short} still active?"],
    "tense": [
        "Is {sub} still being prescribed {short}?",
        "Has {sub} been on {short} up to now?",
        "Does {sub} still take {short} these days?",
    ],
    "typo": ["is {sub} currenlty on {typo}?", "still on {typo}?", "{typo} still active"],
    "filler": [
        "Could you check whether {sub} is still on {short}?",
        "Just to confirm, is {sub} currently taking {brand}?",
        "I wanted to know if {short} is still an active prescription.",
    ],
    "shorthand": ["pt on {abbr} currently?", "{abbr} still active y/n?", "is {abbr} current Rx?"],
}
T["cond_active"] = {
    "display": [
        "Is {pos} {disp} still active?",
        "Is {disp} an active condition?",
        "Is {disp} still on {pos} active problem list?",
    ],
    "abbrev": ["Is the {abbr} still active?", "{abbr} - still an active problem?", "Active {abbr}?"],
    "lay": ["Does {sub} still have {lay}?", "Is {pos} {lay} still ongoing?"],
    "terse": ["{short} active?", "{abbr} still current?", "{short} ongoing?"],
    "possessive": ["Is {pos} {short} still active?", "Is the patient's {short} still a current problem?"],
    "tense": [
        "Does {sub} still have {short}?",
        "Has {pos} {short} been ongoing up to now?",
        "Is {sub} still dealing with {short}?",
    ],
    "typo": ["is {pos} {typo} still actvie?", "{typo} still active?", "does {sub} still have {typo}"],
    "filler": [
        "Could you check if {pos} {short} is still active?",
        "Just to confirm, is the {abbr} still an active problem?",
        "I wanted to know whether {sub} still has {short}.",
    ],
    "shorthand": ["{abbr} still active y/n?", "pt still has {abbr}?", "is {abbr} current dx?"],
}
T["current_meds"] = {
    "display": [
        "Which medications is {sub} currently on?",
        "List {pos} active medication requests.",
        "What are {pos} current medications?",
    ],
    "abbrev": ["Current meds?", "Active med list?", "Active Rx?"],
    "lay": ["What is {sub} taking right now?", "Which pills and shots is {sub} on at the moment?"],
    "terse": ["meds now?", "active meds", "current med list"],
    "possessive": ["{Pos} current medication list?", "The patient's active medications?"],
    "tense": [
        "What medications is {sub} still taking?",
        "What has {sub} been taking lately, i.e. still active?",
        "Which drugs is {sub} on these days?",
    ],
    "typo": ["what are {pos} currnet meds?", "active medicatons?", "curent med list"],
    "filler": [
        "Could you list {pos} current medications?",
        "Can you tell me what {sub} is on right now?",
        "Just need {pos} active med list, please.",
    ],
    "shorthand": ["pt's active meds?", "current rx list?", "meds (active only)?"],
}
T["at_visit_cond"] = {
    "display": [
        "What was {pos} {o_disp} at the visit where {sub} was diagnosed with {e_disp}?",
        "{o_disp} recorded at the encounter when {e_disp} was diagnosed?",
        "At the visit where {e_disp} was first recorded, what was the {o_disp}?",
    ],
    "abbrev": [
        "{o_abbr} at the {e_abbr} diagnosis visit?",
        "What was {pos} {o_abbr} at the visit {e_abbr} was diagnosed?",
        "{o_abbr} on the day of the {e_abbr} dx?",
    ],
    "lay": [
        "What was {pos} {o_lay} at the appointment where {sub} was told {sub} had {e_lay}?",
        "At the visit that found {pos} {e_lay}, what was {pos} {o_lay}?",
    ],
    "terse": [
        "{o_abbr} at {e_short} dx visit?",
        "{o_short} at {e_abbr} diagnosis?",
        "{e_abbr} dx visit {o_abbr}?",
    ],
    "possessive": [
        "{Pos} {o_short} at the visit where {pos} {e_short} was diagnosed?",
        "The patient's {o_short} at the {e_short} diagnosis visit?",
    ],
    "tense": [
        "What had {pos} {o_short} been at the visit where {sub} got diagnosed with {e_short}?",
        "When {sub} was diagnosed with {e_short}, what was {pos} {o_short} at that visit?",
        "At the encounter where the {e_short} was found, what did {pos} {o_short} measure?",
    ],
    "typo": [
        "waht was {pos} {o_typo} at the visit {sub} was diagnossed with {e_short}?",
        "{o_typo} at {e_short} diagnosis visit?",
        "{o_short} at the {e_typo} dx visit",
    ],
    "filler": [
        "Could you tell me {pos} {o_short} at the visit where {e_short} was diagnosed?",
        "Just curious, what was the {o_abbr} at the {e_abbr} diagnosis appointment?",
        "I'd like the {o_short} from the same visit as the {e_short} diagnosis, please.",
    ],
    "shorthand": [
        "{o_abbr} @ {e_abbr} dx enc?",
        "pt's {o_abbr} at dx of {e_short}?",
        "{o_abbr} same visit as {e_abbr} dx?",
    ],
}
T["at_visit_med"] = {
    "display": [
        "What was {pos} {o_disp} at the visit where {e_disp} was first prescribed?",
        "{o_disp} recorded at the encounter when {e_disp} was first ordered?",
        "At the visit {sub} was started on {e_disp}, what was the {o_disp}?",
    ],
    "abbrev": [
        "{o_abbr} at the visit {e_abbr} was started?",
        "What was {pos} {o_abbr} when {e_abbr} was first prescribed?",
        "{o_abbr} on the day {e_abbr} was started?",
    ],
    "lay": [
        "What was {pos} {o_lay} at the appointment where {sub} was put on the {e_lay}?",
        "At the visit {sub} started the {e_lay}, what was {pos} {o_lay}?",
    ],
    "brand": [
        "{o_abbr} at the visit {e_brand} was first prescribed?",
        "What was {pos} {o_short} when {sub} was started on {e_brand}?",
    ],
    "terse": [
        "{o_abbr} at {e_short} start visit?",
        "{o_short} when {e_abbr} started?",
        "{e_short} start visit {o_abbr}?",
    ],
    "possessive": [
        "{Pos} {o_short} at the visit where {pos} {e_short} was first prescribed?",
        "The patient's {o_short} at the {e_short} start visit?",
    ],
    "tense": [
        "What had {pos} {o_short} been at the visit where {sub} got started on {e_short}?",
        "When {sub} was first put on {e_short}, what was {pos} {o_short} at that visit?",
        "At the encounter where {e_short} was first ordered, what did {pos} {o_short} measure?",
    ],
    "typo": [
        "waht was {pos} {o_typo} at the visit {sub} started {e_short}?",
        "{o_typo} at {e_short} start visit?",
        "{o_short} at the visit {e_typo} was startd",
    ],
    "filler": [
        "Could you tell me {pos} {o_short} at the visit where {e_short} was started?",
        "Just curious, what was the {o_abbr} at the appointment {e_brand} was first prescribed?",
        "I'd like the {o_short} from the same visit {e_short} was started, please.",
    ],
    "shorthand": [
        "{o_abbr} @ {e_abbr} start enc?",
        "pt's {o_abbr} at initiation of {e_short}?",
        "{o_abbr} same visit as first {e_abbr} rx?",
    ],
}
T["abstain_lab"] = {
    "display": ["What was {pos} most recent {disp}?", "What is the latest {disp} result?"],
    "abbrev": ["What was {pos} last {abbr}?", "Latest {abbr} value?", "{abbr2} result?"],
    "lay": ["What did {pos} last {lay} show?", "How did {pos} {lay} come back?"],
    "terse": ["Last {abbr}?", "{abbr}?", "{short} latest"],
    "possessive": ["{Pos} most recent {short}?", "The patient's {short} value?"],
    "tense": [
        "What did {pos} {short} come back as?",
        "What has {pos} {short} been?",
        "When was {pos} {short} last checked and what was it?",
    ],
    "typo": ["waht was {pos} last {typo}?", "{typo} resutl?", "most recnet {typo}"],
    "filler": [
        "Could you tell me {pos} latest {short}?",
        "Just wondering, what's the most recent {abbr} we have?",
        "Can you pull up {pos} {short} for me?",
    ],
    "shorthand": ["pt's last {abbr}?", "{abbr} value pls", "{abbr} - most recent?"],
}
T["abstain_drug"] = {
    "display": ["When was {disp} first prescribed?", "What date was {sub} started on {disp}?"],
    "abbrev": ["When was {sub} started on {abbr}?", "{abbr} start date?"],
    "lay": ["When did {sub} start the {lay}?", "When was the {lay} first prescribed?"],
    "brand": [
        "When was {sub} started on {brand}?",
        "{brand} start date?",
        "When was {brand2} first prescribed?",
    ],
    "generic": ["When did {sub} start {short}?", "What date was {short} first prescribed?"],
    "terse": ["{short} started when?", "{short} start?", "first {brand} rx date?"],
    "possessive": ["When was {pos} {short} started?", "The patient's {short} - start date?"],
    "tense": [
        "When was {sub} first put on {short}?",
        "When did {sub} begin taking {short}?",
        "Since when has {sub} been on {short}?",
    ],
    "typo": ["when was {sub} startd on {typo}?", "{typo} start date?", "wehn was {typo} prescribed"],
    "filler": [
        "Could you tell me when {sub} was started on {short}?",
        "Just checking - when was {brand} first prescribed?",
        "I need the date {short} was started, please.",
    ],
    "shorthand": ["{short} rx start?", "date of 1st {short} rx?", "pt started {abbr} when?"],
}
T["abstain_condition"] = {
    "display": ["When was {sub} diagnosed with {disp}?", "What is the onset date of {disp}?"],
    "abbrev": ["When was the {abbr} diagnosed?", "{abbr} onset date?", "Date of {abbr2} diagnosis?"],
    "lay": ["When did {pos} {lay} start?", "When was {sub} first told {sub} had {lay}?"],
    "terse": ["{abbr} dx date?", "{short} onset?", "date {short} diagnosed"],
    "possessive": ["{Pos} {short} - when was it diagnosed?", "When was the patient's {short} diagnosed?"],
    "tense": [
        "Since when has {sub} had {short}?",
        "When did {sub} get diagnosed with {short}?",
        "When was {short} first noted for {obj}?",
    ],
    "typo": ["when was {sub} diagnossed with {typo}?", "{typo} onset date?", "wehn was {typo} first noted"],
    "filler": [
        "Can you tell me when {pos} {short} was first diagnosed?",
        "Just checking, what date was the {abbr} diagnosed?",
        "Remind me when {sub} was diagnosed with {short}?",
    ],
    "shorthand": ["{abbr} dx - date?", "onset of {abbr}?", "pt dx'd w/ {abbr} when?"],
}
T["abstain_vaccine"] = {
    "display": ["When did {sub} receive the {disp}?", "Date of {pos} {disp}?"],
    "abbrev": ["When did {sub} get the {abbr}?", "{abbr} date?", "{abbr2} given when?"],
    "lay": ["When did {sub} get {pos} {lay}?", "When was the {lay} given?"],
    "brand": ["When did {sub} get {brand}?", "Date of the {brand} dose?"],
    "terse": ["{short} date?", "{abbr} given?", "{short} when"],
    "possessive": ["{Pos} {short} - what date?", "The patient's {short} date?"],
    "tense": [
        "When has {sub} been given the {short}?",
        "When did {sub} have {pos} {short}?",
        "When was the {short} administered to {obj}?",
    ],
    "typo": ["when did {sub} get the {typo}?", "{typo} date?", "date of {typo}"],
    "filler": [
        "Could you check when {sub} had the {short}?",
        "Hey, when was the {abbr} given?",
        "Just want to know when {pos} {short} was.",
    ],
    "shorthand": ["{abbr} dt?", "{abbr} - date given?", "pt's {short} when?"],
}
STYLE_ORDER = (
    "display",
    "abbrev",
    "lay",
    "brand",
    "generic",
    "terse",
    "possessive",
    "tense",
    "typo",
    "filler",
    "shorthand",
)


def phrasings(
    op: str, slots: dict, rng: random.Random, minimum: int = MIN_PHRASINGS
) -> list[tuple[str, str]]:
    """At least ``minimum`` distinct (style, question) pairs for one fact, or [] if impossible."""
    bank = T[op]
    slots = expand_lay(slots)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(style: str, text: str | None) -> bool:
        if not text:
            return False
        key = text.lower().strip()
        if key in seen:
            return False
        seen.add(key)
        out.append((style, text))
        return True

    rendered: dict[str, list[str]] = {}
    for style in STYLE_ORDER:
        options = [render(t, slots) for t in bank.get(style, [])]
        rendered[style] = [o for o in options if o]
        rng.shuffle(rendered[style])
    # first pass: one of each style; second pass: a second one of a few styles
    for style in STYLE_ORDER:
        for text in rendered[style]:
            if add(style, text):
                break
    # lower case, no punctuation: a display or abbreviation phrasing typed quickly
    base = rendered["abbrev"] + rendered["display"] + rendered["possessive"]
    rng.shuffle(base)
    for text in base:
        if add("lowercase", lowercase_style(text)):
            break
    extra_styles = [s for s in STYLE_ORDER if len(rendered[s]) > 1]
    rng.shuffle(extra_styles)
    for style in extra_styles:
        if len(out) >= minimum + 2:
            break
        for text in rendered[style]:
            if add(style, text):
                break
    if len(out) < minimum:
        for style in STYLE_ORDER:
            for text in rendered[style]:
                add(style, text)
    return out if len(out) >= minimum else []


# ----------------------------------------------------------------------------- candidates


@dataclass
class Fact:
    patient_id: str
    category: str
    op: str
    gold: dict
    gold_resources: list[str]
    concept: str
    slots: dict
    context_resources: list[str] = field(default_factory=list)  # the anchor event, if any
    priority: float = 0.0  # higher = preferred within a category

    def key(self) -> str:
        return f"{self.patient_id}|{self.op}|{self.concept}|{json.dumps(self.gold, sort_keys=True)}"


def series_by_concept(rec: Record) -> dict[tuple[str, str], list[Obs]]:
    series: dict[tuple[str, str], list[Obs]] = defaultdict(list)
    for o in rec.observations:
        series[(o.code, o.display)].append(o)
    return series


def usable_series(rec: Record) -> dict[tuple[str, str], tuple[Names, list[Obs]]]:
    """Observation concepts that are unambiguous for this patient."""
    series = series_by_concept(rec)
    fam: Counter = Counter()
    names_of: dict[tuple[str, str], Names] = {}
    for key, obs in series.items():
        names = obs_names(obs[0])
        if names is None:
            continue
        names_of[key] = names
        fam[names.family] += 1
        fam["code:" + key[0]] += 1
    out = {}
    for key, names in names_of.items():
        if fam[names.family] > 1 or fam["code:" + key[0]] > 1:
            continue  # two codes for one name, or one code under two names
        out[key] = (names, series[key])
    return out


def unique_on(obs: list[Obs], pred) -> list[Obs]:
    return [o for o in obs if pred(o)]


def value_gold(o: Obs) -> dict:
    return {"kind": "value", "value": round(o.value, 4), "unit": o.unit}


def date_count(obs: list[Obs]) -> Counter:
    return Counter(o.date for o in obs)


def med_groups(rec: Record) -> dict[str, tuple[Names, list[Med]]]:
    """Drugs by display, skipping any whose family holds two displays for this patient."""
    groups: dict[str, list[Med]] = defaultdict(list)
    for m in rec.meds:
        groups[m.display].append(m)
    fam: Counter = Counter()
    named = {}
    for disp in groups:
        names = med_names(disp)
        if names:
            named[disp] = names
            fam[names.family] += 1
    return {d: (n, groups[d]) for d, n in named.items() if fam[n.family] == 1}


def cond_groups(rec: Record) -> dict[str, tuple[Names, list[Cond]]]:
    groups: dict[str, list[Cond]] = defaultdict(list)
    for c in rec.conditions:
        groups[c.display].append(c)
    fam: Counter = Counter()
    named = {}
    for disp in groups:
        names = cond_names(disp)
        if names:
            named[disp] = names
            fam[names.family] += 1
    return {d: (n, groups[d]) for d, n in named.items() if fam[n.family] == 1}


def vax_groups(rec: Record) -> dict[str, tuple[Names, list[Imm]]]:
    groups: dict[str, list[Imm]] = defaultdict(list)
    for i in rec.immunizations:
        groups[i.display].append(i)
    fam: Counter = Counter()
    named = {}
    for disp in groups:
        names = vax_names(disp)
        if names:
            named[disp] = names
            fam[names.family] += 1
    return {d: (n, groups[d]) for d, n in named.items() if fam[n.family] == 1}


def events(rec: Record) -> list[tuple[str, Names, str, str, str | None]]:
    """Anchor events: (kind, names, date, resource, encounter) for a condition recorded once
    and the first prescription of a drug."""
    out = []
    for _disp, (names, conds) in cond_groups(rec).items():
        if len(conds) == 1:
            c = conds[0]
            out.append(("cond", names, c.onset[:10], c.resource, c.encounter))
    for _disp, (names, meds) in med_groups(rec).items():
        first = meds[0]
        if sum(1 for m in meds if m.authored[:10] == first.authored[:10]) == 1:
            out.append(("med", names, first.authored[:10], first.resource, first.encounter))
    return out


def lookup_candidates(rec: Record, rng: random.Random) -> list[Fact]:
    facts = []
    for (_code, disp), (names, obs) in usable_series(rec).items():
        dc = date_count(obs)
        cs = concept_slots(names, rng)
        last, first = obs[-1], obs[0]
        weight = 1.0 if not names.vital else 0.8
        if dc[last.date] == 1:
            facts.append(
                Fact(
                    rec.patient_id,
                    "lookup",
                    "last_value",
                    value_gold(last),
                    [last.resource],
                    disp,
                    cs,
                    priority=weight,
                )
            )
        if len(obs) >= 2 and dc[first.date] == 1 and first.value != last.value:
            facts.append(
                Fact(
                    rec.patient_id,
                    "lookup",
                    "first_value",
                    value_gold(first),
                    [first.resource],
                    disp,
                    cs,
                    priority=weight * 0.9,
                )
            )
        if len(obs) >= 3:
            middle = [o for o in obs[1:-1] if dc[o.date] == 1]
            if middle:
                o = rng.choice(middle)
                facts.append(
                    Fact(
                        rec.patient_id,
                        "lookup",
                        "value_on_date",
                        value_gold(o),
                        [o.resource],
                        disp,
                        {**cs, **date_forms(o.date)},
                        priority=weight * 0.9,
                    )
                )
    for disp, (names, conds) in cond_groups(rec).items():
        if len(conds) == 1:
            c = conds[0]
            facts.append(
                Fact(
                    rec.patient_id,
                    "lookup",
                    "onset_date",
                    {"kind": "date", "value": c.onset[:10]},
                    [c.resource],
                    disp,
                    concept_slots(names, rng),
                    priority=0.9,
                )
            )
    for disp, (names, meds) in med_groups(rec).items():
        first = meds[0]
        if sum(1 for m in meds if m.authored[:10] == first.authored[:10]) == 1:
            facts.append(
                Fact(
                    rec.patient_id,
                    "lookup",
                    "first_rx_date",
                    {"kind": "date", "value": first.authored[:10]},
                    [first.resource],
                    disp,
                    concept_slots(names, rng),
                    priority=0.9,
                )
            )
    for disp, (names, imms) in vax_groups(rec).items():
        last = imms[-1]
        if sum(1 for i in imms if i.time[:10] == last.time[:10]) == 1:
            facts.append(
                Fact(
                    rec.patient_id,
                    "lookup",
                    "last_imm_date",
                    {"kind": "date", "value": last.time[:10]},
                    [last.resource],
                    disp,
                    concept_slots(names, rng),
                    priority=0.7,
                )
            )
    return facts


def event_slots(kind: str, names: Names, rng: random.Random) -> dict:
    s = concept_slots(names, rng, prefix="e_")
    if not s.get("e_abbr"):
        s["e_abbr"] = names.short
    return s


BP_CODES = ("8480-6", "8462-4")
LIPIDS = ("2093-3", "2571-8", "18262-6", "2085-9")
SUGAR = ("4548-4", "2339-0")
BODY = ("29463-7", "39156-5")
CBC_RED = ("718-7", "4544-3", "20570-8", "787-2", "789-8")
KIDNEY = ("38483-4", "33914-3", "6298-4", "2947-0")
RELATED_COND = {  # condition display -> observation codes a clinician would look at around it
    "Hypertension": BP_CODES + BODY,
    "Hyperlipidemia": LIPIDS,
    "Hypertriglyceridemia (disorder)": LIPIDS,
    "Prediabetes": SUGAR + BODY,
    "Diabetes": SUGAR + BODY + KIDNEY,
    "Hyperglycemia (disorder)": SUGAR,
    "Metabolic syndrome X (disorder)": SUGAR + BODY + LIPIDS + BP_CODES,
    "Body mass index 30+ - obesity (finding)": BODY,
    "Anemia (disorder)": CBC_RED,
    "Chronic congestive heart failure (disorder)": ("10230-1", "33762-6") + BODY + BP_CODES,
    "Stroke": BP_CODES + LIPIDS,
    "Alzheimer's disease (disorder)": ("72106-8",) + BODY,
}
RELATED_MED = {  # drug family -> observation codes
    "statin": LIPIDS,
    "thiazide": BP_CODES + KIDNEY,
    "metoprolol": BP_CODES + ("10230-1",),
    "furosemide": BP_CODES + BODY + KIDNEY,
    "metformin": SUGAR + KIDNEY + BODY,
    "b12": CBC_RED,
    "contraceptive": BP_CODES + BODY,
    "naproxen": KIDNEY + BP_CODES,
    "ibuprofen": KIDNEY,
    "dementia-drug": ("72106-8",),
    "methylphenidate": BP_CODES + BODY,
    "steroid": SUGAR,
}
GENERIC_VITALS = BP_CODES + BODY


def relevance(kind: str, event: Names, code: str) -> float:
    """2 for a pairing a clinician would ask about (LDL after a statin), 1 for vitals around
    any event (BP before the ER visit for a sprain), 0 otherwise (height after an antibiotic)."""
    table = RELATED_MED.get(event.family, ()) if kind == "med" else RELATED_COND.get(event.display, ())
    if code in table:
        return 2.0
    return 1.0 if code in GENERIC_VITALS else 0.0


def temporal_candidates(rec: Record, rng: random.Random) -> list[Fact]:
    facts = []
    usable = usable_series(rec)
    evs = events(rec)
    for (code, disp), (names, obs) in usable.items():
        dc = date_count(obs)
        cs = concept_slots(names, rng)
        for kind, enames, edate, eres, _enc in evs:
            rel = relevance(kind, enames, code)
            if dc[edate] or not rel:
                continue  # a result on the event's own day: "before" would be ambiguous
            before = [o for o in obs if o.date < edate]
            after = [o for o in obs if o.date > edate]
            op_suffix = "_med" if kind == "med" else ""
            slots = {**cs, **event_slots(kind, enames, rng)}
            if before and dc[before[-1].date] == 1 and before[-1] is not obs[-1]:
                o = before[-1]
                facts.append(
                    Fact(
                        rec.patient_id,
                        "temporal",
                        "before_event" + op_suffix,
                        value_gold(o),
                        [o.resource],
                        disp,
                        slots,
                        [eres],
                        priority=rel,
                    )
                )
            if after and before and dc[after[0].date] == 1 and after[0] is not obs[-1]:
                o = after[0]
                facts.append(
                    Fact(
                        rec.patient_id,
                        "temporal",
                        "after_event" + op_suffix,
                        value_gold(o),
                        [o.resource],
                        disp,
                        slots,
                        [eres],
                        priority=rel,
                    )
                )
        months = Counter(o.date[:7] for o in obs)
        years = Counter(o.date[:4] for o in obs)
        inner = obs[:-1]  # not the latest: "in <month>" should not be answerable as "the last"
        ym = [o for o in inner if months[o.date[:7]] == 1 and years[o.date[:4]] > 1]
        yy = [o for o in inner if years[o.date[:4]] == 1]
        if ym:
            o = rng.choice(ym)
            facts.append(
                Fact(
                    rec.patient_id,
                    "temporal",
                    "in_month",
                    value_gold(o),
                    [o.resource],
                    disp,
                    {**cs, **date_forms(o.date)},
                    priority=0.8,
                )
            )
        elif [o for o in inner if months[o.date[:7]] == 1]:
            o = rng.choice([o for o in inner if months[o.date[:7]] == 1])
            facts.append(
                Fact(
                    rec.patient_id,
                    "temporal",
                    "in_month",
                    value_gold(o),
                    [o.resource],
                    disp,
                    {**cs, **date_forms(o.date)},
                    priority=0.6,
                )
            )
        if yy:
            o = rng.choice(yy)
            facts.append(
                Fact(
                    rec.patient_id,
                    "temporal",
                    "in_year",
                    value_gold(o),
                    [o.resource],
                    disp,
                    {**cs, **date_forms(o.date)},
                    priority=0.6,
                )
            )
    return facts


def trend_label(values: list[float]) -> str | None:
    first, last = values[0], values[-1]
    if first == 0:
        return None
    rel = (last - first) / abs(first)
    if 0.04 <= abs(rel) <= 0.06:
        return None  # too close to the rule's edge to be a fair question
    return "increasing" if rel > 0.05 else "decreasing" if rel < -0.05 else "stable"


def trend_candidates(rec: Record, rng: random.Random) -> list[Fact]:
    facts = []
    for (code, disp), (names, obs) in usable_series(rec).items():
        if code == "72514-3":
            continue  # integer pain scores jump around; not a trend a clinician asks about
        dc = date_count(obs)
        if any(v > 1 for v in dc.values()):
            continue
        cs = concept_slots(names, rng)
        if len(obs) >= 3:
            label = trend_label([o.value for o in obs])
            if label:
                facts.append(
                    Fact(
                        rec.patient_id,
                        "trend",
                        "trend_all",
                        {"kind": "trend", "value": label},
                        [o.resource for o in obs],
                        disp,
                        cs,
                        priority=1.0,
                    )
                )
        for n in (3, 4, 5):
            if len(obs) > n:
                window = obs[-n:]
                label = trend_label([o.value for o in window])
                if label:
                    facts.append(
                        Fact(
                            rec.patient_id,
                            "trend",
                            "trend_last",
                            {"kind": "trend", "value": label},
                            [o.resource for o in window],
                            disp,
                            {**cs, "n": str(n)},
                            priority=0.9,
                        )
                    )
                break
    return facts


def aggregation_candidates(rec: Record, rng: random.Random) -> list[Fact]:
    facts = []
    for (code, disp), (names, obs) in usable_series(rec).items():
        if code == "8462-4":
            continue  # blood pressure is counted once, as panels (below)
        if code == "8480-6":
            names, disp = BP_PANEL, "Blood Pressure"
        res = sorted({o.resource for o in obs})
        if len(res) >= 2:
            facts.append(
                Fact(
                    rec.patient_id,
                    "aggregation",
                    "count_obs",
                    {"kind": "count", "value": len(res)},
                    res,
                    disp,
                    concept_slots(names, rng),
                    priority=1.0,
                )
            )
    for disp, (names, imms) in vax_groups(rec).items():
        if len(imms) >= 2:
            facts.append(
                Fact(
                    rec.patient_id,
                    "aggregation",
                    "count_imm",
                    {"kind": "count", "value": len(imms)},
                    [i.resource for i in imms],
                    disp,
                    concept_slots(names, rng),
                    priority=0.9,
                )
            )
    vax = sorted({i.display for i in rec.immunizations})
    if len(vax) >= 2:
        facts.append(
            Fact(
                rec.patient_id,
                "aggregation",
                "list_vaccines",
                {"kind": "list", "value": vax},
                [i.resource for i in rec.immunizations],
                "Immunization",
                {},
                priority=1.2,
            )
        )
    meds = sorted({m.display for m in rec.meds})
    if len(meds) >= 2:
        facts.append(
            Fact(
                rec.patient_id,
                "aggregation",
                "list_meds_ever",
                {"kind": "list", "value": meds},
                [m.resource for m in rec.meds],
                "MedicationRequest",
                {},
                priority=1.2,
            )
        )
    conds = sorted({c.display for c in rec.conditions})
    if 2 <= len(conds) <= 16:
        facts.append(
            Fact(
                rec.patient_id,
                "aggregation",
                "list_conditions",
                {"kind": "list", "value": conds},
                [c.resource for c in rec.conditions],
                "Condition",
                {},
                priority=1.2,
            )
        )
    allergies = sorted({a for _, a in rec.allergies})
    if allergies:
        facts.append(
            Fact(
                rec.patient_id,
                "aggregation",
                "list_allergies",
                {"kind": "list", "value": allergies},
                [r for r, _ in rec.allergies],
                "AllergyIntolerance",
                {},
                priority=1.1,
            )
        )
    return facts


CURRENT = {"active"}
ENDED = {"stopped", "completed"}


def update_candidates(rec: Record, rng: random.Random) -> list[Fact]:
    if rec.deceased:
        return []  # "currently" is no question to ask about someone who has died
    facts = []
    for disp, (names, meds) in med_groups(rec).items():
        latest = meds[-1]
        if sum(1 for m in meds if m.authored == latest.authored) > 1:
            continue
        if latest.status in CURRENT:
            gold, res = True, [m.resource for m in meds if m.status in CURRENT]
        elif all(m.status in ENDED for m in meds):
            gold, res = False, [m.resource for m in meds]
        else:
            continue
        facts.append(
            Fact(
                rec.patient_id,
                "update",
                "on_drug",
                {"kind": "boolean", "value": gold},
                res,
                disp,
                concept_slots(names, rng),
                priority=1.0 + (0.2 if gold else 0),
            )
        )
    for disp, (names, conds) in cond_groups(rec).items():
        active = [c for c in conds if c.status == "active" and not c.abatement]
        if len(conds) == 1 and active:
            gold, res = True, [active[0].resource]
        elif not active and all(
            c.abatement or c.status in ("resolved", "inactive", "remission") for c in conds
        ):
            gold, res = False, [c.resource for c in conds]
        else:
            continue
        facts.append(
            Fact(
                rec.patient_id,
                "update",
                "cond_active",
                {"kind": "boolean", "value": gold},
                res,
                disp,
                concept_slots(names, rng),
                priority=0.9 + (0.2 if gold else 0),
            )
        )
    active = [m for m in rec.meds if m.status in CURRENT]
    if active:
        facts.append(
            Fact(
                rec.patient_id,
                "update",
                "current_meds",
                {"kind": "list", "value": sorted({m.display for m in active})},
                [m.resource for m in active],
                "MedicationRequest",
                {},
                priority=1.5,
            )
        )
    return facts


MULTIHOP_CODES = (
    "8480-6",
    "8462-4",
    "29463-7",
    "39156-5",
    "4548-4",
    "2339-0",
    "18262-6",
    "2093-3",
    "38483-4",
    "33914-3",
    "10230-1",
    "8331-1",
)


def multihop_candidates(rec: Record, rng: random.Random) -> list[Fact]:
    facts = []
    usable = usable_series(rec)
    for kind, enames, _edate, eres, enc in events(rec):
        if not enc:
            continue
        for (code, disp), (names, obs) in usable.items():
            rel = relevance(kind, enames, code)
            if code not in MULTIHOP_CODES or not rel:
                continue
            at = [o for o in obs if o.encounter == enc]
            if len(at) != 1 or at[0] is obs[-1]:
                continue  # none, several, or the plain latest value (too easy to get right by accident)
            o = at[0]
            slots = {**concept_slots(names, rng, prefix="o_"), **event_slots(kind, enames, rng)}
            if not slots.get("o_abbr"):
                slots["o_abbr"] = names.short
            op = "at_visit_med" if kind == "med" else "at_visit_cond"
            facts.append(
                Fact(
                    rec.patient_id,
                    "multihop",
                    op,
                    value_gold(o),
                    [o.resource],
                    disp,
                    slots,
                    [eres],
                    priority=rel,
                )
            )
    return facts


def mentions(blob: str, keyword: str) -> bool:
    """Whether ``keyword`` occurs in the record's text (short ones as a whole word)."""
    if len(keyword) <= 4:
        return re.search(r"\b" + re.escape(keyword) + r"\b", blob) is not None
    return keyword in blob


def abstention_candidates(rec: Record, rng: random.Random) -> list[Fact]:
    facts = []
    for kind, names, keywords, gender in ABSENT_BANK:
        if gender and rec.gender != gender:
            continue
        if any(mentions(rec.blob, k) for k in keywords):
            continue
        n = Names(
            display=names["display"],
            short=names["short"],
            abbrs=names.get("abbrs", ()),
            lays=names.get("lays", ()),
            brands=names.get("brands", ()),
        )
        facts.append(
            Fact(
                rec.patient_id,
                "abstention",
                "abstain_" + kind,
                {"kind": "none", "value": None},
                [],
                names["display"],
                concept_slots(n, rng),
                priority=1.0,
            )
        )
    return facts


GENERATORS = {
    "lookup": lookup_candidates,
    "temporal": temporal_candidates,
    "trend": trend_candidates,
    "aggregation": aggregation_candidates,
    "update": update_candidates,
    "multihop": multihop_candidates,
    "abstention": abstention_candidates,
}


# ----------------------------------------------------------------------------- selection


OP_WEIGHT = {"last_value": 2.0, "before_event_med": 1.5, "after_event_med": 1.5, "list_allergies": 0.5}


def balance_key(f: Fact) -> str:
    """What selection spreads evenly: the operation, and for trends and yes/no the answer too."""
    if f.gold["kind"] in ("trend", "boolean"):
        return f"{f.op}/{f.gold['value']}"
    return f.op


def select(pools: dict[str, list[Fact]], quota: int, rng: random.Random) -> list[Fact]:
    """Round-robin over patients; each pick takes the patient's fact whose operation (and
    answer label) is least used so far, then a concept not asked yet for that patient, then
    the most clinically relevant one, then the concept least used over all patients."""
    queues = {pid: sorted(facts, key=lambda f: (-f.priority, rng.random())) for pid, facts in pools.items()}
    used_keys: Counter = Counter()
    used_concepts: dict[str, Counter] = defaultdict(Counter)
    used_global: Counter = Counter()
    chosen: list[Fact] = []
    patients = sorted(queues, key=lambda p: (-len(queues[p]), p))
    while len(chosen) < quota and any(queues.values()):
        for pid in patients:
            if len(chosen) >= quota:
                break
            queue = queues[pid]
            if not queue:
                continue

            def rank(i: int, queue: list[Fact] = queue, pid: str = pid) -> tuple:
                f = queue[i]
                key = balance_key(f)
                return (
                    used_keys[key] / OP_WEIGHT.get(f.op, 1.0),
                    used_concepts[pid][f.concept],
                    -f.priority,
                    used_global[f.concept],
                    i,
                )

            f = queue.pop(min(range(len(queue)), key=rank))
            used_keys[balance_key(f)] += 1
            used_concepts[pid][f.concept] += 1
            used_global[f.concept] += 1
            chosen.append(f)
    return chosen


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", clean(text).lower()).strip("-")[:40]


def build(data_dir: Path, seed: int = SEED) -> list[dict]:
    records = [read_bundle(p) for p in sorted(data_dir.glob("*.json"))]
    out: list[dict] = []
    ids: set[str] = set()
    for category, quota in CATEGORY_QUOTA.items():
        rng = random.Random(f"{seed}-{category}")
        pools = {}
        for rec in records:
            prng = random.Random(f"{seed}-{category}-{rec.patient_id}")
            pools[rec.patient_id] = [f for f in GENERATORS[category](rec, prng)]
        gender = {r.patient_id: r.gender for r in records}
        # phrase every candidate first so that a fact that cannot get 12 phrasings is never picked
        phrased: dict[str, list[Fact]] = {}
        texts: dict[int, list[tuple[str, str]]] = {}
        for pid, facts in pools.items():
            keep = []
            for f in facts:
                frng = random.Random(f"{seed}-{f.key()}")
                slots = {**pronoun_slots(gender[pid]), **f.slots}
                p = phrasings(f.op, slots, frng)
                if p:
                    texts[id(f)] = p
                    keep.append(f)
            phrased[pid] = keep
        for f in select(phrased, quota, rng):
            fid = f"{f.patient_id[:8]}-{f.op}-{slug(f.concept)}"
            if f.gold["kind"] == "value":
                fid += "-" + hashlib.sha1(f.key().encode()).hexdigest()[:6]
            while fid in ids:
                fid += "x"
            ids.add(fid)
            p = texts[id(f)]
            out.append(
                {
                    "fact_id": fid,
                    "patient_id": f.patient_id,
                    "category": f.category,
                    "op": f.op,
                    "gold": f.gold,
                    "gold_resources": f.gold_resources,
                    "context_resources": f.context_resources,
                    "concept": f.concept,
                    "phrasings": [t for _, t in p],
                    "phrasing_styles": [s for s, _ in p],
                }
            )
    return out


def main(argv: Iterable[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(list(argv) if argv is not None else None)
    facts = build(args.data, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as fh:
        for f in facts:
            fh.write(json.dumps(f, ensure_ascii=False) + "\n")
    cats = Counter(f["category"] for f in facts)
    pats = Counter(f["patient_id"] for f in facts)
    print(f"{len(facts)} facts, {len(pats)} patients -> {args.out}")
    for c, n in cats.items():
        print(f"  {c:12s} {n:4d} ({100 * n / len(facts):.0f} %)")


if __name__ == "__main__":
    main()
