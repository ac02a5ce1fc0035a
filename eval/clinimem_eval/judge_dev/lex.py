"""Hand-written lexicon (names, abbreviations, lay terms, brands) and date formatting helpers.
Written by judge_dev from clinical knowledge; nothing here is copied from another phrasing file."""
import datetime, random, re

MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
          'November', 'December']


def pron(sex):
    if sex == 'female':
        return dict(P='her', S='she', O='her', Pc='Her', Sc='She')
    return dict(P='his', S='he', O='him', Pc='His', Sc='He')


def dates(iso):
    d = datetime.date.fromisoformat(iso[:10])
    m = MONTHS[d.month - 1]
    return dict(
        d_iso=d.isoformat(),
        d_long='%s %d %d' % (m, d.day, d.year),
        d_longc='%s %d, %d' % (m, d.day, d.year),
        d_eu='%d %s %d' % (d.day, m, d.year),
        d_us='%d/%d/%d' % (d.month, d.day, d.year),
        d_us2='%02d/%02d/%s' % (d.month, d.day, str(d.year)[2:]),
        d_abbr='%s %d %d' % (m[:3], d.day, d.year),
        mon_y='%s %d' % (m, d.year),
        mon3_y='%s %d' % (m[:3], d.year),
        mon_num='%d/%d' % (d.month, d.year),
        ym=d.strftime('%Y-%m'),
        yr=str(d.year),
        yy="'" + str(d.year)[2:],
    )


