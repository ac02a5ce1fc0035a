"""Resolve each fact's gold/context resources in the Synthea bundles into a compact summary.
Reads only non-phrasing fields of the fact files."""
import json, glob, os, sys
BUND = '/work/shared/data/synthea-r4-train/'
KEEP = ['fact_id','patient_id','category','op','gold','gold_resources','context_resources','concept']
def _pidmap():
    # bundle file names do not carry the Patient.id; map by the Patient resource inside each bundle
    cache = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'work', 'pidmap.json')
    if os.path.exists(cache): return json.load(open(cache))
    m = {}
    for f in sorted(glob.glob(BUND+'*.json')):
        b = json.load(open(f))
        for e in b['entry']:
            if e['resource']['resourceType']=='Patient': m[e['resource']['id']] = f
    os.makedirs(os.path.dirname(cache), exist_ok=True); json.dump(m, open(cache,'w'))
    return m
_files = _pidmap()
_cache = {}
def bundle(pid):
    if pid not in _cache:
        b = json.load(open(_files[pid]))
        idx = {}
        pat = None
        for e in b['entry']:
            r = e['resource']; idx[r['resourceType']+'/'+r['id']] = r
            if r['resourceType']=='Patient': pat=r
        _cache[pid] = (idx, pat, b)
    return _cache[pid]
def disp(cc):
    if not cc: return None
    return cc.get('text') or cc['coding'][0].get('display')
def summ(r):
    t = r['resourceType']; s = {'type': t}
    if t=='Observation':
        s['name']=disp(r['code']); s['date']=r.get('effectiveDateTime','')[:10]
        vq=r.get('valueQuantity');
        if vq: s['val']=vq.get('value'); s['unit']=vq.get('unit')
        if 'valueCodeableConcept' in r: s['val']=disp(r['valueCodeableConcept'])
        s['enc']=r.get('encounter',{}).get('reference','')
    elif t=='Condition':
        s['name']=disp(r['code']); s['date']=r.get('onsetDateTime','')[:10]; s['end']=r.get('abatementDateTime','')[:10]
        s['status']=r.get('clinicalStatus',{}).get('coding',[{}])[0].get('code'); s['enc']=r.get('encounter',{}).get('reference','')
    elif t=='MedicationRequest':
        s['name']=disp(r.get('medicationCodeableConcept')); s['date']=r.get('authoredOn','')[:10]; s['status']=r.get('status')
        s['enc']=r.get('encounter',{}).get('reference','')
    elif t=='Immunization':
        s['name']=disp(r['vaccineCode']); s['date']=r.get('occurrenceDateTime','')[:10]
    elif t=='Encounter':
        s['name']=disp(r['type'][0]) if r.get('type') else None; s['class']=r['class']['code']; s['date']=r['period']['start'][:10]
    elif t=='AllergyIntolerance':
        s['name']=disp(r['code']); s['date']=r.get('recordedDate','')[:10]
    return s
def load(fn):
    out=[]
    for l in open(fn):
        r=json.loads(l); r={k:r[k] for k in KEEP}
        idx,pat,_=bundle(r['patient_id'])
        r['sex']=pat.get('gender'); r['birth']=pat.get('birthDate'); r['deceased']=pat.get('deceasedDateTime','')[:10]
        r['g']=[summ(idx[x]) if x in idx else {'missing':x} for x in r['gold_resources']]
        r['c']=[summ(idx[x]) if x in idx else {'missing':x} for x in r['context_resources']]
        out.append(r)
    return out
if __name__=='__main__':
    for r in load(sys.argv[1]):
        if len(sys.argv)>2 and r['op']!=sys.argv[2]: continue
        g=r['g']
        if len(g)>4: g=g[:2]+['...%d'%len(g)]+g[-2:]
        print(json.dumps({k:r[k] for k in ['fact_id','sex','birth','deceased','gold','concept']}), '\n  G', json.dumps(g), '\n  C', json.dumps(r['c']))
