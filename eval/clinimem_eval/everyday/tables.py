"""The evaluator's own tables: drug ingredients to ATC classes, and the words clinicians use.

Drug classes
------------
Source: WHO Collaborating Centre for Drug Statistics Methodology, *ATC/DDD Index*
(https://atcddd.fhi.no/atc_ddd_index/), one ATC code per ingredient below, read by hand. A drug
(one RxNorm clinical drug in a MedicationRequest) has the ingredients whose names appear in its
``medicationCodeableConcept`` display (case-insensitive, whole words); a few RxNorm codes whose
display does not name the ingredient (a brand, or Synthea's misspelling "Simvistatin") are mapped
by code in ``CODE_INGREDIENTS``. A drug belongs to a class when one of its ingredients' ATC codes
starts with one of the class's prefixes in ``CLASS_ATC``:

- statin: C10AA (HMG CoA reductase inhibitors)
- anticoagulant ("blood thinner"): B01AA vitamin K antagonists, B01AB heparins, B01AE direct
  thrombin inhibitors, B01AF direct factor Xa inhibitors. Antiplatelets (B01AC: clopidogrel,
  aspirin) and thrombolytics (B01AD: alteplase) are NOT anticoagulants here.
- ACE inhibitor: C09A, C09B (plain and combinations)
- beta blocker: C07
- insulin: A10A
- NSAID: M01A (aspirin, N02BA01 / B01AC06, is not counted)
- diuretic: C03
- opioid: N02A, plus hydrocodone, which the index files under R05DA (opium alkaloids and
  derivatives, as an antitussive) but which is a full mu-opioid agonist; the rest of R05DA
  (dextromethorphan) is not counted.
- antibiotic: J01 (antibacterials for systemic use)
"""

from __future__ import annotations

# ingredient (lower case, as written in RxNorm displays) -> ATC code
INGREDIENT_ATC: dict[str, str] = {
    "simvastatin": "C10AA01",
    "lovastatin": "C10AA02",
    "pravastatin": "C10AA03",
    "atorvastatin": "C10AA05",
    "rosuvastatin": "C10AA07",
    "warfarin": "B01AA03",
    "heparin": "B01AB01",
    "enoxaparin": "B01AB05",
    "dabigatran": "B01AE07",
    "rivaroxaban": "B01AF01",
    "apixaban": "B01AF02",
    "clopidogrel": "B01AC04",
    "aspirin": "B01AC06",
    "alteplase": "B01AD02",
    "captopril": "C09AA01",
    "enalapril": "C09AA02",
    "lisinopril": "C09AA03",
    "ramipril": "C09AA05",
    "propranolol": "C07AA05",
    "metoprolol": "C07AB02",
    "atenolol": "C07AB03",
    "bisoprolol": "C07AB07",
    "carvedilol": "C07AG02",
    "insulin": "A10AB01",
    "insulin isophane": "A10AC01",
    "metformin": "A10BA02",
    "ibuprofen": "M01AE01",
    "naproxen": "M01AE02",
    "diclofenac": "M01AB05",
    "meloxicam": "M01AC06",
    "celecoxib": "M01AH01",
    "hydrochlorothiazide": "C03AA03",
    "chlorthalidone": "C03BA04",
    "furosemide": "C03CA01",
    "bumetanide": "C03CA02",
    "spironolactone": "C03DA01",
    "morphine": "N02AA01",
    "oxycodone": "N02AA05",
    "meperidine": "N02AB02",
    "fentanyl": "N02AB03",
    "tramadol": "N02AX02",
    "hydrocodone": "R05DA03",
    "codeine": "R05DA04",
    "dextromethorphan": "R05DA09",
    "amoxicillin": "J01CA04",
    "clavulanate": "J01CR02",
    "penicillin v": "J01CE02",
    "cefaclor": "J01DC04",
    "cefuroxime": "J01DC02",
    "cephalexin": "J01DB01",
    "azithromycin": "J01FA10",
    "doxycycline": "J01AA02",
    "ciprofloxacin": "J01MA02",
    "nitrofurantoin": "J01XE01",
    "acetaminophen": "N02BE01",
    "amlodipine": "C08CA01",
    "verapamil": "C08DA01",
    "digoxin": "C01AA05",
    "nitroglycerin": "C01DA02",
    "amiodarone": "C01BD01",
    "loratadine": "R06AX13",
    "fexofenadine": "R06AX26",
    "cetirizine": "R06AE07",
    "diphenhydramine": "R06AA02",
    "prednisone": "H02AB07",
    "levothyroxine": "H03AA01",
}

