"""Codes the synthetic patients are written with (SNOMED CT, LOINC, RxNorm, CVX, UCUM).

Codes follow what Synthea R4 bundles use where Synthea has them, so that a
pipeline that reads the generator's output also reads real Synthea records.
Every concept carries a short lower-case ``name``: the word a clinician uses in
a note or a question ("metformin", "type 2 diabetes"), used for note mentions
and for the ground truth.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class Concept:
    """One coded concept and the short name used for it in notes and truth."""

    system: str
    code: str
    display: str
    name: str


@dataclass(frozen=True)
class Test:
    """An observation code with its UCUM unit, rounding and FHIR category."""

    concept: Concept
    unit: str
    decimals: int
    category: str  # "laboratory" | "vital-signs"


@dataclass(frozen=True)
class Drug:
    """A prescribable product with the dosage text written on its order."""

    concept: Concept
    sig: str


def _sct(code: str, display: str, name: str) -> Concept:
    return Concept(SNOMED, code, display, name)


def _loinc(code: str, display: str, name: str) -> Concept:
    return Concept(LOINC, code, display, name)


def _rx(code: str, display: str, name: str, sig: str) -> Drug:
    return Drug(Concept(RXNORM, code, display, name), sig)


# --- encounter types ---------------------------------------------------------
ENC_CHECKUP = _sct("185349003", "Encounter for check up (procedure)", "check-up")
ENC_PROBLEM = _sct("185345009", "Encounter for symptom (procedure)", "problem visit")
ENC_FOLLOWUP = _sct("390906007", "Follow-up encounter (procedure)", "follow-up visit")
ENC_EMERGENCY = _sct("50849002", "Emergency room admission (procedure)", "emergency visit")
ENC_PROCEDURE = _sct("73761001", "Colonoscopy", "procedure visit")

# --- conditions --------------------------------------------------------------
PREDIABETES = _sct("15777000", "Prediabetes", "prediabetes")
T2DM = _sct("44054006", "Diabetes mellitus type 2 (disorder)", "type 2 diabetes")
CKD_STAGE = {
    2: _sct("431856006", "Chronic kidney disease stage 2 (disorder)", "chronic kidney disease stage 2"),
    3: _sct("433144002", "Chronic kidney disease stage 3 (disorder)", "chronic kidney disease stage 3"),
    4: _sct("431857002", "Chronic kidney disease stage 4 (disorder)", "chronic kidney disease stage 4"),
}
HYPERTENSION = _sct("59621000", "Essential hypertension (disorder)", "hypertension")
HYPERLIPIDEMIA = _sct("55822004", "Hyperlipidemia (disorder)", "hyperlipidemia")
ASTHMA = _sct("195967001", "Asthma (disorder)", "asthma")
ASTHMA_EXACERBATION = _sct("708038006", "Acute exacerbation of asthma (disorder)", "asthma exacerbation")
BRONCHITIS = _sct("10509002", "Acute bronchitis (disorder)", "acute bronchitis")
SINUSITIS = _sct("75498004", "Acute bacterial sinusitis (disorder)", "acute sinusitis")
CHRONIC_SINUSITIS = _sct("40055000", "Chronic sinusitis (disorder)", "chronic sinusitis")
UTI = _sct("68566005", "Urinary tract infectious disease (disorder)", "urinary tract infection")
STREP_THROAT = _sct("43878008", "Streptococcal sore throat (disorder)", "strep throat")
ANKLE_FRACTURE = _sct("16114001", "Fracture of ankle", "ankle fracture")
COUGH = _sct("49727002", "Cough (finding)", "cough")  # reason for the ACE-inhibitor cough visit

# Plausible conditions used only as things a patient does *not* have.
HEART_FAILURE = _sct("88805009", "Chronic congestive heart failure (disorder)", "heart failure")
ATRIAL_FIBRILLATION = _sct("49436004", "Atrial fibrillation (disorder)", "atrial fibrillation")
COPD = _sct("13645005", "Chronic obstructive lung disease (disorder)", "COPD")
HYPOTHYROIDISM = _sct("40930008", "Hypothyroidism (disorder)", "hypothyroidism")
BREAST_CANCER = _sct("254837009", "Malignant neoplasm of breast (disorder)", "breast cancer")
COLON_CANCER = _sct("363406005", "Malignant tumor of colon", "colon cancer")
CORONARY_DISEASE = _sct("53741008", "Coronary arteriosclerosis (disorder)", "coronary artery disease")
STROKE = _sct("230690007", "Stroke", "stroke")
OSTEOARTHRITIS = _sct("239873007", "Osteoarthritis of knee", "osteoarthritis of the knee")
DEPRESSION = _sct("370143000", "Major depressive disorder (disorder)", "depression")

# --- drugs -------------------------------------------------------------------
METFORMIN = _rx(
    "860975",
    "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
    "metformin",
    "500 mg extended release by mouth once daily with dinner",
)
INSULIN = _rx(
    "106892",
    "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension",
    "insulin",
    "20 units subcutaneously twice daily before meals",
)
LISINOPRIL = _rx("314076", "lisinopril 10 MG Oral Tablet", "lisinopril", "10 mg by mouth once daily")
LOSARTAN = _rx("979492", "losartan potassium 50 MG Oral Tablet", "losartan", "50 mg by mouth once daily")
AMLODIPINE = _rx("197361", "Amlodipine 5 MG Oral Tablet", "amlodipine", "5 mg by mouth once daily")
HCTZ = _rx(
    "310798", "Hydrochlorothiazide 25 MG Oral Tablet", "hydrochlorothiazide", "25 mg by mouth once daily"
)
SIMVASTATIN = _rx("312961", "Simvastatin 20 MG Oral Tablet", "simvastatin", "20 mg by mouth at bedtime")
ATORVASTATIN = _rx("259255", "Atorvastatin 80 MG Oral Tablet", "atorvastatin", "80 mg by mouth once daily")
ALBUTEROL = _rx(
    "745679",
    "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
    "albuterol",
    "2 puffs every 4 to 6 hours as needed for wheezing",
)
FLUTICASONE = _rx(
    "895994",
    "120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler",
    "fluticasone",
    "2 puffs twice daily",
)
PREDNISONE = _rx(
    "312617", "predniSONE 5 MG Oral Tablet", "prednisone", "40 mg by mouth once daily for 5 days"
)
AMOXICILLIN = _rx(
    "308182",
    "Amoxicillin 250 MG Oral Capsule",
    "amoxicillin",
    "500 mg by mouth three times daily for 10 days",
)
AMOX_CLAV = _rx(
    "562251",
    "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet",
    "amoxicillin-clavulanate",
    "1 tablet by mouth twice daily for 10 days",
)
AZITHROMYCIN = _rx(
    "308460",
    "Azithromycin 250 MG Oral Tablet",
    "azithromycin",
    "500 mg on day 1, then 250 mg daily for 4 days",
)
CIPROFLOXACIN = _rx(
    "309309", "Ciprofloxacin 500 MG Oral Tablet", "ciprofloxacin", "500 mg by mouth twice daily for 3 days"
)
IBUPROFEN = _rx(
    "310965", "Ibuprofen 200 MG Oral Tablet", "ibuprofen", "400 mg by mouth every 6 hours as needed"
)
ACETAMINOPHEN = _rx(
    "313782", "Acetaminophen 325 MG Oral Tablet", "acetaminophen", "650 mg by mouth every 6 hours as needed"
)
# Used only as medications a patient does *not* take.
WARFARIN = _rx("855332", "Warfarin Sodium 5 MG Oral Tablet", "warfarin", "5 mg by mouth once daily")
CLOPIDOGREL = _rx("309362", "Clopidogrel 75 MG Oral Tablet", "clopidogrel", "75 mg by mouth once daily")
METOPROLOL = _rx(
    "866414",
    "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet [Toprol]",
    "metoprolol",
    "100 mg by mouth once daily",
)

# --- observations ------------------------------------------------------------
HBA1C = Test(_loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "HbA1c"), "%", 1, "laboratory")
GLUCOSE = Test(_loinc("2339-0", "Glucose [Mass/volume] in Blood", "glucose"), "mg/dL", 0, "laboratory")
CREATININE = Test(
    _loinc("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "creatinine"), "mg/dL", 2, "laboratory"
)
EGFR = Test(
    _loinc(
        "33914-3",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)",
        "eGFR",
    ),
    "mL/min/{1.73_m2}",
    0,
    "laboratory",
)
SODIUM = Test(_loinc("2947-0", "Sodium [Moles/volume] in Blood", "sodium"), "mmol/L", 0, "laboratory")
POTASSIUM = Test(
    _loinc("6298-4", "Potassium [Moles/volume] in Blood", "potassium"), "mmol/L", 1, "laboratory"
)
LDL = Test(
    _loinc(
        "18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay", "LDL cholesterol"
    ),
    "mg/dL",
    0,
    "laboratory",
)
TOTAL_CHOLESTEROL = Test(
    _loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "total cholesterol"),
    "mg/dL",
    0,
    "laboratory",
)
HDL = Test(
    _loinc("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "HDL cholesterol"),
    "mg/dL",
    0,
    "laboratory",
)
TRIGLYCERIDES = Test(
    _loinc("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "triglycerides"),
    "mg/dL",
    0,
    "laboratory",
)
BODY_WEIGHT = Test(_loinc("29463-7", "Body weight", "body weight"), "kg", 1, "vital-signs")
BODY_HEIGHT = Test(_loinc("8302-2", "Body height", "body height"), "cm", 1, "vital-signs")
BMI = Test(_loinc("39156-5", "Body mass index (BMI) [Ratio]", "BMI"), "kg/m2", 1, "vital-signs")
SPO2 = Test(
    _loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "oxygen saturation"),
    "%",
    0,
    "vital-signs",
)
RESP_RATE = Test(_loinc("9279-1", "Respiratory rate", "respiratory rate"), "/min", 0, "vital-signs")
BP_PANEL = _loinc("85354-9", "Blood pressure panel with all children optional", "blood pressure")
SYSTOLIC = Test(
    _loinc("8480-6", "Systolic blood pressure", "systolic blood pressure"), "mm[Hg]", 0, "vital-signs"
)
DIASTOLIC = Test(
    _loinc("8462-4", "Diastolic blood pressure", "diastolic blood pressure"), "mm[Hg]", 0, "vital-signs"
)

# --- reports and notes -------------------------------------------------------
BMP_PANEL = _loinc("51990-0", "Basic metabolic panel - Blood", "basic metabolic panel")
LIPID_PANEL = _loinc("57698-3", "Lipid panel with direct LDL - Serum or Plasma", "lipid panel")
BMP_MEMBERS = ("2339-0", "2160-0", "33914-3", "2947-0", "6298-4")
LIPID_MEMBERS = ("2093-3", "18262-6", "2085-9", "2571-8")
PROGRESS_NOTE = _loinc("11506-3", "Progress note", "progress note")
HISTORY_AND_PHYSICAL = _loinc("34117-2", "History and physical note", "history and physical")

# --- immunizations -----------------------------------------------------------
FLU_VACCINE = Concept(CVX, "140", "Influenza, seasonal, injectable, preservative free", "influenza vaccine")
TD_VACCINE = Concept(CVX, "113", "Td (adult) preservative free", "tetanus vaccine")
PNEUMO_VACCINE = Concept(CVX, "33", "pneumococcal polysaccharide vaccine, 23 valent", "pneumococcal vaccine")

# --- procedures --------------------------------------------------------------
COLONOSCOPY = _sct("73761001", "Colonoscopy", "colonoscopy")
DEPRESSION_SCREENING = _sct("171207006", "Depression screening", "depression screening")
MED_RECONCILIATION = _sct("430193006", "Medication Reconciliation (procedure)", "medication reconciliation")
SPIROMETRY = _sct("127783003", "Spirometry (procedure)", "spirometry")
NEBULIZER = _sct("56251003", "Nebulizer therapy", "nebulizer treatment")
CHEST_XRAY = _sct("399208008", "Plain chest X-ray (procedure)", "chest X-ray")
ANKLE_XRAY = _sct("19490002", "Ankle X-ray", "ankle X-ray")
IMMOBILIZATION = _sct("274474001", "Bone immobilization", "splinting")
URINE_CULTURE = _sct("117010004", "Urine culture", "urine culture")
THROAT_CULTURE = _sct("117015009", "Throat culture (procedure)", "throat culture")
URINE_PROTEIN = _sct("167271000", "Urine protein test", "urine protein test")
# Past surgery that happened before the record starts: only ever mentioned in notes.
APPENDECTOMY = _sct("80146002", "Appendectomy", "appendectomy")
CHOLECYSTECTOMY = _sct("38102005", "Cholecystectomy", "cholecystectomy")
TONSILLECTOMY = _sct("173422009", "Tonsillectomy", "tonsillectomy")

# --- care plans --------------------------------------------------------------
DIABETES_PLAN = _sct("698360004", "Diabetes self management plan", "diabetes self-management plan")
ASTHMA_PLAN = _sct("699728000", "Asthma self management", "asthma self-management plan")
DIABETIC_DIET = _sct("160670007", "Diabetic diet", "diabetic diet")
EXERCISE = _sct("229065009", "Exercise therapy", "exercise therapy")
SMOKE_FREE = _sct("710081004", "Smoke free environment", "smoke-free environment")

# --- allergies ---------------------------------------------------------------
PENICILLIN_ALLERGY = _sct("91936005", "Allergy to penicillin", "penicillin allergy")
PEANUT_ALLERGY = _sct("91935009", "Allergy to peanuts", "peanut allergy")
LATEX_ALLERGY = _sct("300916003", "Latex allergy", "latex allergy")
HIVES = _sct("247472004", "Wheal (finding)", "hives")
RASH = _sct("271807003", "Eruption of skin (disorder)", "rash")
ANAPHYLAXIS = _sct("39579001", "Anaphylaxis (disorder)", "anaphylaxis")

# --- labs and drugs some patients have and others are asked about as absent ---
LEVOTHYROXINE = _rx(
    "966247",
    "Levothyroxine Sodium 0.075 MG Oral Tablet",
    "levothyroxine",
    "75 mcg by mouth once daily before breakfast",
)
FUROSEMIDE = _rx("310429", "Furosemide 20 MG Oral Tablet", "furosemide", "20 mg by mouth once daily")
ASPIRIN = _rx("243670", "aspirin 81 MG Oral Tablet", "aspirin", "81 mg by mouth once daily")


def _lab(code: str, display: str, name: str, unit: str, decimals: int) -> Test:
    return Test(_loinc(code, display, name), unit, decimals, "laboratory")


TSH = _lab("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "TSH", "m[IU]/L", 2)
PSA = _lab("2857-1", "Prostate specific Ag [Mass/volume] in Serum or Plasma", "PSA", "ng/mL", 1)
INR = _lab("6301-6", "INR in Platelet poor plasma by Coagulation assay", "INR", "{INR}", 1)
PROTHROMBIN_TIME = _lab("5902-2", "Prothrombin time (PT)", "prothrombin time", "s", 1)
FERRITIN = _lab("2276-4", "Ferritin [Mass/volume] in Serum or Plasma", "ferritin", "ng/mL", 0)
VITAMIN_D = _lab(
    "1989-3", "25-Hydroxyvitamin D3 [Mass/volume] in Serum or Plasma", "vitamin D level", "ng/mL", 0
)
VITAMIN_B12 = _lab(
    "2132-9", "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma", "vitamin B12 level", "pg/mL", 0
)
BUN = _lab("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "BUN", "mg/dL", 0)
ALT = _lab(
    "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "ALT", "U/L", 0
)
BILIRUBIN = _lab("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "total bilirubin", "mg/dL", 1)
BNP = _lab("30934-4", "Natriuretic peptide B [Mass/volume] in Serum or Plasma", "BNP", "pg/mL", 0)
TROPONIN = _lab("10839-9", "Troponin I.cardiac [Mass/volume] in Serum or Plasma", "troponin", "ng/mL", 2)
HEMOGLOBIN = _lab("718-7", "Hemoglobin [Mass/volume] in Blood", "hemoglobin", "g/dL", 1)
HEMATOCRIT = _lab("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "hematocrit", "%", 1)
WBC = _lab(
    "6690-2", "Leukocytes [#/volume] in Blood by Automated count", "white blood cell count", "10*3/uL", 1
)
PLATELETS = _lab("777-3", "Platelets [#/volume] in Blood by Automated count", "platelet count", "10*3/uL", 0)
MCV = _lab("787-2", "MCV [Entitic volume] by Automated count", "MCV", "fL", 0)
MPV = _lab(
    "32623-1",
    "Platelet mean volume [Entitic volume] in Blood by Automated count",
    "mean platelet volume",
    "fL",
    1,
)
CBC_PANEL = _loinc("58410-2", "CBC panel - Blood by Automated count", "complete blood count")
CBC_MEMBERS = ("718-7", "4544-3", "6690-2", "777-3", "787-2", "32623-1")
BMP_MEMBERS = (*BMP_MEMBERS, "3094-0")

# --- display variants ----------------------------------------------------------
# Each patient writes a concept with one display drawn from these (the first entry
# of VARIANTS is the concept's own display), as different systems do: LOINC long
# common name, short name or the name a lab report prints; SNOMED CT preferred term
# with or without its semantic tag, or a synonym; RxNorm clinical drug, branded drug
# or a pharmacy label. Codes never change. Drug displays keep the generic name.
_VARIANTS: dict[str, tuple[str, ...]] = {
    # conditions
    "15777000": ("Prediabetes (finding)", "Pre-diabetes"),
    "44054006": (
        "Diabetes mellitus type 2",
        "Type 2 diabetes mellitus",
        "Type II diabetes mellitus (disorder)",
    ),
    "431856006": ("Chronic kidney disease stage 2", "CKD stage 2"),
    "433144002": ("Chronic kidney disease stage 3", "CKD stage 3"),
    "431857002": ("Chronic kidney disease stage 4", "CKD stage 4"),
    "59621000": ("Essential hypertension", "Primary hypertension", "Hypertensive disorder, essential"),
    "55822004": ("Hyperlipidemia", "Hyperlipidaemia (disorder)"),
    "195967001": ("Asthma", "Bronchial asthma"),
    "708038006": ("Acute exacerbation of asthma", "Exacerbation of asthma (disorder)", "Asthma attack"),
    "10509002": ("Acute bronchitis", "Bronchitis, acute"),
    "75498004": ("Acute bacterial sinusitis", "Acute sinusitis (disorder)", "Sinusitis, acute bacterial"),
    "40055000": ("Chronic sinusitis", "Chronic rhinosinusitis (disorder)"),
    "68566005": (
        "Urinary tract infection",
        "UTI - Urinary tract infection",
        "Urinary tract infectious disease",
    ),
    "43878008": ("Streptococcal pharyngitis", "Strep throat", "Streptococcal sore throat"),
    "16114001": ("Fracture of ankle (disorder)", "Ankle fracture", "Closed fracture of ankle"),
    "49727002": ("Cough", "Coughing (finding)"),
    "40930008": ("Hypothyroidism", "Underactive thyroid", "Acquired hypothyroidism (disorder)"),
    "49436004": ("Atrial fibrillation", "AF - Atrial fibrillation"),
    "88805009": (
        "Congestive heart failure",
        "Chronic heart failure (disorder)",
        "CHF - congestive heart failure",
    ),
    # drugs
    "860975": (
        "metformin hydrochloride 500 MG Extended Release Oral Tablet",
        "Metformin ER 500 mg tablet",
        "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet [Glucophage]",
    ),
    "106892": (
        "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML [Humulin 70/30]",
        "Insulin NPH/regular 70/30 suspension",
    ),
    "314076": (
        "Lisinopril 10 MG Oral Tablet",
        "lisinopril 10 MG Oral Tablet [Zestril]",
        "Lisinopril 10 mg tablet",
    ),
    "979492": ("losartan potassium 50 MG Oral Tablet [Cozaar]", "Losartan 50 mg tablet"),
    "197361": (
        "amlodipine besylate 5 MG Oral Tablet",
        "amlodipine 5 MG Oral Tablet [Norvasc]",
        "Amlodipine 5 mg tablet",
    ),
    "310798": ("hydrochlorothiazide 25 MG Oral Tablet", "Hydrochlorothiazide (HCTZ) 25 mg tablet"),
    "312961": ("simvastatin 20 MG Oral Tablet [Zocor]", "Simvastatin 20 mg tablet"),
    "259255": ("atorvastatin 80 MG Oral Tablet [Lipitor]", "Atorvastatin calcium 80 mg tablet"),
    "745679": (
        "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler [ProAir HFA]",
        "Albuterol HFA 90 mcg/actuation inhaler",
    ),
    "895994": (
        "fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler [Flovent HFA]",
        "Fluticasone HFA 44 mcg/actuation inhaler",
    ),
    "312617": ("prednisone 5 MG Oral Tablet", "Prednisone 5 mg tablet"),
    "308182": ("amoxicillin 250 MG Oral Capsule", "Amoxicillin 250 mg capsule"),
    "562251": (
        "amoxicillin 250 MG / clavulanate 125 MG Oral Tablet [Augmentin]",
        "Amoxicillin-clavulanate 250-125 mg tablet",
    ),
    "308460": ("azithromycin 250 MG Oral Tablet [Zithromax]", "Azithromycin 250 mg tablet"),
    "309309": ("ciprofloxacin 500 MG Oral Tablet [Cipro]", "Ciprofloxacin 500 mg tablet"),
    "310965": ("Ibuprofen 200 MG Oral Tablet [Advil]", "Ibuprofen 200 mg tablet"),
    "313782": ("acetaminophen 325 MG Oral Tablet [Tylenol]", "Acetaminophen 325 mg tablet"),
    "855332": ("warfarin sodium 5 MG Oral Tablet [Coumadin]", "Warfarin 5 mg tablet"),
    "866414": (
        "metoprolol succinate 100 MG Extended Release Oral Tablet",
        "Metoprolol succinate ER 100 mg tablet",
    ),
    "966247": ("levothyroxine sodium 75 MCG Oral Tablet [Synthroid]", "Levothyroxine 75 mcg tablet"),
    "310429": ("furosemide 20 MG Oral Tablet [Lasix]", "Furosemide 20 mg tablet"),
    "243670": ("Aspirin 81 mg chewable tablet", "aspirin 81 MG Delayed Release Oral Tablet"),
    # observations
    "4548-4": ("Hemoglobin A1c", "HbA1c MFr Bld", "Glycated hemoglobin (HbA1c)"),
    "2339-0": ("Glucose Bld-mCnc", "Blood glucose"),
    "2160-0": ("Creatinine SerPl-mCnc", "Creatinine, serum"),
    "33914-3": ("eGFR (MDRD)", "GFR/BSA pred SerPl MDRD-ArVRat", "Estimated glomerular filtration rate"),
    "2947-0": ("Sodium Bld-sCnc", "Sodium"),
    "6298-4": ("Potassium Bld-sCnc", "Potassium"),
    "18262-6": ("LDL cholesterol (direct)", "LDLc SerPl Direct assay-mCnc"),
    "2093-3": ("Cholesterol SerPl-mCnc", "Total cholesterol"),
    "2085-9": ("HDL cholesterol", "HDLc SerPl-mCnc", "Cholesterol in HDL"),
    "2571-8": ("Triglycerides", "Trigl SerPl-mCnc"),
    "29463-7": ("Weight", "Body weight Measured"),
    "8302-2": ("Height", "Body height Measured"),
    "39156-5": ("BMI", "Body mass index"),
    "59408-5": ("SpO2", "Oxygen saturation by pulse oximetry"),
    "9279-1": ("Resp rate", "Breathing rate"),
    "85354-9": ("Blood pressure panel", "BP panel"),
    "8480-6": ("BP systolic", "Systolic BP"),
    "8462-4": ("BP diastolic", "Diastolic BP"),
    "3016-3": ("TSH", "TSH SerPl-aCnc", "Thyroid stimulating hormone"),
    "2857-1": ("PSA", "PSA SerPl-mCnc", "Prostate specific antigen"),
    "6301-6": ("INR", "INR PPP"),
    "5902-2": ("PT", "Prothrombin time"),
    "2276-4": ("Ferritin", "Ferritin SerPl-mCnc"),
    "1989-3": ("Vitamin D, 25-hydroxy", "25(OH)D3 SerPl-mCnc"),
    "2132-9": ("Vitamin B12", "Vit B12 SerPl-mCnc"),
    "3094-0": ("BUN", "Blood urea nitrogen", "BUN SerPl-mCnc"),
    "1742-6": ("ALT", "ALT SerPl-cCnc", "Alanine aminotransferase (SGPT)"),
    "1975-2": ("Total bilirubin", "Bilirub SerPl-mCnc"),
    "30934-4": ("BNP", "BNP SerPl-mCnc", "B-type natriuretic peptide"),
    "10839-9": ("Troponin I", "Troponin I.cardiac SerPl-mCnc"),
    "718-7": ("Hemoglobin", "Hgb Bld-mCnc"),
    "4544-3": ("Hematocrit", "Hct VFr Bld Auto"),
    "6690-2": ("WBC", "WBC # Bld Auto", "White blood cell count"),
    "777-3": ("Platelets", "Platelet count", "Platelets # Bld Auto"),
    "787-2": ("MCV", "MCV RBC Auto", "Mean corpuscular volume"),
    "32623-1": ("MPV", "PMV Bld Auto", "Mean platelet volume"),
    # panels
    "51990-0": ("Basic metabolic panel", "BMP"),
    "57698-3": ("Lipid panel", "Lipid panel with direct LDL"),
    "58410-2": ("CBC", "Complete blood count", "CBC W Auto Differential panel - Blood"),
}

_DISPLAYS: ContextVar[dict[str, str] | None] = ContextVar("synth_displays", default=None)


def draw_displays(rng: random.Random, own: dict[str, str]) -> dict[str, str]:
    """Code -> the display one patient's record uses: the concept's own (``own``) or a variant."""
    out = {}
    for code in sorted(_VARIANTS):
        options = (own[code], *_VARIANTS[code]) if code in own else _VARIANTS[code]
        out[code] = rng.choice(options)
    return out


def own_displays() -> dict[str, str]:
    """Code -> the display each concept of this module is declared with."""
    out: dict[str, str] = {}
    for value in list(globals().values()):
        concepts = value.values() if isinstance(value, dict) else (value,)
        for item in concepts:
            concept = item.concept if isinstance(item, Test | Drug) else item
            if isinstance(concept, Concept):
                out.setdefault(concept.code, concept.display)
    return out


def display(concept: Concept) -> str:
    """The display of ``concept`` in the record being written (see :func:`using_displays`)."""
    chosen = _DISPLAYS.get()
    return chosen.get(concept.code, concept.display) if chosen else concept.display


@contextmanager
def using_displays(displays: dict[str, str]) -> Iterator[None]:
    token = _DISPLAYS.set(displays)
    try:
        yield
    finally:
        _DISPLAYS.reset(token)
