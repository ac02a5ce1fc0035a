"""judge3 phrasing generator. Usage: nice -n 19 python3 gen.py
Reads the fact files (phrasing fields stripped on load), the Synthea bundles, and the hand-written
templates below + lexicon.py; writes everyday_judge3.jsonl and invariance_judge3.jsonl."""
import json, os, re, datetime
from load import load_facts, bundle, patient, rdate, rname, HERE
from lexicon import LEX, UNIT

MON = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']


def dates(iso, pre='d'):
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    return {f'{pre}_iso': iso, f'{pre}_long': f'{MON[m-1]} {d} {y}', f'{pre}_longc': f'{MON[m-1]} {d}, {y}',
            f'{pre}_us': f'{m}/{d}/{y}', f'{pre}_eu': f'{d} {MON[m-1][:3]} {y}', f'{pre}_my': f'{MON[m-1]} {y}',
            f'{pre}_mys': f'{MON[m-1][:3]} {y}', f'{pre}_y': str(y), f'{pre}_mm': f'{m:02d}/{y}', f'{pre}_ym': iso[:7]}


def names_for(concept):
    if concept in LEX:
        return LEX[concept]
    # fallback: clean display name
    c = re.sub(r'\s*\((disorder|finding|procedure)\)', '', concept)
    return [(c, 'display'), (c.lower(), 'lowercase')]