# RxNorm code -> ingredients, where the display does not name them
CODE_INGREDIENTS: dict[str, tuple[str, ...]] = {
    "316672": ("simvastatin",),  # "Simvistatin 10 MG" (Synthea's spelling)
    "315971": ("furosemide",),  # "Lasix 40mg"
    "106892": ("insulin isophane", "insulin"),  # "... [Humulin]"
}

CLASS_ATC: dict[str, tuple[str, ...]] = {
    "statin": ("C10AA",),
    "anticoagulant": ("B01AA", "B01AB", "B01AE", "B01AF"),
    "ACE inhibitor": ("C09A", "C09B"),
    "beta blocker": ("C07",),
    "insulin": ("A10A",),
    "NSAID": ("M01A",),
    "diuretic": ("C03",),
    "opioid": ("N02A", "R05DA03"),
    "antibiotic": ("J01",),
}

# how a clinician names each class: (plain, abbreviation / jargon, lay)
CLASS_WORDS: dict[str, tuple[str, str, str]] = {
    "statin": ("a statin", "statin", "a cholesterol-lowering pill"),
    "anticoagulant": ("an anticoagulant", "anticoag", "a blood thinner"),
    "ACE inhibitor": ("an ACE inhibitor", "ACEi", "an ACE-inhibitor type blood pressure pill"),
    "beta blocker": ("a beta blocker", "BB", "a beta-blocker"),
    "insulin": ("insulin", "insulin", "insulin shots"),
    "NSAID": ("an NSAID", "NSAID", "an anti-inflammatory like ibuprofen"),
    "diuretic": ("a diuretic", "diuretic", "a water pill"),
    "opioid": ("an opioid", "opiate", "a narcotic painkiller"),
    "antibiotic": ("an antibiotic", "abx", "antibiotics"),
}


def ingredients(code: str, display: str) -> tuple[str, ...]:
    """The ingredients of one RxNorm drug (see the module docstring)."""
    import re

    if code in CODE_INGREDIENTS:
        return CODE_INGREDIENTS[code]
    low = display.lower()
    found = [ing for ing in INGREDIENT_ATC if re.search(rf"\b{re.escape(ing)}\b", low)]
    # "insulin isophane" also contains "insulin": keep both, they are both insulins
    return tuple(sorted(found))


def drug_classes(code: str, display: str) -> set[str]:
    """The classes (keys of ``CLASS_ATC``) one RxNorm drug belongs to."""
    out: set[str] = set()
    for ing in ingredients(code, display):
        atc = INGREDIENT_ATC[ing]
        for cls, prefixes in CLASS_ATC.items():
            if any(atc.startswith(p) for p in prefixes):
                out.add(cls)
    return out


# --------------------------------------------------------------------------- words for things

