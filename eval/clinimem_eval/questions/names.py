"""What a clinician calls a coded concept, and vocabularies of things to ask about.

Questions say "HbA1c", not "Hemoglobin A1c/Hemoglobin.total in Blood". Names
come, in order, from the synthetic ground truth (its ``name`` per code), from
:data:`SPOKEN` (common LOINC codes in Synthea records), and from a cleaned-up
display.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# LOINC codes seen in Synthea R4 records and the synthetic patients.
SPOKEN: dict[str, str] = {
    "4548-4": "HbA1c",
    "2339-0": "glucose",
    "2345-7": "glucose",
    "18262-6": "LDL cholesterol",
    "13457-7": "LDL cholesterol",
    "2085-9": "HDL cholesterol",
    "2093-3": "total cholesterol",
    "2571-8": "triglycerides",
    "33914-3": "eGFR",
    "2160-0": "creatinine",
    "38483-4": "creatinine",
    "2947-0": "sodium",
    "2951-2": "sodium",
    "6298-4": "potassium",
    "2823-3": "potassium",
    "2069-3": "chloride",
    "2075-0": "chloride",
    "20565-8": "carbon dioxide",
    "2028-9": "carbon dioxide",
    "6299-2": "urea nitrogen",
    "49765-1": "calcium",
    "17861-6": "calcium",
    "8480-6": "systolic blood pressure",
    "8462-4": "diastolic blood pressure",
    "29463-7": "body weight",
    "39156-5": "BMI",
    "8302-2": "body height",
    "8867-4": "heart rate",
    "9279-1": "respiratory rate",
    "59408-5": "oxygen saturation",
    "2708-6": "oxygen saturation",
    "8310-5": "body temperature",
    "72514-3": "pain score",
    "718-7": "hemoglobin",
    "4544-3": "hematocrit",
    "6690-2": "white blood cell count",
    "777-3": "platelet count",
    "789-8": "red blood cell count",
    "785-6": "MCH",
    "786-4": "MCHC",
    "787-2": "MCV",
    "21000-5": "RDW",
    "32207-3": "platelet distribution width",
    "32623-1": "mean platelet volume",
    "14959-1": "urine microalbumin/creatinine ratio",
    "33762-6": "NT-proBNP",
    "55277-8": "HIV status",
}

# Blood pressure panels: the current LOINC panel and the one older Synthea records use.
BP_PANELS = frozenset({"85354-9", "55284-4"})
SYSTOLIC = "8480-6"
DIASTOLIC = "8462-4"

_PARENS = re.compile(r"\s*\((disorder|finding|procedure|situation|morphologic abnormality|qualifier value)\)")
_BRACKETS = re.compile(r"\s*\[.*$")
_UNITS = frozenset({"HR", "ACTUAT", "ML", "MG", "UNT", "MCG", "DAY"})


def clean_display(display: str, kind: str) -> str:
    """A readable name from a code display when no spoken name is known."""
    text = _PARENS.sub("", display).strip()
    if kind == "medication":
        # "24 HR Metformin hydrochloride 500 MG ..." / "NDA020800 0.3 ML Epinephrine 1 MG/ML ...":
        # skip leading amounts and units, then keep the words up to the strength
        words = text.split()
        while words and (any(ch.isdigit() for ch in words[0]) or words[0].upper() in _UNITS):
            words = words[1:]
        kept = []
        for word in words:
            if any(ch.isdigit() for ch in word) or word.startswith("["):
                break
            kept.append(word)
        return (" ".join(kept) or text).lower()
    if kind == "observation":
        text = _BRACKETS.sub("", text).strip()
        text = re.sub(r"\s+in (Serum|Plasma|Blood|Urine).*$", "", text)
    if text and not text[:2].isupper():
        text = text[0].lower() + text[1:]
    return text


@dataclass(frozen=True)
class Thing:
    """Something a patient might have: how it is coded and how it is said."""

    code: str
    name: str
    keywords: tuple[str, ...]  # lower-case words that, in any display of the record, mean it is there


# Tests that a question may ask about when the record has none of them (abstention).
ABSENT_LABS = (
    Thing("3016-3", "TSH", ("thyrotropin", "tsh")),
    Thing("2857-1", "PSA", ("prostate specific", "psa")),
    Thing("6301-6", "INR", ("inr", "coagulation")),
    Thing("2276-4", "ferritin", ("ferritin",)),
    Thing("1989-3", "vitamin D level", ("calcidiol", "vitamin d")),
    Thing("10839-9", "troponin", ("troponin",)),
    Thing("30934-4", "BNP", ("natriuretic",)),
    Thing("1742-6", "ALT", ("alanine aminotransferase",)),
    Thing("2132-9", "vitamin B12 level", ("cobalamin", "b12")),
    Thing("3094-0", "BUN", ("urea nitrogen", "bun")),
    Thing("1975-2", "total bilirubin", ("bilirubin",)),
    Thing("5902-2", "prothrombin time", ("prothrombin",)),
)
ABSENT_DRUGS = (
    Thing("855332", "warfarin", ("warfarin",)),
    Thing("309362", "clopidogrel", ("clopidogrel",)),
    Thing("866414", "metoprolol", ("metoprolol",)),
    Thing("966247", "levothyroxine", ("levothyroxine",)),
    Thing("314076", "lisinopril", ("lisinopril",)),
    Thing("860975", "metformin", ("metformin",)),
    Thing("259255", "atorvastatin", ("atorvastatin",)),
    Thing("197361", "amlodipine", ("amlodipine",)),
    Thing("310798", "hydrochlorothiazide", ("hydrochlorothiazide",)),
    Thing("312617", "prednisone", ("prednisone",)),
    Thing("106892", "insulin", ("insulin",)),
    Thing("198211", "simvastatin", ("simvastatin",)),
    Thing("310325", "furosemide", ("furosemide",)),
    Thing("1191", "aspirin", ("aspirin",)),
)
ABSENT_CONDITIONS = (
    Thing("44054006", "type 2 diabetes", ("diabetes",)),
    Thing("59621000", "hypertension", ("hypertension",)),
    Thing("55822004", "hyperlipidemia", ("hyperlipidemia",)),
    Thing("195967001", "asthma", ("asthma",)),
    Thing("88805009", "heart failure", ("heart failure",)),
    Thing("49436004", "atrial fibrillation", ("atrial fibrillation",)),
    Thing("13645005", "COPD", ("obstructive lung", "copd", "emphysema")),
    Thing("40930008", "hypothyroidism", ("hypothyroidism",)),
    Thing("254837009", "breast cancer", ("breast",)),
    Thing("363406005", "colon cancer", ("colon", "colorectal")),
    Thing("53741008", "coronary artery disease", ("coronary", "myocardial infarction")),
    Thing("230690007", "stroke", ("stroke", "cerebrovascular")),
    Thing("239873007", "osteoarthritis of the knee", ("osteoarthritis",)),
    Thing("370143000", "depression", ("depressi",)),
    Thing("431856006", "chronic kidney disease", ("kidney disease",)),
    Thing("68566005", "urinary tract infection", ("urinary tract",)),
    Thing("62315008", "gout", ("gout",)),
)

# Drug classes for "what X is she on now": words in the drug's display that place it in the class.
DRUG_CLASSES: dict[str, tuple[str, ...]] = {
    "blood pressure medication": (
        "lisinopril",
        "losartan",
        "amlodipine",
        "hydrochlorothiazide",
        "metoprolol",
        "enalapril",
        "valsartan",
        "atenolol",
    ),
    "statin": ("simvastatin", "atorvastatin", "rosuvastatin", "pravastatin"),
    "diabetes medication": ("metformin", "insulin", "glipizide", "liraglutide", "sitagliptin"),
    "inhaler": ("albuterol", "fluticasone", "budesonide", "inhaler"),
    "antibiotic": (
        "amoxicillin",
        "azithromycin",
        "ciprofloxacin",
        "cefuroxime",
        "doxycycline",
        "penicillin",
        "nitrofurantoin",
    ),
}


def drug_class(display: str | None) -> str | None:
    """The class a drug display belongs to, if any (first match in :data:`DRUG_CLASSES`)."""
    low = (display or "").lower()
    for name, words in DRUG_CLASSES.items():
        if any(word in low for word in words):
            return name
    return None


# Lab code -> words of the events it is clinically read against ("HbA1c since metformin").
RELATED: dict[str, tuple[str, ...]] = {}
for _codes, _words in (
    (("4548-4", "2339-0", "2345-7"), ("diabet", "metformin", "insulin", "glipizide", "liraglutide")),
    (("18262-6", "13457-7", "2093-3", "2571-8", "2085-9"), ("lipid", "cholesterol", "statin")),
    (
        (SYSTOLIC, DIASTOLIC),
        ("hypertension", "lisinopril", "losartan", "amlodipine", "hydrochlorothiazide", "metoprolol"),
    ),
    (("33914-3", "2160-0", "38483-4"), ("kidney", "lisinopril", "losartan", "metformin")),
    (("6298-4", "2823-3"), ("kidney", "lisinopril", "losartan", "hydrochlorothiazide")),
    (("29463-7", "39156-5"), ("diabet", "metformin", "insulin", "obesity", "body mass")),
    (("59408-5", "2708-6", "9279-1"), ("asthma", "albuterol", "fluticasone", "bronchitis", "copd")),
):
    for _code in _codes:
        RELATED[_code] = _words
# Read at any visit whatever brought it about: "the blood pressure at the visit when X started".
VITALS = frozenset({SYSTOLIC, DIASTOLIC, "29463-7", "8867-4"})


def related(code: str | None, event_text: str) -> bool:
    """Whether a lab is clinically read against an event (by the event's name and display)."""
    low = event_text.lower()
    return any(word in low for word in RELATED.get(code or "", ()))
