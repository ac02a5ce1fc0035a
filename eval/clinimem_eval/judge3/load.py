"""Shared loaders for judge3: read facts WITHOUT the phrasing fields, and index bundles."""
import json, glob, os
BUNDLES = '/work/shared/data/synthea-r4/'
HERE = os.path.dirname(os.path.abspath(__file__))

def load_facts(name):
    rows = []
    with open(os.path.join(HERE, 'input', f'{name}_facts.jsonl')) as f:
        for line in f:
            r = json.loads(line)
            r.pop('phrasings', None); r.pop('phrasing_styles', None)
            rows.append(r)
    return rows

_cache = {}
def _load_all():
    # bundle file names do not carry the fact patient_id; match on the Patient resource id
    for p in sorted(glob.glob(BUNDLES + '*.json')):
        b = json.load(open(p))
        idx = {}
        pid = None
        for e in b['entry']:
            r = e['resource']; idx[f"{r['resourceType']}/{r['id']}"] = r
            if r['resourceType'] == 'Patient': pid = r['id']
        _cache[pid] = idx

def bundle(pid):
    if not _cache: _load_all()
    return _cache[pid]

def patient(pid):
    for k, r in bundle(pid).items():
        if k.startswith('Patient/'): return r

def rdate(r):
    t = r['resourceType']
    if t == 'Observation': return r.get('effectiveDateTime', '')[:10]
    if t == 'Condition': return r.get('onsetDateTime', '')[:10]
    if t == 'MedicationRequest': return r.get('authoredOn', '')[:10]
    if t == 'Immunization': return r.get('occurrenceDateTime', '')[:10]
    if t == 'Encounter': return r['period']['start'][:10]
    if t == 'AllergyIntolerance': return r.get('recordedDate', '')[:10]
    return ''

def rname(r):
    for k in ('code', 'medicationCodeableConcept', 'vaccineCode'):
        if k in r:
            c = r[k]; return c.get('text') or c['coding'][0].get('display')
    if r['resourceType'] == 'Encounter':
        return r['type'][0].get('text') or r['type'][0]['coding'][0]['display']
    return ''