# A drug by the name a clinician uses, keyed by RxNorm code: (group, generic, short/brand, lay).
# Codes in one group are one drug for "since when" and "when stopped" (all strengths).
DRUG_WORDS: dict[str, tuple[str, str, str, str]] = {
    "316672": ("simvastatin", "simvastatin", "Zocor", "the cholesterol pill"),
    "312961": ("simvastatin", "simvastatin", "Zocor", "the cholesterol pill"),
    "316049": ("hydrochlorothiazide", "hydrochlorothiazide", "HCTZ", "the water pill"),
    "316052": ("hydrochlorothiazide", "hydrochlorothiazide", "HCTZ", "the water pill"),
    "315971": ("furosemide oral", "furosemide", "Lasix", "the water pill"),
    "866414": ("metoprolol", "metoprolol", "Toprol XL", "the beta blocker"),
    "860975": ("metformin", "metformin", "Glucophage", "the diabetes pill"),
    "562251": ("amoxicillin-clavulanate", "amoxicillin-clavulanate", "Augmentin", "the antibiotic"),
    "308182": ("amoxicillin", "amoxicillin", "amox", "the antibiotic"),
    "849574": ("naproxen sodium", "naproxen sodium", "Aleve", "the anti-inflammatory"),
    "198014": ("naproxen", "naproxen", "Naprosyn", "the anti-inflammatory"),
    "310965": ("ibuprofen", "ibuprofen", "Motrin", "the anti-inflammatory"),
    "198405": ("ibuprofen", "ibuprofen", "Motrin", "the anti-inflammatory"),
    "313782": ("acetaminophen", "acetaminophen", "Tylenol", "the painkiller"),
    "282464": ("acetaminophen", "acetaminophen", "Tylenol", "the painkiller"),
    "1049630": ("diphenhydramine", "diphenhydramine", "Benadryl", "the allergy pill"),
    "665078": ("loratadine", "loratadine", "Claritin", "the allergy pill"),
    "311372": ("loratadine", "loratadine", "Claritin", "the allergy pill"),
    "997488": ("fexofenadine", "fexofenadine", "Allegra", "the allergy pill"),
    "1870230": ("epinephrine auto-injector", "epinephrine auto-injector", "EpiPen", "the epi pen"),
    "1091392": ("methylphenidate", "methylphenidate", "Ritalin", "the ADHD medication"),
    "998582": ("donepezil", "donepezil", "Aricept", "the memory medication"),
    "312617": ("prednisone", "prednisone", "pred", "the steroid"),
    "834102": ("penicillin V", "penicillin V", "Pen VK", "the penicillin"),
    "834061": ("penicillin V", "penicillin V", "Pen VK", "the penicillin"),
    "309362": ("clopidogrel", "clopidogrel", "Plavix", "the antiplatelet"),
    "855332": ("warfarin", "warfarin", "Coumadin", "the blood thinner"),
    "757594": ("Jolivette", "Jolivette", "norethindrone", "the mini-pill"),
    "748962": ("Camila", "Camila", "norethindrone", "the mini-pill"),
    "831533": ("Errin", "Errin", "norethindrone", "the mini-pill"),
    "751905": ("Trinessa", "Trinessa", "OCP", "the birth control pill"),
    "748856": ("Yaz", "Yaz", "OCP", "the birth control pill"),
    "389221": ("etonogestrel implant", "etonogestrel implant", "Nexplanon", "the arm implant"),
    "807283": ("Mirena", "Mirena", "LNG-IUD", "the coil"),
    "2001499": ("vitamin B12 injection", "vitamin B12 injections", "B12 shots", "the B12 shots"),
    "1719286": ("furosemide injection", "IV furosemide", "IV Lasix", "the IV water pill"),
    "1310197": ("Vicodin", "hydrocodone-acetaminophen", "Vicodin", "the Vicodin"),
    "1049221": ("oxycodone-acetaminophen", "oxycodone-acetaminophen", "Percocet", "the Percocet"),
    "310436": ("galantamine", "galantamine", "Razadyne", "the memory medication"),
    "197361": ("amlodipine", "amlodipine", "Norvasc", "the blood pressure pill"),
    "895994": ("fluticasone inhaler", "fluticasone inhaler", "Flovent", "the steroid inhaler"),
    "745679": ("albuterol inhaler", "albuterol inhaler", "ProAir", "the rescue inhaler"),
    "197604": ("digoxin", "digoxin", "dig", "the digoxin"),
    "897718": ("verapamil", "verapamil", "Calan", "the heart pill"),
    "243670": ("aspirin 81", "aspirin 81", "baby aspirin", "the baby aspirin"),
    "904419": ("alendronate", "alendronate", "Fosamax", "the bone pill"),
    "197319": ("allopurinol", "allopurinol", "Zyloprim", "the gout pill"),
    "966222": ("levothyroxine", "levothyroxine", "Synthroid", "the thyroid pill"),
    "328670": ("sertraline", "sertraline", "Zoloft", "the antidepressant"),
}