# ---------------------------------------------------------------- labs / vitals
# key: lower-case record display.  disp: how a clinician writes the full name;
# ab: abbreviations; lay: plain words; u: unit as typed
LAB = {
    'systolic blood pressure': dict(disp='systolic blood pressure', ab=['SBP', 'systolic BP', 'systolic'],
                                    lay=['top blood pressure number', 'systolic pressure'], u='mmHg'),
    'diastolic blood pressure': dict(disp='diastolic blood pressure', ab=['DBP', 'diastolic BP', 'diastolic'],
                                     lay=['bottom blood pressure number', 'diastolic pressure'], u='mmHg'),
    'blood pressure': dict(disp='blood pressure', ab=['BP', 'blood pressure'], lay=['blood pressure', 'BP'],
                           u='mmHg'),
    'urea nitrogen': dict(disp='urea nitrogen', ab=['BUN', 'blood urea nitrogen'], lay=['urea level', 'BUN level'],
                          u='mg/dL'),
    'estimated glomerular filtration rate': dict(disp='estimated glomerular filtration rate', ab=['eGFR', 'GFR'],
                                                 lay=['kidney function (eGFR)', 'kidney filtration rate'],
                                                 u='mL/min/1.73m2'),
    'glomerular filtration rate/1.73 sq m.predicted': dict(disp='predicted GFR per 1.73 m2', ab=['GFR', 'eGFR'],
                                                           lay=['kidney function', 'kidney filtration rate'],
                                                           u='mL/min'),
    'body weight': dict(disp='body weight', ab=['wt', 'weight'], lay=['weight', 'weight reading'], u='kg'),
    'body height': dict(disp='body height', ab=['ht', 'height'], lay=['height', 'height measurement'], u='cm'),
    'body mass index': dict(disp='body mass index', ab=['BMI'], lay=['body mass index', 'BMI number'], u='kg/m2'),
    'potassium': dict(disp='potassium', ab=['K', 'K+'], lay=['potassium level', 'potassium'], u='mmol/L'),
    'sodium': dict(disp='sodium', ab=['Na', 'Na+'], lay=['sodium level', 'salt level'], u='mmol/L'),
    'chloride': dict(disp='chloride', ab=['Cl', 'serum Cl'], lay=['chloride level', 'chloride'], u='mmol/L'),
    'carbon dioxide': dict(disp='carbon dioxide', ab=['CO2', 'bicarb'], lay=['bicarbonate level', 'CO2 level'],
                           u='mmol/L'),
    'creatinine': dict(disp='creatinine', ab=['Cr', 'creat'], lay=['creatinine level', 'kidney number (creatinine)'],
                       u='mg/dL'),
    'glucose': dict(disp='glucose', ab=['BG', 'glu'], lay=['blood sugar', 'sugar level'], u='mg/dL'),
    'hemoglobin a1c/hemoglobin.total in blood': dict(disp='hemoglobin A1c', ab=['A1c', 'HbA1c'],
                                                     lay=['three-month sugar average', 'A1c level'], u='%'),
    'low density lipoprotein cholesterol': dict(disp='LDL cholesterol', ab=['LDL', 'LDL-C'],
                                                lay=['bad cholesterol', 'LDL level'], u='mg/dL'),
    'high density lipoprotein cholesterol': dict(disp='HDL cholesterol', ab=['HDL', 'HDL-C'],
                                                 lay=['good cholesterol', 'HDL level'], u='mg/dL'),
    'total cholesterol': dict(disp='total cholesterol', ab=['TC', 'total chol'],
                              lay=['cholesterol', 'overall cholesterol'], u='mg/dL'),
    'triglycerides': dict(disp='triglycerides', ab=['TG', 'trigs'], lay=['triglyceride level', 'blood fats'],
                          u='mg/dL'),
    'platelets [#/volume] in blood by automated count': dict(disp='platelet count', ab=['PLT', 'plt'],
                                                             lay=['platelet level', 'platelets'], u='K/uL'),
    'platelet mean volume [entitic volume] in blood by automated count': dict(
        disp='mean platelet volume', ab=['MPV'], lay=['average platelet size', 'platelet volume'], u='fL'),
    'platelet distribution width [entitic volume] in blood by automated count': dict(
        disp='platelet distribution width', ab=['PDW'], lay=['platelet size spread', 'platelet width'], u='fL'),
    'hemoglobin [mass/volume] in blood': dict(disp='hemoglobin', ab=['Hgb', 'Hb'], lay=['hemoglobin level', 'blood count (hemoglobin)'],
                                              u='g/dL'),
    'leukocytes [#/volume] in blood by automated count': dict(disp='white blood cell count', ab=['WBC', 'WBCs'],
                                                              lay=['white count', 'white cells'], u='K/uL'),
    'erythrocytes [#/volume] in blood by automated count': dict(disp='red blood cell count', ab=['RBC', 'RBC count'],
                                                                lay=['red cell count', 'red cells'], u='M/uL'),
    'mch [entitic mass] by automated count': dict(disp='mean corpuscular hemoglobin', ab=['MCH'],
                                                  lay=['hemoglobin per red cell', 'MCH value'], u='pg'),
    'mchc [mass/volume] by automated count': dict(disp='mean corpuscular hemoglobin concentration', ab=['MCHC'],
                                                  lay=['red cell hemoglobin concentration', 'MCHC value'], u='g/dL'),
    'mcv [entitic volume] by automated count': dict(disp='mean corpuscular volume', ab=['MCV'],
                                                    lay=['red cell size', 'MCV value'], u='fL'),
    'erythrocyte distribution width [entitic volume] by automated count': dict(
        disp='red cell distribution width', ab=['RDW'], lay=['red cell size variation', 'RDW value'], u='fL'),
    'bilirubin.total [mass/volume] in serum or plasma': dict(disp='total bilirubin', ab=['T bili', 'TBili'],
                                                             lay=['bilirubin', 'bilirubin level'], u='mg/dL'),
    'alanine aminotransferase [enzymatic activity/volume] in serum or plasma': dict(
        disp='alanine aminotransferase', ab=['ALT', 'SGPT'], lay=['liver enzyme ALT', 'liver enzymes (ALT)'], u='U/L'),
    'nt-probnp': dict(disp='NT-proBNP', ab=['proBNP', 'BNP'], lay=['heart failure marker', 'heart strain blood test'],
                      u='pg/mL'),
    'oral temperature': dict(disp='oral temperature', ab=['temp', 'T'], lay=['temperature', 'body temp'], u='C'),
    'pain severity - 0-10 verbal numeric rating [score] - reported': dict(
        disp='pain score (0-10)', ab=['pain score', 'NRS pain'], lay=['pain level', 'pain rating'], u=''),
    'thyrotropin [units/volume] in serum or plasma': dict(disp='thyrotropin (TSH)', ab=['TSH'],
                                                          lay=['thyroid test', 'thyroid level'], u='mIU/L'),
    'troponin i.cardiac [mass/volume] in serum or plasma': dict(disp='cardiac troponin I', ab=['TnI', 'trop I'],
                                                                lay=['troponin', 'heart enzyme test'], u='ng/mL'),
    'inr in platelet poor plasma by coagulation assay': dict(disp='INR', ab=['INR', 'PT/INR'],
                                                             lay=['clotting time', 'blood clotting test'], u=''),
    'c reactive protein [mass/volume] in serum or plasma': dict(disp='C-reactive protein', ab=['CRP'],
                                                                lay=['inflammation marker', 'CRP level'], u='mg/L'),
}

