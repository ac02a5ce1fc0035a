"""Generate hand-templated clinician phrasings for the invariance facts.
Usage: nice -n 19 python3 gen_invariance.py   (writes invariance_judge_dev.jsonl)"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resolve import load, bundle, summ
from lex import pron, dates, LAB, COND, DRUG, VAX
from common import render, write
from gen_everyday import POOLS as EV_POOLS, lab_ctx

HERE = os.path.dirname(os.path.abspath(__file__))

P = {}
P['value_on_date'] = [
    ('display', 'What was {P} {disp} on {d_iso}?'),
    ('abbrev', '{ab} on {d_us}?'),
    ('terse', '{ab} {d_iso}'),
    ('lay', 'What was {P} {lay} on {d_long}?'),
    ('possessive', "The patient's {disp} on {d_eu}?"),
    ('tense', 'What did {P} {ab2} measure on {d_longc}?'),
    ('lowercase', '{ab} value {d_abbr}'),
    ('filler', 'can you tell me the {ab2} from {d_us2}?'),
    ('typo', 'waht was the {ab} on {d_us}?'),
    ('other', '{disp} result dated {d_iso}?'),
    ('lay', '{lay} reading on {d_long}?'),
    ('abbrev', 'what was {ab} on {d_eu}'),
    ('lowercase', '{lay} on {d_us}'),
    ('tense', 'What {disp} was recorded for {O} on {d_longc}?'),
    ('other', 'Give me the {ab} measured {d_abbr}'),
]
P['in_month'] = [
    ('display', 'What was {P} {disp} in {mon_y}?'),
    ('abbrev', '{ab} in {mon3_y}?'),
    ('terse', '{ab} {ym}'),
    ('lay', 'What was {P} {lay} in {mon_y}?'),
    ('possessive', "The patient's {disp} from {mon_y}?"),
    ('tense', 'What did {P} {ab2} come back as in {mon_y}?'),
    ('lowercase', '{ab} {mon_num}'),
    ('filler', 'can you pull the {ab2} from {mon3_y}?'),
    ('typo', 'waht was {P} {ab} in {mon_y}?'),
    ('other', '{disp} result for {mon_y}?'),
    ('lay', '{lay} back in {mon_y}?'),
    ('abbrev', '{ab} value {mon_num}?'),
    ('lowercase', '{lay} {mon3_y}'),
    ('tense', 'What {disp} was measured during {mon_y}?'),
    ('other', 'In {mon_y}, what {ab} was recorded?'),
]
P['in_year'] = [
    ('display', 'What was {P} {disp} in {yr}?'),
    ('abbrev', '{ab} in {yr}?'),
    ('terse', '{ab} {yr}'),
    ('lay', 'What was {P} {lay} in {yr}?'),
    ('possessive', "The patient's {disp} result from {yr}?"),
    ('tense', 'What did {P} {ab2} come back as in {yr}?'),
    ('lowercase', '{ab} during {yr}'),
    ('filler', 'can you pull the {ab2} from {yr}?'),
    ('typo', 'waht was {P} {ab} in {yr}?'),
    ('other', '{disp} value for {yr}?'),
    ('lay', '{lay} back in {yr}?'),
    ('abbrev', '{ab} value {yy}?'),
    ('lowercase', '{lay} in {yr}'),
    ('tense', 'What {disp} was measured for {O} during {yr}?'),
    ('other', 'In {yr}, what {ab} was recorded?'),
]
P['last_value'] = [
    ('display', 'What is {P} most recent {disp}?'),
    ('abbrev', 'last {ab}?'),
    ('terse', 'latest {ab}'),
    ('lay', 'What was {P} {lay} last time it was checked?'),
    ('possessive', "The patient's latest {disp} value?"),
    ('tense', 'What did {P} last {ab2} come back as?'),
    ('lowercase', 'most recent {ab}'),
    ('filler', 'can you tell me {P} last {ab2}?'),
    ('typo', 'waht was {P} lsat {ab}?'),
    ('other', 'Most recent {disp} result?'),
    ('lay', 'latest {lay}?'),
    ('abbrev', 'current {ab} value?'),
    ('lowercase', 'last {lay} reading'),
    ('tense', 'What was the last {disp} recorded for {O}?'),
    ('other', '{ab} - newest value on file?'),
]
P['first_value'] = [
    ('display', 'What was {P} first recorded {disp}?'),
    ('abbrev', 'first {ab}?'),
    ('terse', 'earliest {ab}'),
    ('lay', 'What was {P} {lay} the first time it was checked?'),
    ('possessive', "The patient's earliest {disp} value?"),
    ('tense', 'What did {P} first {ab2} come back as?'),
    ('lowercase', 'initial {ab}'),
    ('filler', 'can you tell me {P} very first {ab2}?'),
    ('typo', 'waht was {P} frist {ab}?'),
    ('other', 'Earliest {disp} result on file?'),
    ('lay', 'first {lay} on record?'),
    ('abbrev', 'baseline {ab} (first one)?'),
    ('lowercase', 'first ever {lay} reading'),
    ('tense', 'What was the first {disp} ever recorded for {O}?'),
    ('other', '{ab} - oldest value in the chart?'),
]
P['count_obs'] = [
    ('display', 'How many {disp} results does {S} have?'),
    ('abbrev', '# of {ab} values?'),
    ('terse', '{ab} count'),
    ('lay', 'How many times has {P} {lay} been measured?'),
    ('possessive', "How many {disp} measurements are in the patient's record?"),
    ('tense', 'How many times was {ab2} checked for {O}?'),
    ('lowercase', 'number of {ab} results'),
    ('filler', 'can you count how many {ab2} values are on file?'),
    ('typo', 'how mnay {ab} results are there?'),
    ('other', 'Total number of {disp} observations?'),
    ('lay', 'how often has {S} had {P} {lay} checked?'),
    ('abbrev', 'how many {ab} on file'),
    ('lowercase', 'total {lay} measurements'),
    ('tense', 'How many {disp} values have been recorded over time?'),
    ('other', 'Count the {ab} readings in the chart'),
]
P['trend_all'] = [
    ('display', 'How has {P} {disp} trended over time?'),
    ('abbrev', '{ab} trend?'),
    ('terse', '{ab} trend overall'),
    ('lay', 'Is {P} {lay} going up, down or staying the same overall?'),
    ('possessive', "What is the overall direction of the patient's {disp}?"),
    ('tense', 'How has {P} {ab2} changed across all of {P} results?'),
    ('lowercase', '{ab} trending up or down over time'),
    ('filler', 'can you tell me whether {P} {ab2} is rising, falling or stable overall?'),
    ('typo', 'how is {P} {ab} trendign over time?'),
    ('other', 'Looking at every {disp} value, is it increasing, decreasing or stable?'),
    ('lay', 'overall, which way is {P} {lay} heading?'),
    ('abbrev', '{ab} over the whole record: up, down or flat?'),
    ('lowercase', 'long-term {lay} trend'),
    ('tense', 'Over the years, has {P} {disp} gone up, gone down or held steady?'),
    ('other', 'Trajectory of {ab} across all measurements?'),
]
P['trend_last'] = [
    ('display', 'What is the trend in {P} last three {disp} values?'),
    ('abbrev', 'last 3 {ab}: up, down or flat?'),
    ('terse', '{ab} trend last 3'),
    ('lay', 'Over the three most recent checks, is {P} {lay} going up, down or steady?'),
    ('possessive', "How are the patient's three latest {disp} results trending?"),
    ('tense', 'How has {P} {ab2} changed over the last three measurements?'),
    ('lowercase', 'recent {ab} trend (last three)'),
    ('filler', 'can you tell me if {P} last 3 {ab2} values are rising, falling or stable?'),
    ('typo', 'how are {P} last 3 {ab} trendign?'),
    ('other', 'Across the three most recent {disp} results, increasing, decreasing or stable?'),
    ('lay', 'which way is {P} {lay} heading over the last three readings?'),
    ('abbrev', 'direction of the 3 most recent {ab} values?'),
    ('lowercase', 'last three {lay} results - trend?'),
    ('tense', 'Over {P} past three {disp} checks, has it gone up, down or held steady?'),
    ('other', 'Recent {ab} trajectory, using the last 3 values?'),
]
P['last_imm_date'] = [
    ('display', 'When was {P} last {disp}?'),
    ('abbrev', 'last {ab}?'),
    ('terse', '{ab} date (most recent)'),
    ('lay', 'When did {S} last get a {lay}?'),
    ('possessive', "Date of the patient's most recent {disp}?"),
    ('tense', 'When was {S} last given {ab}?'),
    ('lowercase', 'most recent {ab} date'),
    ('filler', 'can you tell me when {S} last had a {lay}?'),
    ('typo', 'when was {P} lsat {ab}?'),
    ('other', 'Latest {alt} - what date?'),
    ('lay', 'last {lay} given when?'),
    ('abbrev', '{ab} last administered?'),
    ('lowercase', 'when did {S} get {P} last {alt}'),
    ('tense', 'When had {S} most recently been vaccinated with {ab}?'),
    ('other', 'Most recent {disp} administration date?'),
]
P['count_imm'] = [
    ('display', 'How many {disp} doses has {S} received?'),
    ('abbrev', '# of {ab} doses?'),
    ('terse', '{ab} count'),
    ('lay', 'How many {lay}s has {S} had?'),
    ('possessive', "How many {disp} doses are in the patient's record?"),
    ('tense', 'How many times was {S} given {ab}?'),
    ('lowercase', 'number of {lay}s on file'),
    ('filler', 'can you count {P} {ab} doses?'),
    ('typo', 'how mnay {lay}s has {S} gotten?'),
    ('other', 'Total {alt} administrations?'),
    ('lay', 'how many times has {S} had a {lay}?'),
    ('abbrev', 'how many {ab} given'),
    ('lowercase', 'total {alt}s documented'),
    ('tense', 'How many {disp} doses had {S} received in all?'),
    ('other', 'Count of {ab} immunizations'),
]
P['list_meds_ever'] = [
    ('possessive', 'What medications has {S} ever been prescribed?'),
    ('terse', 'med history?'),
    ('abbrev', 'all meds ever (incl. stopped)?'),
    ('display', 'List every medication request in {P} record'),
    ('lay', 'What drugs has the patient been on over the years?'),
    ('tense', 'Which medicines has {S} taken at any point, past or present?'),
    ('lowercase', 'full med list including discontinued'),
    ('filler', 'can you list all the meds {S} has ever had?'),
    ('typo', 'all medicatons ever prescribed?'),
    ('other', 'Complete prescription history, please'),
    ('abbrev', 'rx hx - every med'),
    ('lowercase', 'every drug {S} has been prescribed'),
    ('possessive', "What is the patient's lifetime medication list?"),
    ('tense', 'What has {S} been prescribed, including meds that were stopped?'),
    ('other', 'Which medications appear anywhere in the chart?'),
]
P['current_meds'] = [
    ('possessive', 'What medications is {S} currently on?'),
    ('terse', 'current meds?'),
    ('abbrev', 'active med list?'),
    ('display', 'Which medication requests are active for {O}?'),
    ('lay', 'What drugs is the patient taking right now?'),
    ('tense', 'What is {S} taking these days?'),
    ('lowercase', 'active meds pls'),
    ('filler', 'can you give me {P} current medication list?'),
    ('typo', 'currnet medicatons?'),
    ('other', 'Present medication list'),
    ('abbrev', 'meds now?'),
    ('lowercase', 'what is {S} on right now'),
    ('possessive', "What's on the patient's active med list?"),
    ('tense', 'Which prescriptions are still active?'),
    ('other', 'Current prescriptions for this pt?'),
]
P['list_conditions'] = [
    ('possessive', 'What conditions has {S} ever been diagnosed with?'),
    ('terse', 'all dx ever?'),
    ('abbrev', 'PMH - full list incl. resolved?'),
    ('display', 'List every condition in {P} record, active or resolved'),
    ('lay', 'What health problems has the patient had over the years?'),
    ('tense', 'Which diagnoses has {S} had at any point?'),
    ('lowercase', 'full problem history including resolved'),
    ('filler', 'can you list all the conditions {S} has ever had?'),
    ('typo', 'all condtions ever diagnosed?'),
    ('other', 'Complete diagnosis history, please'),
    ('abbrev', 'dx hx - everything'),
    ('lowercase', 'every diagnosis {S} has had'),
    ('possessive', "What is the patient's lifetime problem list, past and present?"),
    ('tense', 'What has {S} been diagnosed with, including things that resolved?'),
    ('other', 'Which conditions appear anywhere in the chart?'),
]
P['on_drug'] = [
    ('yesno', 'Is {S} currently on {disp}?'),
    ('abbrev', 'on {ab} now?'),
    ('terse', '{ab} active? y/n'),
    ('lay', 'Is the patient still taking the {lay}?'),
    ('brand', 'Is {S} taking {brand} at the moment?'),
    ('display', 'Is {disp} an active medication for {O}?'),
    ('possessive', 'Is {ab} on {P} current med list?'),
    ('lowercase', 'is pt on {ab} right now'),
    ('typo', 'is {S} currnetly taking {ab}?'),
    ('filler', 'quick q: does {S} still have an active {brand} prescription?'),
    ('tense', 'Does {S} take {disp} these days?'),
    ('yesno', 'Currently prescribed {ab}?'),
    ('lowercase', '{brand} still active?'),
    ('possessive', "Is {disp} among the patient's active prescriptions?"),
    ('other', '{ab}: current or discontinued?'),
]
P['first_rx_date'] = [
    ('display', 'When was {disp} first prescribed?'),
    ('abbrev', 'first {ab} rx date?'),
    ('terse', '{ab} start date'),
    ('lay', 'When was {P} {lay} first ordered?'),
    ('brand', 'When did {S} first get {brand}?'),
    ('possessive', "Date of the patient's first {disp} prescription?"),
    ('tense', 'When was {S} first started on {ab}?'),
    ('lowercase', 'when was {ab} first ordered'),
    ('typo', 'when was {disp} frist prescribed?'),
    ('filler', 'can you tell me when {brand} was first prescribed for {O}?'),
    ('other', 'Earliest {disp} order date?'),
    ('brand', '{brand} - first rx when?'),
    ('lowercase', 'first prescription date for {P} {lay}'),
    ('tense', 'When did {S} begin {disp}?'),
    ('abbrev', 'initial {ab} order date?'),
]
P['onset_date'] = [
    ('display', 'When was {P} {disp} diagnosed?'),
    ('abbrev', '{ab} onset date?'),
    ('terse', '{ab} dx date'),
    ('lay', 'When did {S} get {lay}?'),
    ('possessive', "Date of onset of the patient's {disp}?"),
    ('tense', 'When was {S} diagnosed with {ab2}?'),
    ('lowercase', 'when did {P} {ab} start'),
    ('filler', 'can you tell me when {S} was diagnosed with {lay2}?'),
    ('typo', 'when was {S} diagnosd with {ab}?'),
    ('other', 'Onset date for {disp}?'),
    ('abbrev', 'date of {ab} dx?'),
    ('lowercase', '{disp} onset'),
    ('lay', 'When did {P} {lay_nc} begin?'),
    ('tense', 'When had the {disp} first been recorded?'),
    ('other', '{ab2} - when did it start?'),
]
P['cond_active'] = [
    ('yesno', 'Is {P} {disp} still active?'),
    ('abbrev', 'active {ab}?'),
    ('terse', '{ab} current? y/n'),
    ('lay', 'Does {S} currently have {lay}?'),
    ('possessive', "Is {disp} on the patient's active problem list?"),
    ('yesno', 'Is the {ab2} ongoing or resolved?'),
    ('lowercase', 'is {ab} still active'),
    ('filler', 'quick q - does {S} still have {lay2}?'),
    ('typo', 'is {P} {ab} still actvie?'),
    ('other', '{disp}: active or resolved?'),
    ('tense', 'Is {S} still dealing with {lay}?'),
    ('abbrev', '{ab} resolved?'),
    ('lowercase', 'current {ab2}? yes or no'),
    ('display', 'Is {disp} a current, active condition for {O}?'),
    ('tense', 'Has {P} {ab2} cleared up, or is it still active?'),
]
P['list_allergies'] = EV_POOLS['allergies_list']
P['list_vaccines'] = EV_POOLS['immunization_list']

# --- events: cond context (ev) -- at the visit / before / after
P['at_visit_cond'] = [
    ('display', 'What was {P} {disp} at the visit where {ev} was diagnosed?'),
    ('abbrev', '{ab} at the {ev_ab} dx visit?'),
    ('terse', '{ab} @ {ev_ab} diagnosis encounter'),
    ('lay', 'When {S} was diagnosed with {ev_lay}, what was {P} {lay}?'),
    ('possessive', "The patient's {disp} at the encounter where {ev} was first noted?"),
    ('tense', 'What did {P} {ab2} read at the visit when {ev_ab2} was diagnosed?'),
    ('lowercase', '{ab} at visit {ev_ab} was dx'),
    ('filler', 'can you pull the {ab2} from the visit where {S} got the {ev_ab2} diagnosis?'),
    ('typo', 'waht was {P} {ab} at the visit {ev_ab} was diagnosd?'),
    ('other', '{disp} recorded at the same encounter as the {ev} diagnosis?'),
    ('lay', '{lay} at the visit where {ev_lay} was found?'),
    ('abbrev', '{ab} on the day of {ev_ab} dx ({e_iso})?'),
    ('lowercase', '{lay} at the {e_mon_y} visit where {ev_ab} was diagnosed'),
    ('tense', 'At the {e_long} visit where {S} was diagnosed with {ev}, what was {P} {ab}?'),
    ('other', 'What {ab} was measured when {ev_ab2} was diagnosed?'),
]
P['before_event'] = [
    ('display', 'What was {P} last {disp} before {S} was diagnosed with {ev}?'),
    ('abbrev', 'last {ab} before {ev_ab} dx?'),
    ('terse', '{ab} prior to {ev_ab}'),
    ('lay', 'Before {S} got {ev_lay}, what was {P} most recent {lay}?'),
    ('possessive', "The patient's most recent {disp} prior to the {ev} diagnosis?"),
    ('tense', 'What had {P} {ab2} been just before {ev_ab2} was diagnosed?'),
    ('lowercase', 'last {ab} before {ev_ab} diagnosis'),
    ('filler', 'can you tell me the {ab2} right before the {ev_ab2} diagnosis?'),
    ('typo', 'waht was the lsat {ab} befroe {ev_ab} was diagnosed?'),
    ('other', 'Most recent pre-{ev_ab} {disp}?'),
    ('lay', '{lay} leading up to {ev_lay}?'),
    ('abbrev', 'last {ab} before {e_iso} ({ev_ab} dx)?'),
    ('lowercase', '{lay} before {S} was diagnosed with {ev_ab2} in {e_mon_y}'),
    ('tense', 'Before {P} {ev} diagnosis on {e_long}, what was the last {ab}?'),
    ('other', 'Final {ab} value recorded before {ev_ab2} was diagnosed?'),
]
P['after_event'] = [
    ('display', 'What was {P} first {disp} after {S} was diagnosed with {ev}?'),
    ('abbrev', 'first {ab} after {ev_ab} dx?'),
    ('terse', '{ab} post {ev_ab}'),
    ('lay', 'After {S} had {ev_lay}, what was {P} next {lay}?'),
    ('possessive', "The patient's first {disp} following the {ev} diagnosis?"),
    ('tense', 'What did {P} {ab2} come back as the first time after {ev_ab2} was diagnosed?'),
    ('lowercase', 'first {ab} after {ev_ab} diagnosis'),
    ('filler', 'can you tell me the next {ab2} after the {ev_ab2} diagnosis?'),
    ('typo', 'waht was the frist {ab} afetr {ev_ab} was diagnosed?'),
    ('other', 'Earliest post-{ev_ab} {disp}?'),
    ('lay', 'next {lay} after {ev_lay}?'),
    ('abbrev', 'first {ab} after {e_iso} ({ev_ab} dx)?'),
    ('lowercase', '{lay} after {S} was diagnosed with {ev_ab2} in {e_mon_y}'),
    ('tense', 'After {P} {ev} diagnosis on {e_long}, what was the first {ab}?'),
    ('other', 'First {ab} value recorded once {ev_ab2} had been diagnosed?'),
]
# --- events: med context
P['at_visit_med'] = [
    ('display', 'What was {P} {disp} at the visit where {med} was first prescribed?'),
    ('abbrev', '{ab} at the visit {med_ab} was started?'),
    ('terse', '{ab} @ {med_ab} start encounter'),
    ('brand', 'What was {P} {lay} at the visit where {S} was put on {med_brand}?'),
    ('possessive', "The patient's {disp} at the encounter where {med} was ordered?"),
    ('tense', 'What did {P} {ab2} read at the visit when {med_ab} was first ordered?'),
    ('lowercase', '{ab} at visit {med_ab} was started'),
    ('filler', 'can you pull the {ab2} from the visit where {S} got {P} first {med_lay} prescription?'),
    ('typo', 'waht was {P} {ab} at the visit {med_ab} was prescibed?'),
    ('other', '{disp} recorded at the same encounter as the first {med} order?'),
    ('lay', '{lay} at the visit where the {med_lay} was started?'),
    ('abbrev', '{ab} on the day {med_ab} was started ({e_iso})?'),
    ('lowercase', '{lay} at the {e_mon_y} visit where {med_ab} was started'),
    ('tense', 'At the {e_long} visit where {S} was started on {med}, what was {P} {ab}?'),
    ('other', 'What {ab} was measured when {med_brand} was first ordered?'),
]
P['before_event_med'] = [
    ('display', 'What was {P} last {disp} before {S} was started on {med}?'),
    ('abbrev', 'last {ab} before {med_ab} was started?'),
    ('terse', '{ab} prior to first {med_ab}'),
    ('brand', 'Before {S} was first prescribed {med_brand}, what was {P} most recent {lay}?'),
    ('possessive', "The patient's most recent {disp} prior to the first {med} prescription?"),
    ('tense', 'What had {P} {ab2} been just before {med_ab} was first ordered?'),
    ('lowercase', 'last {ab} before first {med_ab} rx'),
    ('filler', 'can you tell me the {ab2} right before {S} started the {med_lay}?'),
    ('typo', 'waht was the lsat {ab} befroe {med_ab} was started?'),
    ('other', 'Most recent {disp} before the first {med_ab} order?'),
    ('lay', '{lay} just before the {med_lay} was first prescribed?'),
    ('abbrev', 'last {ab} before {e_iso} ({med_ab} start)?'),
    ('lowercase', '{lay} before {S} first got {med_ab} in {e_mon_y}'),
    ('tense', 'Before {med} was first prescribed on {e_long}, what was the last {ab}?'),
    ('other', 'Final {ab} value recorded before {med_brand} was started?'),
]
P['after_event_med'] = [
    ('display', 'What was {P} first {disp} after {S} was started on {med}?'),
    ('abbrev', 'first {ab} after {med_ab} was started?'),
    ('terse', '{ab} post first {med_ab}'),
    ('brand', 'After {S} was first prescribed {med_brand}, what was {P} next {lay}?'),
    ('possessive', "The patient's first {disp} following the first {med} prescription?"),
    ('tense', 'What did {P} {ab2} come back as the first time after {med_ab} was started?'),
    ('lowercase', 'first {ab} after first {med_ab} rx'),
    ('filler', 'can you tell me the next {ab2} after {S} started the {med_lay}?'),
    ('typo', 'waht was the frist {ab} afetr {med_ab} was started?'),
    ('other', 'Earliest {disp} after the first {med_ab} order?'),
    ('lay', 'next {lay} after the {med_lay} was first prescribed?'),
    ('abbrev', 'first {ab} after {e_iso} ({med_ab} start)?'),
    ('lowercase', '{lay} after {S} first got {med_ab} in {e_mon_y}'),
    ('tense', 'After {med} was first prescribed on {e_long}, what was the first {ab}?'),
    ('other', 'First {ab} value recorded once {med_brand} had been started?'),
]
# --- abstention: questions that presuppose something the record does not hold
P['abstain_drug'] = [
    ('display', 'When was {S} started on {disp}?'),
    ('abbrev', '{ab} start date?'),
    ('brand', 'When was {brand} last prescribed for {O}?'),
    ('lay', 'What date did {S} begin the {lay}?'),
    ('terse', '{ab} dose?'),
    ('possessive', "What dose of {ab} is the patient's prescription?"),
    ('tense', 'When did {S} first get {brand}?'),
    ('lowercase', 'when was {ab} prescribed'),
    ('filler', 'can you tell me when {P} {disp} was ordered?'),
    ('typo', 'when was {ab} frist prescribed?'),
    ('other', 'Date of the {disp} prescription?'),
    ('brand', '{brand} - when was it started?'),
    ('lowercase', '{lay} start date'),
    ('tense', 'When had {S} been put on {ab}?'),
    ('possessive', 'What are the details of {P} {brand} order?'),
]
P['abstain_vaccine'] = [
    ('display', 'When did {S} receive the {disp}?'),
    ('abbrev', '{ab} date?'),
    ('lay', 'When did {S} get {P} {lay}?'),
    ('terse', '{ab} given when'),
    ('possessive', "Date of the patient's {disp}?"),
    ('tense', 'When was {S} vaccinated with {ab}?'),
    ('lowercase', 'when was the {ab} given'),
    ('filler', 'can you tell me when {S} had the {alt}?'),
    ('typo', 'wehn did {S} get {ab}?'),
    ('other', '{alt} - date administered?'),
    ('lay', 'what day was {P} {lay}?'),
    ('lowercase', '{lay} date'),
    ('tense', 'When had {S} gotten {P} {alt}?'),
    ('possessive', 'When was {P} {ab} dose given?'),
    ('other', 'Administration date of {disp}?'),
]
P['abstain_lab'] = [
    ('display', 'What was {P} {disp} result?'),
    ('abbrev', 'last {ab}?'),
    ('terse', '{ab} value'),
    ('lay', 'What did {P} {lay} show?'),
    ('possessive', "The patient's most recent {disp}?"),
    ('tense', 'What did {P} {ab2} come back as?'),
    ('lowercase', '{ab} result'),
    ('filler', 'can you tell me {P} latest {ab2}?'),
    ('typo', 'waht was {P} {ab}?'),
    ('other', '{disp} value on file?'),
    ('lay', 'latest {lay} result?'),
    ('abbrev', 'most recent {ab} level?'),
    ('lowercase', '{lay} - what was it'),
    ('tense', 'What was {P} {disp} when it was last checked?'),
    ('other', 'Give me the {ab} result'),
]
P['abstain_condition'] = [
    ('display', 'When was {S} diagnosed with {disp}?'),
    ('abbrev', '{ab} onset date?'),
    ('terse', '{ab} dx date'),
    ('lay', 'When did {P} {lay_nc} start?'),
    ('possessive', "Date the patient's {disp} was diagnosed?"),
    ('tense', 'When was {ab2} first diagnosed for {O}?'),
    ('lowercase', 'when did {P} {ab} begin'),
    ('filler', 'can you tell me when {P} {ab2} was diagnosed?'),
    ('typo', 'when was {S} diagnosd with {ab}?'),
    ('other', 'Onset of {disp}?'),
    ('abbrev', 'date of {ab} dx?'),
    ('lowercase', '{disp} onset'),
    ('lay', 'When was {P} {lay_nc} first noted?'),
    ('tense', 'When had {P} {disp} first been recorded?'),
    ('other', '{ab2} - diagnosed when?'),
]


def strip_article(s):
    for a in ('a ', 'an '):
        if s.startswith(a):
            return s[len(a):]
    return s


def cond_ctx(name):
    C = COND[name.lower()]
    lay = C['lay'][0]
    return dict(disp=C['disp'], ab=C['ab'][0], ab2=C['ab'][-1], lay=lay, lay2=C['lay'][-1], lay_nc=strip_article(lay))


def drug_ctx(name):
    D = DRUG[name.lower()]
    return D


def build(r):
    op = r['op']
    c = dict(pron(r['sex']))
    cn = r['concept']
    if op in ('value_on_date', 'in_month', 'in_year', 'last_value', 'first_value', 'count_obs', 'trend_all',
              'trend_last', 'at_visit_cond', 'at_visit_med', 'before_event', 'before_event_med', 'after_event',
              'after_event_med', 'abstain_lab'):
        c.update(lab_ctx(cn))
        if r['g']:
            c.update(dates(r['g'][0]['date']))
    if op in ('last_imm_date', 'count_imm', 'abstain_vaccine'):
        c.update(VAX[cn.lower()])
    if op in ('on_drug', 'first_rx_date', 'abstain_drug'):
        c.update(drug_ctx(cn))
    if op in ('onset_date', 'cond_active', 'abstain_condition'):
        c.update(cond_ctx(cn))
    if op in ('at_visit_cond', 'before_event', 'after_event'):
        ev = r['c'][0]
        C = COND[ev['name'].lower()]
        c.update(ev=C['disp'], ev_ab=C['ab'][0], ev_ab2=C['ab'][-1], ev_lay=C['lay'][0])
        ed = dates(ev['date'])
        c.update(e_iso=ed['d_iso'], e_long=ed['d_long'], e_mon_y=ed['mon_y'])
    if op in ('at_visit_med', 'before_event_med', 'after_event_med'):
        ev = r['c'][0]
        D = DRUG[ev['name'].lower()]
        c.update(med=D['disp'], med_ab=D['ab'], med_lay=D['lay'], med_brand=D['brand'])
        g_date = r['g'][0]['date']
        if not (op == 'at_visit_med' and ev['date'] != g_date):
            ed = dates(ev['date'])
            c.update(e_iso=ed['d_iso'], e_long=ed['d_long'], e_mon_y=ed['mon_y'])
    c['Pc'] = c['P'].capitalize()
    return render(P[op], c, r['fact_id'])


def main():
    rows = load(os.path.join(HERE, 'input/invariance_facts.jsonl'))
    phr = [build(r) for r in rows]
    write(rows, phr, os.path.join(HERE, 'invariance_judge_dev.jsonl'))
    print('wrote', len(rows))


if __name__ == '__main__':
    main()
