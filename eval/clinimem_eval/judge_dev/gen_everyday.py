"""Generate hand-templated clinician phrasings for the everyday facts.
Usage: nice -n 19 python3 gen_everyday.py   (writes everyday_judge_dev.jsonl)"""
import sys, os, json
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resolve import load
from lex import pron, dates, LAB, COND, DCLASS, DRUG, VAX
from common import render, write

HERE = os.path.dirname(os.path.abspath(__file__))

VISIT_TYPE = {
    'outpatient': dict(T='outpatient', ab='OP', ab2='ambulatory', lay='office visits', lay2='clinic visits'),
    'emergency': dict(T='emergency', ab='ED', ab2='ER', lay='trips to the emergency room', lay2='emergency room visits'),
    'wellness': dict(T='wellness', ab='well', ab2='annual wellness', lay='check-ups', lay2='routine physicals'),
}

POOLS = {
    'last_visit_date': [
        ('possessive', 'When was {P} last encounter?'),
        ('terse', 'last visit date?'),
        ('filler', 'Can you tell me when {S} was last seen?'),
        ('possessive', "Date of the patient's most recent visit"),
        ('tense', 'When did {S} last come in?'),
        ('lowercase', 'when was pt last seen'),
        ('abbrev', 'last enc date?'),
        ('other', 'Most recent appointment - what date was it?'),
        ('typo', 'when was {P} last vist?'),
        ('display', 'What is the date of the most recent encounter on file?'),
        ('terse', 'latest encounter?'),
        ('lowercase', "what's the date of {P} latest visit"),
        ('filler', 'quick q: when did we last see {O}?'),
        ('tense', 'When had {S} most recently been seen, per the chart?'),
        ('abbrev', 'DOS of last encounter'),
        ('possessive', "pt's last visit - when?"),
        ('other', 'How recently has this patient had an encounter? Give the date.'),
    ],
    'visit_count_since_year': [
        ('possessive', 'How many visits has {S} had since {Y}?'),
        ('terse', '# encounters since {Y}'),
        ('display', 'Number of encounters from {Y} onward?'),
        ('other', 'How many times has the patient been seen since {Y}?'),
        ('lowercase', 'count of {P} visits {Y} to present'),
        ('filler', 'can you tell me how many encounters {S} has had since {Y}?'),
        ('terse', 'visits since {Y}?'),
        ('filler', 'quick q - how many appointments since {Y}?'),
        ('tense', 'How many times did {S} come in from the start of {Y} on?'),
        ('display', 'Total encounter count since January 1, {Y}'),
        ('typo', 'how many vists since {Y}'),
        ('abbrev', 'pt seen how many times since {Y}?'),
        ('possessive', 'From {Y} until now, how many encounters does {S} have?'),
        ('lowercase', 'encounters since jan {Y}, how many'),
        ('possessive', "How many of the patient's visits happened in {Y} or later?"),
        ('other', 'Since {Y}, how many encounters are recorded for {O}?'),
    ],
    'visit_count_in_year': [
        ('possessive', 'How many visits did {S} have in {Y}?'),
        ('terse', '# encounters {Y}'),
        ('display', 'Number of encounters during {Y}?'),
        ('other', 'How many times was the patient seen in {Y}?'),
        ('terse', '{Y} visit count?'),
        ('other', 'How many appointments did {S} have in calendar year {Y}?'),
        ('other', 'Between Jan 1 and Dec 31 {Y}, how many encounters?'),
        ('filler', 'can you count {P} encounters in {Y}?'),
        ('typo', 'how many encoutners in {Y}?'),
        ('tense', 'How often was {S} seen in {Y}?'),
        ('abbrev', 'visits in {yy}?'),
        ('lowercase', 'total visits for {Y}'),
        ('tense', 'How many times did {S} come in during {Y}?'),
        ('possessive', "Count of the patient's visits in {Y}"),
        ('filler', 'quick one: how many encounters does {S} have in {Y}?'),
        ('lowercase', 'pt encounters in {Y} - how many'),
    ],
    'visit_count_by_type': [
        ('display', 'How many {T} encounters did {S} have in {Y}?'),
        ('abbrev', '# {ab} visits {Y}'),
        ('abbrev', '{ab2} visits in {Y}?'),
        ('lay', 'How many {lay} did {S} have in {Y}?'),
        ('terse', '{T} encounters {Y}?'),
        ('display', 'Number of {T} visits during {Y}'),
        ('lowercase', 'count {P} {T} encounters for {Y}'),
        ('possessive', "In {Y}, how many of the patient's visits were {T} visits?"),
        ('filler', 'quick q - {lay2} in {Y}, how many?'),
        ('typo', 'how many {T} encoutners in {Y}'),
        ('other', '{Y}: how many {T} encounters are documented?'),
        ('tense', 'How many times did {S} have an {ab2} visit in {Y}?'),
        ('lay', 'in {Y}, how many {lay2} did {S} make?'),
        ('filler', 'Can you tell me how many {T} encounters {S} had in {Y}?'),
        ('possessive', '{Pc} {T} visit count for {Y}?'),
    ],
    'history_of': [
        ('yesno', 'Does {S} have a history of {disp}?'),
        ('abbrev', 'Any hx of {ab}?'),
        ('terse', '{ab} hx?'),
        ('lay', 'Has the patient ever had {lay}?'),
        ('display', 'Is there any {disp} in {P} history?'),
        ('yesno', 'Was {S} ever diagnosed with {disp}?'),
        ('abbrev', 'PMH include {ab2}?'),
        ('lay', 'Has {S} ever been told {S} had {lay2}?'),
        ('other', 'Any record of {disp} in the chart?'),
        ('typo', 'does {S} have a hsitory of {ab}?'),
        ('tense', 'Did {S} ever have {lay}?'),
        ('abbrev', 'h/o {ab}?'),
        ('lowercase', 'history of {disp}?'),
        ('filler', 'quick q, any past {ab2} for {O}?'),
        ('possessive', "Is {disp} part of the patient's past medical history?"),
        ('lowercase', 'pt ever have {lay2}'),
    ],
    'ever_had': [
        ('yesno', 'Has {S} ever had {disp}?'),
        ('abbrev', 'ever had {ab}?'),
        ('terse', '{ab}? ever?'),
        ('lay', 'Has the patient ever been diagnosed with {lay}?'),
        ('display', 'Is {disp} anywhere in {P} record?'),
        ('yesno', 'Did {S} ever get diagnosed with {disp}?'),
        ('abbrev', 'any prior dx of {ab2}?'),
        ('lay', 'Has {S} had {lay2} at any point?'),
        ('other', 'Any diagnosis of {disp} on file, past or present?'),
        ('typo', 'has {S} evr had {ab}?'),
        ('tense', 'Had {S} ever been treated for {lay}?'),
        ('abbrev', 'hx {ab}? y/n'),
        ('lowercase', 'ever diagnosed with {disp}?'),
        ('filler', 'can you check if {S} has ever had {lay2}?'),
        ('possessive', "Does the patient's problem history include {disp}?"),
        ('lowercase', 'any {ab2} ever'),
    ],
    'on_drug_class_now': [
        ('yesno', 'Is {S} currently on {one}?'),
        ('abbrev', 'on a {ab} now?'),
        ('lay', 'Is the patient taking {lay} at the moment?'),
        ('terse', 'current {ab}? y/n'),
        ('display', 'Does {S} have an active prescription for {one}?'),
        ('possessive', 'Any {pl} on {P} current med list?'),
        ('lowercase', 'is pt on {lay_pl} right now'),
        ('yesno', 'Currently prescribed {one}?'),
        ('class', 'Are any of {P} active meds {pl}?'),
        ('typo', 'is {S} currnetly taking {one}?'),
        ('filler', 'quick q: is {S} on any {pl} currently?'),
        ('abbrev', 'active {ab} in med list?'),
        ('tense', 'Is {S} taking {one} these days?'),
        ('lay', 'Does {S} take {lay_pl} now?'),
        ('possessive', "Is {one} among the patient's current medications?"),
        ('lowercase', 'on {pl} currently?'),
    ],
    'drug_since': [
        ('display', 'When was {S} first started on {disp}?'),
        ('brand', 'When did {S} first start {brand}?'),
        ('abbrev', '{ab} start date?'),
        ('lay', 'When was {P} {lay} first prescribed?'),
        ('terse', 'date {disp} first prescribed'),
        ('abbrev', 'first rx of {ab}?'),
        ('tense', 'When did the patient begin taking {disp}?'),
        ('brand', 'What date was {brand} initially ordered for {O}?'),
        ('lowercase', 'when did {S} first go on the {lay}'),
        ('typo', 'when was {disp} frist started?'),
        ('possessive', 'Original start date for {P} {disp}?'),
        ('filler', 'can you tell me when {ab} was first started for {O}?'),
        ('other', 'Since what date has {S} been getting {disp} prescriptions? (first order)'),
        ('lowercase', '{disp} - when was it first started'),
        ('tense', 'When had {S} first been put on {brand}?'),
        ('possessive', "Date of the patient's first {ab} prescription?"),
    ],
    'drug_stopped': [
        ('display', 'When was {disp} stopped?'),
        ('possessive', 'When was {P} {ab} discontinued?'),
        ('brand', 'Date {brand} was stopped?'),
        ('abbrev', 'd/c date for {ab}?'),
        ('tense', 'When did {S} come off {disp}?'),
        ('lay', 'When did the patient stop the {lay}?'),
        ('other', '{disp} - when was it discontinued?'),
        ('display', 'When was {disp} last prescribed before it was stopped?'),
        ('typo', 'when was {disp} stoped?'),
        ('lowercase', 'stop date for {P} {lay}?'),
        ('filler', 'quick q - when was {brand} discontinued for {O}?'),
        ('terse', '{ab} stopped when?'),
        ('brand', 'What is the date of the most recent {brand} prescription, which is now stopped?'),
        ('lowercase', 'when was the {ab} order ended'),
        ('possessive', "Date of the patient's last (now stopped) {disp} order?"),
        ('tense', 'When had {S} stopped taking {disp}?'),
    ],
    'smoking_status': [
        ('possessive', 'What is {P} smoking status?'),
        ('terse', 'tobacco use?'),
        ('abbrev', 'smoking hx?'),
        ('display', 'Tobacco smoking status?'),
        ('other', 'What does the chart say about {P} smoking?'),
        ('lay', 'Does {S} smoke cigarettes, used to, or never?'),
        ('other', 'Is {S} a current, former or never smoker?'),
        ('typo', 'smokign status?'),
        ('lowercase', 'pt tobacco status'),
        ('possessive', "What's the patient's most recent documented smoking status?"),
        ('filler', 'can you tell me whether {S} smokes?'),
        ('abbrev', 'tob status per NHIS?'),
        ('tense', 'Has {S} ever smoked - what is {P} status?'),
        ('lowercase', 'smoker status'),
        ('lay', 'Is this patient a smoker?'),
        ('filler', 'quick q re tobacco - smoking status?'),
    ],
    'allergies_list': [
        ('possessive', 'What allergies does {S} have?'),
        ('terse', 'allergies?'),
        ('possessive', 'List {P} allergies'),
        ('other', 'Any known allergies?'),
        ('lay', 'What is the patient allergic to?'),
        ('lowercase', 'allergy list pls'),
        ('display', 'Documented allergies and intolerances?'),
        ('other', 'Which allergies are on file for {O}?'),
        ('abbrev', 'NKA or does {S} have allergies?'),
        ('possessive', 'What are {P} allergies?'),
        ('typo', 'alergies?'),
        ('filler', 'can you tell me all of {P} allergies?'),
        ('lowercase', "what's {S} allergic to"),
        ('abbrev', 'allergy hx?'),
        ('tense', 'What has {S} been found to be allergic to?'),
        ('other', 'Allergy list for this patient'),
    ],
    'immunization_list': [
        ('possessive', 'Which vaccines has {S} received?'),
        ('terse', 'immunization history?'),
        ('possessive', 'List {P} immunizations'),
        ('lay', 'What shots has the patient had?'),
        ('terse', 'vaccines given?'),
        ('abbrev', 'vax hx'),
        ('display', 'What immunizations are on record for {O}?'),
        ('tense', 'Which vaccinations has {S} gotten over the years?'),
        ('abbrev', 'imms?'),
        ('typo', 'what vacines has {S} had?'),
        ('filler', 'can you list every vaccine in {P} chart?'),
        ('lowercase', 'vaccine list please'),
        ('possessive', "Which immunizations appear in the patient's record?"),
        ('lowercase', 'what vaccines did {S} get'),
        ('other', 'Immunizations administered - which ones?'),
        ('lay', 'What jabs has {S} had?'),
    ],
    'active_problem_list': [
        ('possessive', 'What are {P} active problems?'),
        ('terse', 'active problem list?'),
        ('abbrev', 'current dx?'),
        ('display', 'Which conditions are currently active for {O}?'),
        ('possessive', "What's on the patient's problem list right now?"),
        ('lay', 'What ongoing health problems does {S} have?'),
        ('abbrev', 'list active dx'),
        ('tense', 'What conditions does {S} currently have?'),
        ('lowercase', 'active conditions pls'),
        ('typo', 'actvie problems?'),
        ('other', 'Current problem list for the pt'),
        ('other', 'Which diagnoses are still active?'),
        ('filler', 'can you give me {P} active conditions?'),
        ('lowercase', 'what problems is {S} being followed for currently'),
        ('display', 'Active conditions on the problem list?'),
        ('possessive', '{Pc} current medical problems?'),
    ],
    'times_above_threshold': [
        ('display', 'How many times has {P} {disp} been above {T}?'),
        ('abbrev', '# of {ab} readings > {T}'),
        ('terse', 'count {ab} >{T}'),
        ('abbrev', 'How many {ab2} values over {T} {u}?'),
        ('lay', 'How often was {P} {lay} higher than {T}?'),
        ('display', 'Number of times {disp} exceeded {T} {u}'),
        ('other', 'In how many measurements was the {ab} greater than {T}?'),
        ('terse', '{ab} > {T} how many times'),
        ('possessive', "How many of the patient's {lay} results were over {T}?"),
        ('typo', 'how many tiems was {ab} above {T}?'),
        ('filler', 'can you count how many {ab2} results were above {T}?'),
        ('tense', 'How many times was {P} {disp} over {T}?'),
        ('lowercase', 'total {ab} values above {T} {u}'),
        ('lowercase', 'times {lay} > {T}?'),
        ('other', 'Count of {disp} results greater than {T} across the record'),
    ],
    'time_since_last_vax': [
        ('display', 'How long has it been since {P} last {disp}?'),
        ('lay', 'When did {S} last get a {lay}?'),
        ('terse', 'last {ab}?'),
        ('abbrev', 'date of most recent {ab}'),
        ('lay', 'How long ago was {P} last {lay}?'),
        ('terse', 'time since last {ab}'),
        ('possessive', "When was the patient's most recent {disp} given?"),
        ('abbrev', '{ab} last given when?'),
        ('typo', 'when was {P} lsat {lay}?'),
        ('lowercase', 'when did {S} have {P} last {ab} immunization'),
        ('lowercase', 'most recent {alt} date pls'),
        ('filler', 'quick q: how long since {S} got {P} last {ab}?'),
        ('other', 'Last {alt} - when?'),
        ('tense', 'When was {S} last vaccinated with {ab}?'),
        ('display', 'Date of last {disp}?'),
    ],
    'time_since_last_lab': [
        ('possessive', 'When was {P} {ab} last checked?'),
        ('display', 'How long since the last {disp}?'),
        ('terse', 'last {ab} date?'),
        ('lay', 'When was {P} {lay} last measured?'),
        ('abbrev', 'date of most recent {ab}'),
        ('lay', 'time since {P} last {lay} check'),
        ('display', 'When did the patient last have a {disp} recorded?'),
        ('other', 'How long ago was {disp} last done?'),
        ('typo', 'wehn was the last {ab}?'),
        ('lowercase', 'most recent {ab2} - when'),
        ('filler', 'can you tell me when {S} last had {P} {lay} taken?'),
        ('tense', 'When had {ab} last been obtained?'),
        ('terse', 'time since last {ab2}?'),
        ('possessive', "Date of the patient's latest {disp}"),
        ('lowercase', 'last {lay} check date'),
    ],
    'value_at_visit': [
        ('display', 'What was {P} {disp} at the {mon_y} visit?'),
        ('abbrev', '{ab} at the {mon_num} visit?'),
        ('abbrev', '{ab} on {d_iso}?'),
        ('lay', 'What was {P} {lay} at {P} {mon_y} appointment?'),
        ('display', '{disp} recorded during the {mon3_y} encounter?'),
        ('terse', '{ab} {ym}?'),
        ('tense', 'What was the {ab2} when {S} was seen in {mon_y}?'),
        ('other', 'Value of {disp} at the visit on {d_us}'),
        ('typo', 'waht was the {ab} at the {mon_y} visit?'),
        ('filler', 'can you pull the {ab2} from {P} {mon3_y} visit?'),
        ('lay', 'In {mon_y}, what was {P} {lay}?'),
        ('lowercase', '{ab} at {d_long} visit'),
        ('possessive', "The patient's {disp} at the {d_longc} visit?"),
        ('lowercase', '{lay} {mon3_y} visit'),
        ('other', 'What {disp} was documented at the visit in {mon_y}?'),
    ],
}