# ---------------------------------------------------------------- conditions
# one: noun phrase usable after "history of"/"ever had"; ab: chart abbreviation; lay: plain words
COND = {
    'body mass index 30+ - obesity (finding)': dict(disp='obesity (BMI 30+)', ab=['obesity', 'BMI>30'], lay=['obesity', 'a BMI of 30 or more']),
    'diabetes': dict(disp='diabetes', ab=['DM', 'diabetes mellitus'], lay=['diabetes', 'sugar diabetes']),
    'sprain of ankle': dict(disp='sprain of ankle', ab=['ankle sprain'], lay=['a sprained ankle', 'a twisted ankle']),
    'normal pregnancy': dict(disp='normal pregnancy', ab=['pregnancy', 'IUP'], lay=['a pregnancy', 'a normal pregnancy']),
    'miscarriage in first trimester': dict(disp='first-trimester miscarriage', ab=['SAB', '1st trimester miscarriage'],
                                           lay=['a miscarriage', 'pregnancy loss in the first trimester']),
    'stroke': dict(disp='stroke', ab=['CVA'], lay=['a stroke', 'stroke']),
    "alzheimer's disease (disorder)": dict(disp="Alzheimer's disease", ab=["Alzheimer's", 'AD dementia'],
                                           lay=["Alzheimer's", "Alzheimer disease"]),
    'acute viral pharyngitis (disorder)': dict(disp='acute viral pharyngitis', ab=['viral pharyngitis', 'pharyngitis'],
                                               lay=['a viral sore throat', 'a viral throat infection']),
    'malignant tumor of colon': dict(disp='malignant tumor of the colon', ab=['colon CA', 'colon ca'],
                                     lay=['colon cancer', 'cancer of the colon']),
    'osteoporosis (disorder)': dict(disp='osteoporosis', ab=['OP', 'osteoporosis'], lay=['brittle bones', 'thinning bones']),
    'hypertension': dict(disp='hypertension', ab=['HTN'], lay=['high blood pressure', 'high BP']),
    'acute bronchitis (disorder)': dict(disp='acute bronchitis', ab=['bronchitis', 'acute bronchitis'],
                                        lay=['a chest cold', 'bronchitis']),
    'viral sinusitis (disorder)': dict(disp='viral sinusitis', ab=['sinusitis', 'viral sinusitis'],
                                       lay=['a sinus infection', 'a viral sinus infection']),
    'anemia (disorder)': dict(disp='anemia', ab=['anemia', 'anaemia'], lay=['low blood count', 'anemia']),
    'seizure disorder': dict(disp='seizure disorder', ab=['sz disorder', 'seizure d/o'], lay=['seizures', 'a seizure condition']),
    'otitis media': dict(disp='otitis media', ab=['OM', 'AOM'], lay=['an ear infection', 'ear infection']),
    'acute allergic reaction': dict(disp='acute allergic reaction', ab=['allergic rxn', 'acute allergic rxn'],
                                    lay=['an allergic reaction', 'allergic reaction']),
    'hyperglycemia (disorder)': dict(disp='hyperglycemia', ab=['hyperglycemia', 'high BG'], lay=['high blood sugar', 'high sugar']),
    'atrial fibrillation': dict(disp='atrial fibrillation', ab=['AFib', 'AF'], lay=['an irregular heartbeat (afib)', 'a-fib']),
    'asthma': dict(disp='asthma', ab=['asthma', 'RAD'], lay=['asthma', 'wheezing illness (asthma)']),
    'chronic kidney disease': dict(disp='chronic kidney disease', ab=['CKD'], lay=['kidney disease', 'chronic kidney problems']),
    'chronic obstructive pulmonary disease': dict(disp='chronic obstructive pulmonary disease', ab=['COPD'],
                                                  lay=['emphysema or chronic bronchitis', 'chronic lung disease']),
    'gastroesophageal reflux disease': dict(disp='gastroesophageal reflux disease', ab=['GERD'], lay=['acid reflux', 'heartburn disease']),
    'prediabetes': dict(disp='prediabetes', ab=['pre-DM', 'prediabetes'], lay=['borderline diabetes', 'prediabetes']),
    'chronic congestive heart failure (disorder)': dict(disp='chronic congestive heart failure', ab=['CHF', 'chronic CHF'],
                                                        lay=['heart failure', 'congestive heart failure']),
    'first degree burn': dict(disp='first degree burn', ab=['1st degree burn', 'superficial burn'], lay=['a minor burn', 'a first-degree burn']),
    'fracture of forearm': dict(disp='fracture of forearm', ab=['forearm fx', 'forearm fracture'], lay=['a broken forearm', 'a broken arm']),
    'polyp of colon': dict(disp='polyp of colon', ab=['colon polyp', 'colonic polyp'], lay=['a colon polyp', 'a polyp in the colon']),
    'hyperlipidemia': dict(disp='hyperlipidemia', ab=['HLD', 'hyperlipidemia'], lay=['high cholesterol', 'high lipids']),
    'streptococcal sore throat (disorder)': dict(disp='streptococcal sore throat', ab=['strep throat', 'strep pharyngitis'],
                                                 lay=['strep throat', 'a strep sore throat']),
    'laceration of forearm': dict(disp='laceration of forearm', ab=['forearm lac', 'forearm laceration'], lay=['a cut on the forearm', 'a forearm cut']),
    'major depression, single episode': dict(disp='major depression, single episode', ab=['MDD', 'MDD single episode'],
                                             lay=['depression', 'major depression']),
}