def fmtnum(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---------------------------------------------------------------- templates
# each template: (text, style). {n} = rotating name variant, {n0} = display name variant.
T = {}

T['last_visit_date'] = [
    ("When was {pp} last visit?", 'possessive'),
    ("last encounter date?", 'terse'),
    ("When was the patient last seen?", 'display'),
    ("date of most recent visit", 'terse'),
    ("When did {p} last come in to be seen?", 'tense'),
    ("can you tell me the date of {pp} most recent encounter", 'filler'),
    ("pt last seen when?", 'abbrev'),
    ("what's the date of {pp} latest appointment", 'lay'),
    ("when was {p} in last", 'lowercase'),
    ("Most recent encounter on file - what date?", 'display'),
    ("quick q: last time {p} was seen in clinic or hospital?", 'filler'),
    ("wen was {pp} last vist", 'typo'),
    ("Date of the pt's last encounter of any kind?", 'abbrev'),
    ("Has {p} been seen recently? Give me the date of the last visit.", 'yesno'),
]

T['visit_count_since_year'] = [
    ("How many visits has {p} had since {y}?", 'display'),
    ("# encounters since {y}", 'terse'),
    ("how many times has the patient been seen from {y} onward?", 'lowercase'),
    ("Number of {pp} encounters from {y} to now, {y} included", 'possessive'),
    ("count of visits {y}-present", 'terse'),
    ("can you tell me how many encounters {p} has had since the start of {y}", 'filler'),
    ("How often has {p} come in since {y}?", 'lay'),
    ("pt encounters since Jan {y}: how many?", 'abbrev'),
    ("Total number of visits in {y} or later?", 'other'),
    ("How many appointments has {p} had since January 1, {y}?", 'lay'),
    ("hw many visits since {y}", 'typo'),
    ("Since {y}, how many times was {p} seen?", 'tense'),
    ("Has {p} had more than one visit since {y}? How many in total?", 'yesno'),
]

T['visit_count_in_year'] = [
    ("How many visits did {p} have in {y}?", 'display'),
    ("# encounters in {y}", 'terse'),
    ("number of times the patient was seen during {y}", 'lowercase'),
    ("How many encounters are recorded for {o} in calendar year {y}?", 'display'),
    ("{y} visit count?", 'terse'),
    ("can you tell me how often {p} came in in {y}", 'filler'),
    ("How many appointments did {pp} chart show for {y}?", 'possessive'),
    ("pt visits in {y} - how many?", 'abbrev'),
    ("Total encounters between Jan 1 and Dec 31 {y}?", 'other'),
    ("how many times was {p} seen in {y}", 'lay'),
    ("how many vists in {y}?", 'typo'),
    ("In {y}, how many times has {p} been seen?", 'tense'),
    ("Did {p} have any visits in {y}, and how many?", 'yesno'),
]

VTYPE = {
    'emergency': [('emergency visits', 'display'), ('ED visits', 'abbrev'), ('ER visits', 'lay'), ('trips to the emergency room', 'lay'),
                  ('emergency department encounters', 'display')],
    'inpatient': [('inpatient encounters', 'display'), ('hospital admissions', 'lay'), ('admissions', 'abbrev'), ('hospitalizations', 'lay'),
                  ('inpatient stays', 'display')],
    'outpatient': [('outpatient visits', 'display'), ('clinic visits', 'lay'), ('ambulatory encounters', 'display'),
                   ('outpatient encounters', 'display'), ('office visits', 'lay')],
    'wellness': [('wellness visits', 'display'), ('well visits', 'lay'), ('checkups', 'lay'), ('wellness encounters', 'display'),
                 ('routine check-up visits', 'lay')],
}
T['visit_count_by_type'] = [
    ("How many {t} did {p} have in {y}?", 'display'),
    ("# {t} {y}", 'terse'),
    ("number of {t} in {y}", 'lowercase'),
    ("How many {t} are on {pp} record for {y}?", 'possessive'),
    ("{y} {t} count?", 'terse'),
    ("can you tell me how many {t} the patient had during {y}", 'filler'),
    ("pt {t} in {y} - how many?", 'abbrev'),
    ("How many {t} occurred in calendar year {y}?", 'other'),
    ("how many {t} in {y} for {o}", 'lay'),
    ("hwo many {t} in {y}?", 'typo'),
    ("In {y}, how many {t} has {p} had?", 'tense'),
    ("Did {p} have any {t} in {y}? How many?", 'yesno'),
    ("Count {pp} {t} for the year {y}.", 'display'),
]

T['history_of'] = [
    ("Does {p} have a history of {n}?", 'yesno'),
    ("hx of {n}?", 'terse'),
    ("Any history of {n} in {pp} chart?", 'possessive'),
    ("Has the patient ever been diagnosed with {n}?", 'display'),
    ("{n} in PMH?", 'abbrev'),
    ("is there a past history of {n}", 'lowercase'),
    ("can you check whether {p} has ever had {n}", 'filler'),
    ("Was {p} ever treated for {n}?", 'tense'),
    ("Has {n} ever appeared on {pp} problem list?", 'yesno'),
    ("pt w/ hx of {n}?", 'abbrev'),
    ("Any prior {n}?", 'terse'),
    ("does {p} have a hsitory of {n}", 'typo'),
    ("quick q - {n} ever documented for this patient?", 'filler'),
    ("Past medical history positive for {n}?", 'display'),
]

T['ever_had'] = [
    ("Has {p} ever had {n}?", 'yesno'),
    ("ever had {n}?", 'terse'),
    ("Has the patient ever been diagnosed with {n}?", 'display'),
    ("Any {n} in {pp} history?", 'possessive'),
    ("was there ever a diagnosis of {n}", 'lowercase'),
    ("can you tell me if {p}'s ever had {n}", 'filler'),
    ("Did {p} have {n} at any point?", 'tense'),
    ("pt ever dx'd with {n}?", 'abbrev'),
    ("Is {n} anywhere in {pp} record, past or present?", 'yesno'),
    ("{n} - ever?", 'terse'),
    ("has {p} evr had {n}", 'typo'),
    ("Has {n} ever been recorded for this patient?", 'display'),
    ("quick q, any episode of {n} ever?", 'filler'),
]

T['on_drug_class_now'] = [
    ("Is {p} currently on {a} {n}?", 'yesno'),
    ("on {a} {n} now?", 'terse'),
    ("Is the patient taking any {n} at present?", 'display'),
    ("Does {pp} current med list include {a} {n}?", 'possessive'),
    ("any active {n} rx?", 'abbrev'),
    ("is {p} on {a} {n} right now", 'lowercase'),
    ("can you check if {p} is currently prescribed {a} {n}", 'filler'),
    ("Is {p} still taking {a} {n}?", 'tense'),
    ("current {n}? y/n", 'terse'),
    ("Is there an active prescription for any {n}?", 'display'),
    ("is {p} currntly on {a} {n}?", 'typo'),
    ("Are any of {pp} active medications {a} {n}?", 'yesno'),
    ("pt on {n} currently?", 'abbrev'),
]

T['drug_since'] = [
    ("When was {p} first started on {n}?", 'display'),
    ("first {n} start date?", 'terse'),
    ("Since when has {p} been on {n}, counting from the very first prescription?", 'tense'),
    ("When was {n} first prescribed for {o}?", 'display'),
    ("earliest date {n} was started", 'lowercase'),
    ("can you tell me when the patient began {n}", 'filler'),
    ("When did {pp} first course of {n} begin?", 'possessive'),
    ("pt first on {n} when?", 'abbrev'),
    ("first rx date for {n}?", 'abbrev'),
    ("When was {n} started for {o} the very first time?", 'other'),
    ("when was {p} startd on {n}", 'typo'),
    ("Has {p} been on {n} a while? What date was it first started?", 'yesno'),
    ("Initiation date of {n}?", 'display'),
]

T['drug_stopped'] = [
    ("When was {n} stopped?", 'display'),
    ("{n} stop date?", 'terse'),
    ("When did {p} come off {n}?", 'lay'),
    ("When was {pp} {n} discontinued?", 'possessive'),
    ("date {n} was d/c'd", 'abbrev'),
    ("can you tell me when the patient's {n} was stopped", 'filler'),
    ("when did {p} stop taking {n}", 'lowercase'),
    ("Is {p} still on {n}? If not, when was it stopped?", 'yesno'),
    ("{n} discontinuation date?", 'terse'),
    ("When was the last {n} prescription, the one that got stopped?", 'other'),
    ("when was {n} stoped", 'typo'),
    ("What date did {p} quit {n}?", 'tense'),
    ("pt's {n} ended on what date?", 'abbrev'),
]

T['smoking_status'] = [
    ("What is {pp} smoking status?", 'possessive'),
    ("smoking status?", 'terse'),
    ("Does {p} smoke, or did {p} ever?", 'yesno'),
    ("Tobacco smoking status for this patient?", 'display'),
    ("tobacco use hx?", 'abbrev'),
    ("is the patient a current, former or never smoker", 'lowercase'),
    ("can you tell me whether {p} smokes", 'filler'),
    ("What's the most recent tobacco status recorded for {o}?", 'display'),
    ("Is {p} a smoker now, an ex-smoker, or never smoked?", 'yesno'),
    ("cigarettes - smoker, ex-smoker or never?", 'lay'),
    ("whats {pp} smokign status", 'typo'),
    ("Has {p} ever smoked tobacco? What's the documented status?", 'tense'),
    ("pt smoker y/n / former?", 'abbrev'),
]

T['allergies_list'] = [
    ("What is {p} allergic to?", 'lay'),
    ("allergies?", 'terse'),
    ("List {pp} allergies.", 'possessive'),
    ("What allergies are documented for the patient?", 'display'),
    ("any known allergies (food, environmental, drug)?", 'lowercase'),
    ("can you pull up {pp} allergy list", 'filler'),
    ("Does {p} have any allergies? Which ones?", 'yesno'),
    ("allergy list pls", 'abbrev'),
    ("What allergies or intolerances are on file?", 'display'),
    ("NKDA or does {p} have allergies?", 'abbrev'),
    ("what is {p} alergic to", 'typo'),
    ("Which allergies has {p} been found to have?", 'tense'),
    ("Full list of the pt's recorded allergies?", 'other'),
]

T['immunization_list'] = [
    ("What vaccines has {p} received?", 'display'),
    ("immunization history?", 'terse'),
    ("List {pp} immunizations.", 'possessive'),
    ("Which shots has the patient had?", 'lay'),
    ("vax hx?", 'abbrev'),
    ("what immunizations are on file for {o}", 'lowercase'),
    ("can you tell me which vaccines {p} has gotten", 'filler'),
    ("Has {p} had any vaccines? Which ones?", 'yesno'),
    ("Which vaccines were given to {o} over the years?", 'tense'),
    ("pt's vaccine list?", 'abbrev'),
    ("what vacines has {p} had", 'typo'),
    ("What are all the different vaccines in {pp} immunization record?", 'other'),
    ("Immunizations received - list them", 'display'),
]

T['active_problem_list'] = [
    ("What are {pp} active problems?", 'possessive'),
    ("active problem list?", 'terse'),
    ("Which conditions are currently active for the patient?", 'display'),
    ("current dx list", 'abbrev'),
    ("what diagnoses are still active", 'lowercase'),
    ("can you give me {pp} current problem list", 'filler'),
    ("Does {p} have any ongoing conditions? Which ones?", 'yesno'),
    ("What health problems does {p} currently have?", 'lay'),
    ("open/active diagnoses?", 'terse'),
    ("Which of {pp} conditions have not resolved?", 'tense'),
    ("whats on {pp} actve problem list", 'typo'),
    ("List the pt's active conditions.", 'abbrev'),
    ("What active diagnoses are on the chart right now?", 'other'),
]

T['times_above_threshold'] = [
    ("How many times has {pp} {n} been above {thr}?", 'possessive'),
    ("# of {n} readings > {thr}{u}", 'terse'),
    ("How many {n} values over {thr}{u} are recorded?", 'display'),
    ("count of {n} results greater than {thr}", 'lowercase'),
    ("can you tell me how often {pp} {n} was higher than {thr}", 'filler'),
    ("{n} >{thr}: how many times?", 'terse'),
    ("How many measurements of {n} exceeded {thr}{u}?", 'tense'),
    ("Number of times the patient had a {n} above {thr}?", 'display'),
    ("Has {pp} {n} ever been over {thr}? How many times?", 'yesno'),
    ("pt {n} > {thr} x how many?", 'abbrev'),
    ("how mnay times was {n} above {thr}", 'typo'),
    ("Across all {pp} {n} results, how many were above {thr}{u}?", 'other'),
    ("times {n} over {thr}{u}?", 'terse'),
]

T['time_since_last'] = [
    ("How long since {pp} last {n}?", 'possessive'),
    ("when was the last {n}?", 'lowercase'),
    ("Date of most recent {n}?", 'display'),
    ("last {n} date", 'terse'),
    ("can you tell me when {p} last had {a} {n}", 'filler'),
    ("How long ago was {pp} last {n}, and on what date?", 'other'),
    ("When did the patient last have {a} {n}?", 'tense'),
    ("pt's last {n}?", 'abbrev'),
    ("Has {p} had {a} {n}? When was the most recent one?", 'yesno'),
    ("time since last {n}", 'terse'),
    ("when was {pp} lst {n}", 'typo'),
    ("Most recent {n} on record - when?", 'display'),
    ("how long has it been since the last {n}", 'lay'),
]

T['value_at_visit'] = [
    ("What was {pp} {n} at the {d_my} visit?", 'possessive'),
    ("{n} on {d_iso}?", 'terse'),
    ("What {n} was recorded at the visit on {d_long}?", 'display'),
    ("{n} at {pp} {d_my} appointment", 'lowercase'),
    ("can you tell me the {n} from {d_us}", 'filler'),
    ("What did {pp} {n} measure at the {d_mys} encounter?", 'tense'),
    ("pt {n} {d_us}?", 'abbrev'),
    ("{n} value at the visit in {d_my}?", 'display'),
    ("What was the patient's {n} on {d_eu}?", 'display'),
    ("Was {pp} {n} checked on {d_longc}? What was it?", 'yesno'),
    ("waht was {pp} {n} on {d_long}", 'typo'),
    ("{n} reading from the {d_ym} visit", 'terse'),
    ("What {n} did {p} have when seen in {d_my}?", 'lay'),
]

# ---------------------------------------------------------------- invariance templates
T['last_value'] = [
    ("What is {pp} most recent {n}?", 'possessive'),
    ("latest {n}?", 'terse'),
    ("What was the last {n} result for the patient?", 'display'),
    ("last {n} value", 'lowercase'),
    ("can you tell me {pp} latest {n}", 'filler'),
    ("pt's most recent {n}?", 'abbrev'),
    ("What did {pp} {n} come back as most recently?", 'tense'),
    ("{n} - most recent reading?", 'terse'),
    ("Has {p} had {a} {n} done? What was the latest value?", 'yesno'),
    ("most recent {n} on file", 'display'),
    ("whats {pp} lastest {n}", 'typo'),
    ("What was {pp} {n} the last time it was measured?", 'lay'),
    ("current {n} level?", 'other'),
]

T['first_value'] = [
    ("What was {pp} first recorded {n}?", 'possessive'),
    ("first {n}?", 'terse'),
    ("What was the earliest {n} on file for the patient?", 'display'),
    ("earliest {n} value", 'lowercase'),
    ("can you tell me {pp} very first {n} result", 'filler'),
    ("pt's initial {n}?", 'abbrev'),
    ("What did {pp} {n} measure the first time it was checked?", 'tense'),
    ("{n} - first reading in the chart?", 'terse'),
    ("Was {n} ever measured? What was the first value?", 'yesno'),
    ("oldest {n} result", 'display'),
    ("what was {pp} frist {n}", 'typo'),
    ("What was {pp} {n} when it was first measured?", 'lay'),
    ("Earliest documented {n} for {o}?", 'other'),
]

T['value_on_date'] = [
    ("What was {pp} {n} on {d_iso}?", 'possessive'),
    ("{n} {d_us}?", 'terse'),
    ("What {n} was recorded on {d_long}?", 'display'),
    ("{n} on {d_longc}", 'lowercase'),
    ("can you tell me the patient's {n} from {d_eu}", 'filler'),
    ("pt {n} on {d_iso}?", 'abbrev'),
    ("What did {pp} {n} measure on {d_long}?", 'tense'),
    ("Was {n} checked on {d_us}? What was the value?", 'yesno'),
    ("{n} result dated {d_iso}", 'display'),
    ("waht was {n} on {d_us}", 'typo'),
    ("What was {pp} {n} at the {d_longc} visit?", 'lay'),
    ("{d_iso} {n}?", 'terse'),
    ("{n} value for {o} on {d_eu}?", 'other'),
]

T['first_rx_date'] = [
    ("When was {n} first prescribed?", 'display'),
    ("first rx date for {n}?", 'abbrev'),
    ("When was {p} first started on {n}?", 'tense'),
    ("date of {pp} first {n} prescription", 'possessive'),
    ("{n} - first ordered when?", 'terse'),
    ("can you tell me when the patient first got {n}", 'filler'),
    ("earliest prescription of {n}?", 'display'),
    ("when did {p} first get a script for {n}", 'lowercase'),
    ("Has {p} been prescribed {n}? When was the first time?", 'yesno'),
    ("{n} start date?", 'terse'),
    ("when was {n} frist prescribed", 'typo'),
    ("On what date was {n} first written for {o}?", 'other'),
    ("When did {pp} doctor first put {o} on {n}?", 'lay'),
]

T['onset_date'] = [
    ("When was {p} diagnosed with {n}?", 'display'),
    ("{n} onset date?", 'terse'),
    ("When did {pp} {n} start?", 'possessive'),
    ("date of {n} diagnosis", 'lowercase'),
    ("can you tell me when the patient's {n} began", 'filler'),
    ("dx date for {n}?", 'abbrev'),
    ("When was {n} first noted in the chart?", 'display'),
    ("Has {p} had {n}? When did it start?", 'yesno'),
    ("onset of {n} - when?", 'terse'),
    ("When did {p} first get {n}?", 'tense'),
    ("when was {n} diagnoesd", 'typo'),
    ("What date was {n} recorded as starting?", 'other'),
    ("when did {p} come down with {n}", 'lay'),
]

T['last_imm_date'] = [
    ("When did {p} last get the {n}?", 'tense'),
    ("last {n} date?", 'terse'),
    ("Date of the patient's most recent {n}?", 'display'),
    ("when was {pp} last {n}", 'lowercase'),
    ("can you tell me when {p} most recently had {a} {n}", 'filler'),
    ("pt's last {n}?", 'abbrev'),
    ("When was {pp} most recent {n} given?", 'possessive'),
    ("Has {p} had {a} {n}? When was the last one?", 'yesno'),
    ("most recent {n} - when?", 'terse'),
    ("Latest {n} administration date?", 'display'),
    ("when was {pp} lsat {n}", 'typo'),
    ("When was the {n} last given to {o}?", 'other'),
    ("how long ago was {pp} last {n} - what date?", 'lay'),
]

T['before_event'] = [
    ("What was {pp} last {n} before {pp} {e} was diagnosed on {e_iso}?", 'possessive'),
    ("{n} just before the {e} dx ({e_us})?", 'terse'),
    ("What was the most recent {n} prior to the {e} diagnosis in {e_my}?", 'display'),
    ("last {n} before {e} onset on {e_long}", 'lowercase'),
    ("can you tell me {pp} {n} right before {p} was diagnosed with {e} ({e_iso})", 'filler'),
    ("pt's {n} pre-{e} ({e_mys})?", 'abbrev'),
    ("What did {pp} {n} measure before the {e} started on {e_longc}?", 'tense'),
    ("Was {n} checked before {pp} {e} ({e_iso})? What was the last value?", 'yesno'),
    ("{n} prior to {e} dx on {e_us}", 'terse'),
    ("what was {n} befor the {e} on {e_iso}", 'typo'),
    ("Most recent {n} before the {e_eu} diagnosis of {e}?", 'display'),
    ("{n} leading up to {pp} {e} in {e_my} - last reading?", 'other'),
    ("What was the last {n} recorded before {p} got {e} ({e_long})?", 'lay'),
]

T['after_event'] = [
    ("What was {pp} first {n} after {pp} {e} was diagnosed on {e_iso}?", 'possessive'),
    ("{n} right after the {e} dx ({e_us})?", 'terse'),
    ("What was the first {n} recorded after the {e} diagnosis in {e_my}?", 'display'),
    ("first {n} after {e} onset on {e_long}", 'lowercase'),
    ("can you tell me {pp} {n} the first time it was checked after the {e} ({e_iso})", 'filler'),
    ("pt's {n} post-{e} ({e_mys}) - first value?", 'abbrev'),
    ("What did {pp} {n} measure after the {e} started on {e_longc}?", 'tense'),
    ("Was {n} checked after {pp} {e} ({e_iso})? What was the first value?", 'yesno'),
    ("first {n} following {e} dx on {e_us}", 'terse'),
    ("what was {n} aftr the {e} on {e_iso}", 'typo'),
    ("Next {n} after the {e_eu} diagnosis of {e}?", 'display'),
    ("{n} following {pp} {e} in {e_my} - first reading?", 'other'),
    ("What was the first {n} taken after {p} got {e} ({e_long})?", 'lay'),
]

T['before_event_med'] = [
    ("What was {pp} last {n} before {p} was prescribed {e} on {e_iso}?", 'possessive'),
    ("{n} just before starting {e} ({e_us})?", 'terse'),
    ("What was the most recent {n} prior to the {e} prescription in {e_my}?", 'display'),
    ("last {n} before {e} was started on {e_long}", 'lowercase'),
    ("can you tell me {pp} {n} right before the {e} was ordered ({e_iso})", 'filler'),
    ("pt's {n} pre-{e} rx ({e_mys})?", 'abbrev'),
    ("What did {pp} {n} measure before {p} got {e} on {e_longc}?", 'tense'),
    ("Was {n} checked before the {e} script of {e_iso}? What was the last value?", 'yesno'),
    ("{n} prior to {e} rx on {e_us}", 'terse'),
    ("what was {n} befor {e} was prescibed on {e_iso}", 'typo'),
    ("Most recent {n} before the {e_eu} {e} order?", 'display'),
    ("{n} leading up to the {e} prescription in {e_my} - last reading?", 'other'),
    ("What was the last {n} recorded before {p} was put on {e} ({e_long})?", 'lay'),
]

T['after_event_med'] = [
    ("What was {pp} first {n} after {p} was prescribed {e} on {e_iso}?", 'possessive'),
    ("{n} after starting {e} ({e_us})?", 'terse'),
    ("What was the first {n} recorded after the {e} prescription in {e_my}?", 'display'),
    ("first {n} after {e} was started on {e_long}", 'lowercase'),
    ("can you tell me {pp} {n} the first time it was checked after the {e} order ({e_iso})", 'filler'),
    ("pt's {n} post-{e} rx ({e_mys}) - first value?", 'abbrev'),
    ("What did {pp} {n} measure after {p} got {e} on {e_longc}?", 'tense'),
    ("Was {n} checked after the {e} script of {e_iso}? What was the first value?", 'yesno'),
    ("first {n} following {e} rx on {e_us}", 'terse'),
    ("what was {n} aftr {e} was prescibed on {e_iso}", 'typo'),
    ("Next {n} after the {e_eu} {e} order?", 'display'),
    ("{n} following the {e} prescription in {e_my} - first reading?", 'other'),
    ("What was the first {n} taken after {p} was put on {e} ({e_long})?", 'lay'),
]

T['at_visit_cond'] = [
    ("What was {pp} {n} at the visit where {e} was diagnosed?", 'possessive'),
    ("{n} at the {e} dx visit ({e_us})?", 'terse'),
    ("What {n} was recorded at the encounter when {e} was first diagnosed ({e_iso})?", 'display'),
    ("{n} at the visit {p} got diagnosed with {e}", 'lowercase'),
    ("can you tell me the {n} from the visit where {pp} {e} was picked up ({e_my})", 'filler'),
    ("pt {n} on the day of {e} dx?", 'abbrev'),
    ("What did {pp} {n} measure at the {e_long} visit when {e} was diagnosed?", 'tense'),
    ("Was {n} checked at the visit where {e} was found? What was it?", 'yesno'),
    ("{n} from the {e} diagnosis encounter", 'terse'),
    ("waht was {n} at the {e} diagnsis visit", 'typo'),
    ("At the {e_eu} encounter where {e} was diagnosed, what was the {n}?", 'display'),
    ("{n} at the time of {pp} {e} diagnosis in {e_mys}?", 'other'),
    ("What was the {n} when {p} was told {p} had {e}?", 'lay'),
]

T['in_month'] = [
    ("What was {pp} {n} in {d_my}?", 'possessive'),
    ("{n} {d_mys}?", 'terse'),
    ("What {n} was recorded in {d_my}?", 'display'),
    ("{n} value from {d_ym}", 'lowercase'),
    ("can you tell me the patient's {n} from {d_my}", 'filler'),
    ("pt {n} {d_mm}?", 'abbrev'),
    ("What did {pp} {n} measure in {d_my}?", 'tense'),
    ("Was {n} checked in {d_my}? What was the value?", 'yesno'),
    ("{n} reading during {d_my}", 'display'),
    ("waht was {n} in {d_my}", 'typo'),
    ("What was {pp} {n} when {p} was seen in {d_mys}?", 'lay'),
    ("{d_ym} {n}?", 'terse'),
    ("{n} for {o} in the month of {d_my}?", 'other'),
]

T['in_year'] = [
    ("What was {pp} {n} in {d_y}?", 'possessive'),
    ("{n} {d_y}?", 'terse'),
    ("What {n} was recorded during {d_y}?", 'display'),
    ("{n} value from {d_y}", 'lowercase'),
    ("can you tell me the patient's {n} result from {d_y}", 'filler'),
    ("pt {n} in {d_y}?", 'abbrev'),
    ("What did {pp} {n} measure in {d_y}?", 'tense'),
    ("Was {n} checked in {d_y}? What was the value?", 'yesno'),
    ("{n} reading during calendar year {d_y}", 'display'),
    ("waht was {n} in {d_y}", 'typo'),
    ("What was {pp} {n} when {p} was tested in {d_y}?", 'lay'),
    ("{d_y} {n} result?", 'terse'),
    ("{n} for {o} in the year {d_y}?", 'other'),
]

T['trend_all'] = [
    ("How has {pp} {n} trended over time?", 'possessive'),
    ("{n} trend?", 'terse'),
    ("Is the patient's {n} going up, down, or staying stable across all readings?", 'display'),
    ("overall {n} trend", 'lowercase'),
    ("can you tell me whether {pp} {n} has been rising or falling overall", 'filler'),
    ("pt {n} trajectory, all values?", 'abbrev'),
    ("How has {pp} {n} changed from the first to the last measurement?", 'tense'),
    ("Is {pp} {n} rising, falling, or holding steady over time?", 'other'),
    ("{n} over the whole record - up, down or flat?", 'terse'),
    ("whats the trend in {pp} {n} overal", 'typo'),
    ("Looking at every {n} on file, what is the direction of change?", 'display'),
    ("long-term {n} trend for {o}?", 'other'),
    ("Is {pp} {n} getting higher or lower over the years?", 'lay'),
]

T['trend_last'] = [
    ("How has {pp} {n} trended over the last three readings?", 'possessive'),
    ("{n} trend, last 3?", 'terse'),
    ("Across the three most recent {n} values, is it going up, down, or stable?", 'display'),
    ("recent {n} trend (last 3 results)", 'lowercase'),
    ("can you tell me if {pp} last three {n} results are rising or falling", 'filler'),
    ("pt {n} trajectory over last 3 measurements?", 'abbrev'),
    ("How has {pp} {n} changed across the latest three checks?", 'tense'),
    ("Over the last 3 readings, is {pp} {n} rising, falling, or steady?", 'other'),
    ("last three {n} - up, down or flat?", 'terse'),
    ("whats the trend in {pp} last 3 {n} valeus", 'typo'),
    ("Direction of {n} over the three most recent measurements?", 'display'),
    ("short-term {n} trend (3 most recent) for {o}?", 'other'),
    ("Has {pp} {n} been getting higher or lower in the last three tests?", 'lay'),
]

T['count_obs'] = [
    ("How many {n} measurements does {p} have on file?", 'display'),
    ("# of {n} readings?", 'terse'),
    ("How many times has {pp} {n} been checked?", 'possessive'),
    ("count of {n} results", 'lowercase'),
    ("can you tell me how many {n} values are in the chart", 'filler'),
    ("pt {n} - how many recorded?", 'abbrev'),
    ("How many times was the patient's {n} measured?", 'tense'),
    ("Has {n} been measured more than once? How many times in total?", 'yesno'),
    ("total number of {n} observations", 'display'),
    ("how many {n} resluts are there", 'typo'),
    ("How often has {p} had {n} recorded overall?", 'lay'),
    ("{n} count, whole record?", 'terse'),
    ("Number of {n} entries for {o}?", 'other'),
]

T['count_imm'] = [
    ("How many {n} doses has {p} had?", 'display'),
    ("# of {n} doses?", 'terse'),
    ("How many times has {p} received the {n}?", 'tense'),
    ("count of {n} given", 'lowercase'),
    ("can you tell me how many doses of {n} the patient has gotten", 'filler'),
    ("pt {n} - how many doses?", 'abbrev'),
    ("How many {n} doses are in {pp} immunization record?", 'possessive'),
    ("Has {p} had more than one {n}? How many in total?", 'yesno'),
    ("total {n} administrations", 'display'),
    ("how many {n} doeses has {p} had", 'typo'),
    ("How many shots of {n} has {p} gotten over the years?", 'lay'),
    ("{n} dose count?", 'terse'),
    ("Number of {n} immunizations on file for {o}?", 'other'),
]

T['list_meds_ever'] = [
    ("What medications has {p} ever been prescribed?", 'display'),
    ("full med history?", 'terse'),
    ("List all of {pp} medications, past and present.", 'possessive'),
    ("every drug the patient has been on", 'lowercase'),
    ("can you list all the meds ever ordered for {o}", 'filler'),
    ("all rx ever?", 'abbrev'),
    ("Which medicines has {p} taken over the years?", 'lay'),
    ("Has {p} been on any medications? List all of them.", 'yesno'),
    ("complete medication list including stopped meds", 'display'),
    ("waht meds has {p} ever been on", 'typo'),
    ("What drugs were prescribed to {o} at any point?", 'tense'),
    ("lifetime med list for the pt?", 'abbrev'),
    ("All medications in the record, active or discontinued?", 'other'),
]

T['list_conditions'] = [
    ("What conditions has {p} been diagnosed with?", 'display'),
    ("all dx ever?", 'abbrev'),
    ("List all of {pp} diagnoses, past and present.", 'possessive'),
    ("every condition on the patient's record", 'lowercase'),
    ("can you list all the problems ever recorded for {o}", 'filler'),
    ("full problem list incl resolved?", 'terse'),
    ("What health problems has {p} had?", 'lay'),
    ("Has {p} had any diagnoses? List them all.", 'yesno'),
    ("complete list of conditions, active and resolved", 'display'),
    ("waht conditons has {p} had", 'typo'),
    ("What was {p} diagnosed with over the years?", 'tense'),
    ("pt's PMH - everything?", 'abbrev'),
    ("All conditions documented in the chart at any time?", 'other'),
]

T['current_meds'] = [
    ("What medications is {p} currently on?", 'display'),
    ("current meds?", 'terse'),
    ("List {pp} active medications.", 'possessive'),
    ("what is the patient taking right now", 'lowercase'),
    ("can you pull up {pp} current med list", 'filler'),
    ("active rx list?", 'abbrev'),
    ("Which medicines does {p} take these days?", 'lay'),
    ("Is {p} on any medications now? Which ones?", 'yesno'),
    ("active medication list", 'display'),
    ("waht meds is {p} on now", 'typo'),
    ("What is {p} still taking?", 'tense'),
    ("pt's current drugs?", 'abbrev'),
    ("Which prescriptions are active at present?", 'other'),
]

T['list_vaccines'] = T['immunization_list']
T['list_allergies'] = T['allergies_list']

T['on_drug'] = [
    ("Is {p} currently on {n}?", 'yesno'),
    ("still on {n}?", 'terse'),
    ("Is the patient taking {n} right now?", 'display'),
    ("Is {n} on {pp} active med list?", 'possessive'),
    ("is {n} still active", 'lowercase'),
    ("can you check whether {p} is still taking {n}", 'filler'),
    ("active rx for {n}?", 'abbrev'),
    ("Is {p} still being prescribed {n}?", 'tense'),
    ("{n} - current? y/n", 'terse'),
    ("Does {p} take {n} these days?", 'lay'),
    ("is {p} stil on {n}", 'typo'),
    ("Is there a current prescription for {n}?", 'display'),
    ("pt on {n} currently?", 'abbrev'),
]

T['cond_active'] = [
    ("Is {pp} {n} still active?", 'possessive'),
    ("{n} active?", 'terse'),
    ("Does the patient currently have {n}?", 'display'),
    ("is {n} an active problem", 'lowercase'),
    ("can you check whether {n} is still active for {o}", 'filler'),
    ("{n} current dx? y/n", 'abbrev'),
    ("Is {p} still dealing with {n}?", 'lay'),
    ("Is {n} on {pp} active problem list?", 'yesno'),
    ("{n} - ongoing?", 'terse'),
    ("Is {n} still considered active in the chart?", 'tense'),
    ("is {pp} {n} stil active", 'typo'),
    ("Does {p} still have {n}?", 'yesno'),
    ("pt has active {n}?", 'abbrev'),
]

T['abstain_lab'] = [
    ("What was {pp} most recent {n}?", 'possessive'),
    ("latest {n}?", 'terse'),
    ("What is the patient's {n} result?", 'display'),
    ("last {n} value", 'lowercase'),
    ("can you tell me {pp} {n} level", 'filler'),
    ("pt's {n}?", 'abbrev'),
    ("What did {pp} {n} come back as?", 'tense'),
    ("Has {p} had {a} {n} test? What was the result?", 'yesno'),
    ("{n} result on file", 'display'),
    ("whats {pp} lastest {n}", 'typo'),
    ("What was {pp} {n} the last time it was checked?", 'lay'),
    ("{n} - most recent reading?", 'terse'),
    ("current {n} level for {o}?", 'other'),
]

T['abstain_drug'] = [
    ("When was {p} started on {n}?", 'tense'),
    ("{n} start date?", 'terse'),
    ("When was {n} prescribed for the patient?", 'display'),
    ("date {n} was first ordered", 'lowercase'),
    ("can you tell me when {p} began taking {n}", 'filler'),
    ("first rx date for {n}?", 'abbrev'),
    ("When did {pp} {n} prescription start?", 'possessive'),
    ("Has {p} been prescribed {n}? When was it started?", 'yesno'),
    ("{n} - initiated when?", 'terse'),
    ("when was {n} startd", 'typo'),
    ("On what date was {n} first written for {o}?", 'other'),
    ("When did {pp} doctor put {o} on {n}?", 'lay'),
    ("Start date of the {n} prescription?", 'display'),
]

T['abstain_condition'] = [
    ("When was {p} diagnosed with {n}?", 'display'),
    ("{n} onset date?", 'terse'),
    ("When did {pp} {n} start?", 'possessive'),
    ("date of {n} diagnosis", 'lowercase'),
    ("can you tell me when the patient's {n} began", 'filler'),
    ("dx date for {n}?", 'abbrev'),
    ("When was {n} first noted in the chart?", 'display'),
    ("Has {p} had {n}? When was it diagnosed?", 'yesno'),
    ("onset of {n} - when?", 'terse'),
    ("When did {p} first get {n}?", 'tense'),
    ("when was {n} diagnoesd", 'typo'),
    ("What date was {n} recorded as starting?", 'other'),
    ("when did {p} come down with {n}", 'lay'),
]

T['abstain_vaccine'] = [
    ("When did {p} get the {n}?", 'tense'),
    ("{n} date?", 'terse'),
    ("Date the patient received the {n}?", 'display'),
    ("when was {pp} {n} given", 'lowercase'),
    ("can you tell me when {p} had the {n}", 'filler'),
    ("pt's {n} date?", 'abbrev'),
    ("When was {pp} most recent {n}?", 'possessive'),
    ("Has {p} had the {n}? When?", 'yesno'),
    ("{n} - administered when?", 'terse'),
    ("Administration date of the {n}?", 'display'),
    ("when was {pp} {n} givn", 'typo'),
    ("When was the {n} given to {o}?", 'other'),
    ("what date did {p} get {pp} {n}", 'lay'),
]

NAME_STYLES = {'abbrev', 'lay', 'brand', 'class'}
KEEP_TEMPLATE = {'typo', 'yesno', 'filler', 'lowercase', 'terse'}


def ev_name(r):
    """short clinician name for a context event (Condition / MedicationRequest)"""
    nm = rname(r)
    cands = names_for(nm)
    # prefer a short non-display name for events, keep it plain
    for n, s in cands:
        if s in ('display', 'brand') and len(n) < 40:
            return n
    return cands[0][0]


def article(n):
    w = n.split()[0]
    if w.lower() in ('the', 'an', 'a'):
        return ''
    if len(w) > 1 and w[:2].isupper():  # acronym: read letter by letter
        return 'an' if w[0] in 'AEFHILMNORSX' else 'a'
    return 'an' if w[0].lower() in 'aeio' else 'a'


def render(fact):
    op = fact['op']
    pid = fact['patient_id']
    b = bundle(pid)
    pat = patient(pid)
    fem = pat['gender'] == 'female'
    ctx = {'p': 'she' if fem else 'he', 'pp': 'her' if fem else 'his', 'o': 'her' if fem else 'him'}
    concept = fact['concept']
    names = None
    if op in ('value_at_visit',):
        concept = concept.rsplit(' ', 1)[0]
        g = b[fact['gold_resources'][0]]
        ctx.update(dates(rdate(g)))
    elif op == 'times_above_threshold':
        concept, thr = concept.rsplit(' > ', 1)
        ctx['thr'] = thr
        g = b[fact['context_resources'][0]] if fact['context_resources'] else b[fact['gold_resources'][0]]
        unit = ''
        if 'valueQuantity' in g:
            unit = g['valueQuantity'].get('unit', '')
        else:
            for c in g.get('component', []):
                if c['code']['coding'][0]['display'] == concept:
                    unit = c['valueQuantity'].get('unit', '')
        u = UNIT.get(unit, unit)
        ctx['u'] = (' ' + u) if u and u not in ('%',) else ('%' if u == '%' else '')
        if 'lomerular' in concept:  # mixed units under one code: leave the unit out
            ctx['u'] = ''
    elif op.startswith('visit_count'):
        ctx['y'] = concept.split()[-1]
        if op == 'visit_count_by_type':
            names = VTYPE[concept.split()[0]]
    elif op in ('value_on_date', 'in_month', 'in_year'):
        g = b[fact['gold_resources'][0]]
        ctx.update(dates(rdate(g)))
    if op in ('before_event', 'after_event', 'before_event_med', 'after_event_med', 'at_visit_cond'):
        e = b[fact['context_resources'][0]]
        ctx['e'] = ev_name(e)
        ev_names = [n for n, s in names_for(rname(e)) if s in ('display', 'abbrev', 'brand')] or [ctx['e']]
        ctx.update(dates(rdate(e), 'e'))
    if names is None:
        names = names_for(concept)
    if op == 'time_since_last' and fact['gold_resources'][0].startswith('Observation/'):
        vital = concept in ('Body Weight', 'Systolic Blood Pressure', 'Body Height', 'Body Mass Index')
        suf = [' reading', ' check', ' measurement'] if vital else [' check', ' result', ' test', ' level']
        names = [(n + suf[i % len(suf)], s) for i, (n, s) in enumerate(names)]
    out, seen = [], set()
    for i, (tpl, tstyle) in enumerate(T[op]):
        # rotate over name variants; display name first
        n, nstyle = names[i % len(names)]
        if 'e' in ctx and i % 3 == 2:  # vary the event's name too (record name / abbreviation / brand)
            ctx['e'] = ev_names[(i // 3) % len(ev_names)]
        elif 'e' in ctx:
            ctx['e'] = ev_names[0]
        if tstyle == 'lowercase':
            n = n  # lowercasing applied after formatting
        try:
            s = tpl.format(n=n, n0=names[0][0], t=n, a=article(n), **ctx)
            s = re.sub(r'  +', ' ', s).replace('( ', '(')
            s = re.sub(r"\b(her|his|the|a|an|pt's|patient's|of)\s+(the|an|a)\s+", r'\1 ', s, flags=re.I)
        except KeyError as ex:
            raise KeyError(f"{fact['fact_id']} {tpl} {ex}")
        s = s[0].upper() + s[1:] if tstyle not in ('lowercase', 'typo', 'terse') and s[0].islower() and not s.startswith(('pt', 'hx', 'dx', '#')) else s
        if tstyle == 'lowercase':
            s = s.lower()
        style = tstyle
        if tstyle not in KEEP_TEMPLATE and nstyle in NAME_STYLES:
            style = nstyle
        key = re.sub(r'\W+', ' ', s.lower()).strip()
        if key in seen:
            continue
        seen.add(key)
        out.append((s, style))
    return out


def main():
    for name in ('everyday', 'invariance'):
        facts = load_facts(name)
        # key order of the input objects (key names only; the phrasing values are never looked at)
        with open(os.path.join(HERE, 'input', f'{name}_facts.jsonl')) as f:
            orders = [list(json.loads(l).keys()) for l in f]
        with open(os.path.join(HERE, f'{name}_judge3.jsonl'), 'w') as f:
            for fact, order in zip(facts, orders):
                ph = render(fact)
                assert len(ph) >= 12, (fact['fact_id'], len(ph))
                fact['phrasings'] = [p for p, _ in ph]
                fact['phrasing_styles'] = [s for _, s in ph]
                order = order + [k for k in ('phrasings', 'phrasing_styles') if k not in order]
                out = {k: fact[k] for k in order}
                f.write(json.dumps(out, ensure_ascii=False) + '\n')
        print(name, len(facts))


if __name__ == '__main__':
    main()