def lab_ctx(name):
    L = LAB[name.lower()]
    return dict(disp=L['disp'], ab=L['ab'][0], ab2=L['ab'][-1], lay=L['lay'][0], lay2=L['lay'][-1], u=L['u'])


def build(r):
    op = r['op']
    c = dict(pron(r['sex']))
    concept = r['concept']
    pool_key = op
    if op == 'last_visit_date':
        pass
    elif op in ('visit_count_since_year', 'visit_count_in_year'):
        c['Y'] = concept.split()[-1]
        c['yy'] = "'" + c['Y'][2:]
    elif op == 'visit_count_by_type':
        t = concept.split()[0]
        c.update(VISIT_TYPE[t]); c['Y'] = concept.split()[-1]
    elif op in ('history_of', 'ever_had'):
        C = COND[concept.lower()]
        c.update(disp=C['disp'], ab=C['ab'][0], ab2=C['ab'][-1], lay=C['lay'][0], lay2=C['lay'][-1])
    elif op == 'on_drug_class_now':
        c.update(DCLASS[concept.lower()])
    elif op in ('drug_since', 'drug_stopped'):
        c.update(DRUG[concept.lower()])
    elif op in ('smoking_status', 'allergies_list', 'immunization_list', 'active_problem_list'):
        pass
    elif op == 'times_above_threshold':
        name, t = concept.rsplit(' > ', 1)
        c.update(lab_ctx(name)); c['T'] = t
    elif op == 'time_since_last':
        if concept.lower() in VAX:
            c.update(VAX[concept.lower()]); pool_key = 'time_since_last_vax'
        else:
            c.update(lab_ctx(concept)); pool_key = 'time_since_last_lab'
    elif op == 'value_at_visit':
        name, ym = concept.rsplit(' ', 1)
        c.update(lab_ctx(name))
        c.update(dates(r['g'][0]['date']))
    else:
        raise KeyError(op)
    c['Pc'] = c['P'].capitalize()
    return render(POOLS[pool_key], c, r['fact_id'])


def main():
    rows = load(os.path.join(HERE, 'input/everyday_facts.jsonl'))
    phr = [build(r) for r in rows]
    write(rows, phr, os.path.join(HERE, 'everyday_judge_dev.jsonl'))
    print('wrote', len(rows))


if __name__ == '__main__':
    main()