# Condition (record display) -> (clean name, abbreviation, lay words)
CONDITION_WORDS: dict[str, tuple[str, str, str]] = {
    "Hypertension": ("hypertension", "HTN", "high blood pressure"),
    "Hyperlipidemia": ("hyperlipidemia", "HLD", "high cholesterol"),
    "Prediabetes": ("prediabetes", "pre-DM", "borderline diabetes"),
    "Diabetes": ("diabetes", "DM", "sugar diabetes"),
    "Anemia (disorder)": ("anemia", "anaemia", "low blood count"),
    "Chronic sinusitis (disorder)": ("chronic sinusitis", "CRS", "chronic sinus trouble"),
    "Viral sinusitis (disorder)": ("viral sinusitis", "viral sinusitis", "a sinus infection"),
    "Acute bacterial sinusitis (disorder)": (
        "bacterial sinusitis",
        "bacterial sinusitis",
        "a bacterial sinus infection",
    ),
    "Acute viral pharyngitis (disorder)": ("viral pharyngitis", "pharyngitis", "a viral sore throat"),
    "Streptococcal sore throat (disorder)": ("strep throat", "strep pharyngitis", "strep throat"),
    "Acute bronchitis (disorder)": ("acute bronchitis", "bronchitis", "a chest cold"),
    "Stroke": ("stroke", "CVA", "a stroke"),
    "Alzheimer's disease (disorder)": ("Alzheimer's disease", "Alzheimer's", "Alzheimer's"),
    "Drug overdose": ("drug overdose", "OD", "an overdose"),
    "Osteoporosis (disorder)": ("osteoporosis", "OP", "thinning bones"),
    "Cardiac Arrest": ("cardiac arrest", "arrest", "a cardiac arrest"),
    "Chronic congestive heart failure (disorder)": ("congestive heart failure", "CHF", "heart failure"),
    "Seizure disorder": ("seizure disorder", "sz disorder", "seizures"),
    "Body mass index 30+ - obesity (finding)": ("obesity", "BMI over 30", "obesity"),
    "Alcoholism": ("alcoholism", "EtOH use disorder", "a drinking problem"),
    "Osteoarthritis of knee": ("osteoarthritis of the knee", "knee OA", "knee arthritis"),
    "Localized, primary osteoarthritis of the hand": (
        "hand osteoarthritis",
        "hand OA",
        "arthritis in the hands",
    ),
    "Neoplasm of prostate": ("prostate neoplasm", "prostate neoplasm", "a prostate tumour"),
    "Malignant tumor of colon": ("colon cancer", "CRC", "bowel cancer"),
    "Polyp of colon": ("colon polyp", "colonic polyp", "polyps in the bowel"),
    "Closed fracture of hip": ("hip fracture", "hip fx", "a broken hip"),
    "Fracture of forearm": ("forearm fracture", "forearm fx", "a broken arm"),
    "Sprain of ankle": ("ankle sprain", "ankle sprain", "a sprained ankle"),
    "Sprain of wrist": ("wrist sprain", "wrist sprain", "a sprained wrist"),
    "Miscarriage in first trimester": ("first-trimester miscarriage", "SAB", "a miscarriage"),
    "Normal pregnancy": ("pregnancy", "G1+", "a pregnancy"),
    "Child attention deficit disorder": ("attention deficit disorder", "ADHD", "attention problems"),
    "Chronic intractable migraine without aura": ("chronic migraine", "migraine w/o aura", "migraines"),
    "Perennial allergic rhinitis": (
        "perennial allergic rhinitis",
        "allergic rhinitis",
        "year-round nasal allergies",
    ),
    "Seasonal allergic rhinitis": ("seasonal allergic rhinitis", "SAR", "hay fever"),
    "Otitis media": ("otitis media", "OM", "an ear infection"),
    "Acute allergic reaction": ("acute allergic reaction", "allergic rxn", "an allergic reaction"),
    "Primary fibromyalgia syndrome": ("fibromyalgia", "FM", "fibromyalgia"),
    "Hypertriglyceridemia (disorder)": ("hypertriglyceridemia", "high TGs", "high triglycerides"),
    "Metabolic syndrome X (disorder)": ("metabolic syndrome", "MetS", "metabolic syndrome"),
    "Hyperglycemia (disorder)": ("hyperglycemia", "hyperglycaemia", "high blood sugar"),
    "Concussion with loss of consciousness": ("concussion", "concussion w/ LOC", "a concussion"),
    "Laceration of thigh": ("thigh laceration", "thigh lac", "a cut on the thigh"),
    "Laceration of hand": ("hand laceration", "hand lac", "a cut on the hand"),
    "Laceration of forearm": ("forearm laceration", "forearm lac", "a cut on the forearm"),
    "Asthma": ("asthma", "asthma", "asthma"),
    "Childhood asthma": ("childhood asthma", "asthma", "asthma as a kid"),
    "Atrial Fibrillation": ("atrial fibrillation", "AFib", "an irregular heartbeat"),
    "Coronary Heart Disease": ("coronary heart disease", "CAD", "heart disease"),
    "Myocardial Infarction": ("myocardial infarction", "MI", "a heart attack"),
    "Gout": ("gout", "gout", "gout"),
    "Pneumonia": ("pneumonia", "PNA", "pneumonia"),
    "Appendicitis": ("appendicitis", "appy", "appendicitis"),
    "Epilepsy": ("epilepsy", "epilepsy", "epilepsy"),
    "Major depression disorder": ("major depression", "MDD", "depression"),
    "Rheumatoid arthritis": ("rheumatoid arthritis", "RA", "rheumatoid arthritis"),
    "Chronic pain": ("chronic pain", "chronic pain", "chronic pain"),
    "Cystitis": ("cystitis", "UTI", "a bladder infection"),
    "Pulmonary emphysema (disorder)": ("emphysema", "COPD", "emphysema"),
    "Posttraumatic stress disorder": ("PTSD", "PTSD", "post-traumatic stress"),
    "Idiopathic atrophic hypothyroidism": ("hypothyroidism", "hypothyroid", "an underactive thyroid"),
    "Osteoarthritis of hip": ("hip osteoarthritis", "hip OA", "hip arthritis"),
}