# ---------------------------------------------------------------- drug classes
DCLASS = {
    'statin': dict(one='a statin', pl='statins', ab='statin', lay='a cholesterol pill', lay_pl='cholesterol-lowering pills'),
    'ace inhibitor': dict(one='an ACE inhibitor', pl='ACE inhibitors', ab='ACEi', lay='a -pril blood pressure pill',
                          lay_pl='-pril type BP meds'),
    'nsaid': dict(one='an NSAID', pl='NSAIDs', ab='NSAID', lay='an anti-inflammatory painkiller', lay_pl='anti-inflammatories'),
    'diuretic': dict(one='a diuretic', pl='diuretics', ab='diuretic', lay='a water pill', lay_pl='water pills'),
    'antibiotic': dict(one='an antibiotic', pl='antibiotics', ab='abx', lay='an antibiotic for an infection', lay_pl='antibiotics'),
    'insulin': dict(one='insulin', pl='insulin', ab='insulin', lay='insulin shots', lay_pl='insulin shots'),
}

# ---------------------------------------------------------------- drugs
# key: lower-case fact concept or record display
DRUG = {
    'hydrochlorothiazide': dict(disp='hydrochlorothiazide', ab='HCTZ', lay='water pill', brand='Microzide'),
    'hydrochlorothiazide 25 mg': dict(disp='hydrochlorothiazide 25 mg', ab='HCTZ 25', lay='water pill', brand='Microzide'),
    'hydrochlorothiazide 6.25 mg': dict(disp='hydrochlorothiazide 6.25 mg', ab='HCTZ 6.25', lay='water pill', brand='Microzide'),
    'simvastatin': dict(disp='simvastatin', ab='simva', lay='cholesterol pill', brand='Zocor'),
    'simvistatin 10 mg': dict(disp='simvastatin 10 mg', ab='simva 10', lay='cholesterol pill', brand='Zocor'),
    'fluticasone inhaler': dict(disp='fluticasone inhaler', ab='fluticasone MDI', lay='steroid inhaler', brand='Flovent'),
    'acetaminophen': dict(disp='acetaminophen', ab='APAP', lay='paracetamol', brand='Tylenol'),
    'fexofenadine': dict(disp='fexofenadine', ab='fexofenadine 30', lay='allergy pill', brand='Allegra'),
    'ibuprofen': dict(disp='ibuprofen', ab='IBU', lay='ibuprofen pain reliever', brand='Motrin'),
    'naproxen sodium': dict(disp='naproxen sodium', ab='naproxen', lay='naproxen painkiller', brand='Aleve'),
    'penicillin v': dict(disp='penicillin V', ab='Pen VK', lay='penicillin pills', brand='Veetids'),
    'camila': dict(disp='Camila', ab='norethindrone (Camila)', lay='mini-pill', brand='Camila'),
    'aspirin 81': dict(disp='aspirin 81 mg', ab='ASA 81', lay='baby aspirin', brand='Bayer low-dose aspirin'),
    'amoxicillin-clavulanate': dict(disp='amoxicillin-clavulanate', ab='amox-clav', lay='amoxicillin with clavulanate',
                                    brand='Augmentin'),
    'sertraline 50 mg oral tablet': dict(disp='sertraline 50 mg', ab='sertraline', lay='antidepressant sertraline', brand='Zoloft'),
    'omeprazole 20 mg delayed release oral capsule': dict(disp='omeprazole 20 mg', ab='omeprazole', lay='acid reflux pill omeprazole',
                                                          brand='Prilosec'),
    'warfarin sodium 5 mg oral tablet': dict(disp='warfarin 5 mg', ab='warfarin', lay='blood thinner warfarin', brand='Coumadin'),
    'insulin glargine 100 unt/ml injectable solution': dict(disp='insulin glargine', ab='glargine', lay='long-acting insulin',
                                                            brand='Lantus'),
    'gabapentin 300 mg oral capsule': dict(disp='gabapentin 300 mg', ab='gabapentin', lay='nerve pain pill gabapentin',
                                           brand='Neurontin'),
    'lisinopril 10 mg oral tablet': dict(disp='lisinopril 10 mg', ab='lisinopril', lay='blood pressure pill lisinopril',
                                         brand='Zestril'),
    'penicillin v potassium 500 mg oral tablet': dict(disp='penicillin V potassium 500 mg', ab='Pen VK 500', lay='penicillin pills',
                                                      brand='Veetids'),
    'penicillin v potassium 250 mg oral tablet': dict(disp='penicillin V potassium 250 mg', ab='Pen VK 250', lay='penicillin pills',
                                                      brand='Veetids'),
    'nda020800 0.3 ml epinephrine 1 mg/ml auto-injector': dict(disp='epinephrine 0.3 mg auto-injector', ab='epi auto-injector',
                                                               lay='epi pen', brand='EpiPen'),
    'ibuprofen 100 mg oral tablet': dict(disp='ibuprofen 100 mg', ab='IBU 100', lay='ibuprofen', brand='Motrin'),
    'acetaminophen 21.7 mg/ml / dextromethorphan hydrobromide 1 mg/ml / doxylamine succinate 0.417 mg/ml oral solution': dict(
        disp='acetaminophen/dextromethorphan/doxylamine oral solution', ab='APAP/DM/doxylamine syrup',
        lay='nighttime cold and cough syrup', brand='NyQuil'),
    '24 hr metformin hydrochloride 500 mg extended release oral tablet': dict(disp='metformin ER 500 mg', ab='metformin XR 500',
                                                                              lay='diabetes pill metformin', brand='Glucophage XR'),
    'diphenhydramine hydrochloride 25 mg oral tablet': dict(disp='diphenhydramine 25 mg', ab='diphenhydramine', lay='antihistamine',
                                                            brand='Benadryl'),
    'naproxen sodium 220 mg oral tablet': dict(disp='naproxen sodium 220 mg', ab='naproxen 220', lay='naproxen painkiller', brand='Aleve'),
    'amoxicillin 250 mg / clavulanate 125 mg oral tablet': dict(disp='amoxicillin 250 mg / clavulanate 125 mg', ab='amox-clav 250/125',
                                                                lay='amoxicillin with clavulanate', brand='Augmentin'),
    'clopidogrel 75 mg oral tablet': dict(disp='clopidogrel 75 mg', ab='clopidogrel', lay='antiplatelet pill', brand='Plavix'),
    'ibuprofen 200 mg oral tablet': dict(disp='ibuprofen 200 mg', ab='IBU 200', lay='ibuprofen', brand='Advil'),
    'alteplase 100 mg injection': dict(disp='alteplase 100 mg injection', ab='tPA', lay='clot-busting drug', brand='Activase'),
    '24 hr metoprolol succinate 100 mg extended release oral tablet [toprol]': dict(disp='metoprolol succinate ER 100 mg', ab='metoprolol XL 100',
                                                                                    lay='beta blocker', brand='Toprol XL'),
    'acetaminophen 160 mg oral tablet': dict(disp='acetaminophen 160 mg', ab='APAP 160', lay='children\'s acetaminophen', brand='Tylenol'),
    'vitamin b 12 5 mg/ml injectable solution': dict(disp='vitamin B12 injection', ab='B12 inj', lay='B12 shots',
                                                     brand='cyanocobalamin'),
}

# ---------------------------------------------------------------- vaccines
VAX = {
    'td (adult) preservative free': dict(disp='Td (adult) vaccine', ab='Td', lay='tetanus shot', alt='tetanus-diphtheria booster'),
    'influenza, seasonal, injectable, preservative free': dict(disp='seasonal influenza vaccine', ab='flu vaccine', lay='flu shot',
                                                                alt='influenza shot'),
    'tdap': dict(disp='Tdap vaccine', ab='Tdap', lay='tetanus-whooping cough booster', alt='Tdap booster'),
    'hpv, quadrivalent': dict(disp='quadrivalent HPV vaccine', ab='HPV4', lay='HPV shot', alt='Gardasil'),
    'zoster': dict(disp='zoster vaccine', ab='shingles vaccine', lay='shingles shot', alt='Zostavax'),
    'covid-19 vaccine': dict(disp='COVID-19 vaccine', ab='COVID vaccine', lay='covid shot', alt='coronavirus vaccine'),
    'pneumococcal polysaccharide vaccine 23 valent': dict(disp='pneumococcal polysaccharide vaccine (PPSV23)', ab='PPSV23',
                                                          lay='Pneumovax shot', alt='PPSV-23 pneumococcal vaccine'),
}

TYPOS = {'when': 'wehn', 'what': 'waht', 'patient': 'pateint', 'last': 'lsat', 'visit': 'vist', 'history': 'hsitory',
         'allergies': 'alergies', 'vaccines': 'vacines', 'pressure': 'presure', 'since': 'snice', 'times': 'tiems',
         'stopped': 'stoped', 'started': 'startd', 'active': 'actvie', 'currently': 'currnetly', 'smoking': 'smokign',
         'encounters': 'encoutners', 'cholesterol': 'cholesterl', 'many': 'mnay', 'prescribed': 'prescibed',
         'value': 'vlaue', 'weight': 'wieght', 'first': 'frist', 'received': 'recieved', 'medications': 'medicatons',
         'immunizations': 'immunizatons', 'before': 'befroe', 'after': 'afetr', 'recorded': 'recroded',
         'diagnosed': 'diagnosd', 'taking': 'takign', 'level': 'levle', 'trending': 'trendign', 'problems': 'problmes',
         'conditions': 'condtions', 'started': 'strated', 'ever': 'evr', 'count': 'cuont'}


def typo(s, seed):
    """introduce one realistic keyboard typo in a frame word (never in a number)"""
    words = s.split(' ')
    cands = [i for i, w in enumerate(words) if w.lower().strip('?,.') in TYPOS]
    if not cands:
        return None
    i = random.Random(seed).choice(cands)
    w = words[i]
    core = w.strip('?,.')
    rep = TYPOS[core.lower()]
    if core[0].isupper():
        rep = rep[0].upper() + rep[1:]
    words[i] = w.replace(core, rep)
    return ' '.join(words)