# Conditions that are one illness for a negative question: a patient with any member is never
# asked "history of" another member expecting "no" (diabetes vs prediabetes is asked on purpose).
RELATED_CONDITIONS: tuple[frozenset[str], ...] = (
    frozenset({"Hyperlipidemia", "Hypertriglyceridemia (disorder)", "Metabolic syndrome X (disorder)"}),
    frozenset(
        {"Chronic sinusitis (disorder)", "Viral sinusitis (disorder)", "Acute bacterial sinusitis (disorder)"}
    ),
    frozenset(
        {
            "Malignant tumor of colon",
            "Overlapping malignant neoplasm of colon",
            "Polyp of colon",
            "Recurrent rectal polyp",
        }
    ),
    frozenset({"Cardiac Arrest", "History of cardiac arrest (situation)"}),
    frozenset({"Seizure disorder", "History of single seizure (situation)", "Epilepsy"}),
    frozenset({"Stroke"}),
    frozenset({"Osteoporosis (disorder)", "Pathological fracture due to osteoporosis (disorder)"}),
    frozenset({"Alzheimer's disease (disorder)", "Familial Alzheimer's disease of early onset (disorder)"}),
    frozenset({"Asthma", "Childhood asthma"}),
    frozenset(
        {"Myocardial Infarction", "History of myocardial infarction (situation)", "Coronary Heart Disease"}
    ),
)

# Negative questions ("history of X" expecting "no") are only asked about these, clear, conditions.
NEGATIVE_CANDIDATES: tuple[str, ...] = (
    "Hypertension",
    "Hyperlipidemia",
    "Diabetes",
    "Stroke",
    "Chronic congestive heart failure (disorder)",
    "Alzheimer's disease (disorder)",
    "Osteoporosis (disorder)",
    "Seizure disorder",
    "Child attention deficit disorder",
    "Chronic intractable migraine without aura",
    "Alcoholism",
    "Primary fibromyalgia syndrome",
    "Malignant tumor of colon",
    "Closed fracture of hip",
    "Cardiac Arrest",
    "Miscarriage in first trimester",
    "Anemia (disorder)",
)

# Observations by LOINC code -> (clean name, abbreviation, lay words); "8480-6" is the systolic
# component of the blood-pressure panel (85354-9).
OBS_WORDS: dict[str, tuple[str, str, str]] = {
    "4548-4": ("hemoglobin A1c", "A1c", "three-month sugar average"),
    "2339-0": ("glucose", "BG", "blood sugar"),
    "38483-4": ("creatinine", "Cr", "creatinine"),
    "6299-2": ("urea nitrogen", "BUN", "urea"),
    "2093-3": ("total cholesterol", "TC", "cholesterol"),
    "18262-6": ("LDL cholesterol", "LDL", "bad cholesterol"),
    "2085-9": ("HDL cholesterol", "HDL", "good cholesterol"),
    "2571-8": ("triglycerides", "TGs", "triglycerides"),
    "33914-3": ("eGFR", "GFR", "kidney function"),
    "6298-4": ("potassium", "K", "potassium"),
    "2947-0": ("sodium", "Na", "sodium"),
    "718-7": ("hemoglobin", "Hgb", "blood count"),
    "29463-7": ("body weight", "wt", "weight"),
    "39156-5": ("body mass index", "BMI", "BMI"),
    "8480-6": ("systolic blood pressure", "SBP", "top number of the blood pressure"),
    "49765-1": ("calcium", "Ca", "calcium"),
    "777-3": ("platelet count", "plt", "platelets"),
    "14959-1": ("urine microalbumin/creatinine ratio", "UACR", "urine protein test"),
}

# Clinically usual thresholds, tried before a round number near the patient's median.
OBS_THRESHOLDS: dict[str, tuple[float, ...]] = {
    "4548-4": (7.0, 6.5, 5.7, 8.0),
    "2339-0": (100.0, 126.0, 110.0),
    "2093-3": (200.0, 240.0),
    "18262-6": (130.0, 100.0, 160.0),
    "2571-8": (150.0, 200.0),
    "8480-6": (140.0, 130.0, 120.0),
    "39156-5": (30.0, 25.0, 35.0),
    "38483-4": (1.2, 1.0),
}

# Vaccines (CVX display) -> (clean name, abbreviation, lay words)
VACCINE_WORDS: dict[str, tuple[str, str, str]] = {
    "Influenza, seasonal, injectable, preservative free": ("influenza vaccine", "flu vax", "flu shot"),
    "Td (adult) preservative free": ("Td vaccine", "Td", "tetanus shot"),
    "Tdap": ("Tdap", "Tdap", "tetanus-whooping cough booster"),
    "zoster": ("zoster vaccine", "shingles vax", "shingles shot"),
    "Pneumococcal conjugate PCV 13": ("pneumococcal conjugate vaccine", "PCV13", "pneumonia shot"),
    "pneumococcal polysaccharide vaccine, 23 valent": (
        "pneumococcal polysaccharide vaccine",
        "PPSV23",
        "pneumonia shot",
    ),
    "HPV, quadrivalent": ("HPV vaccine", "HPV", "HPV shot"),
}
