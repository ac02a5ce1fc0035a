import sys, json, re
sys.path.insert(0,'.')
from resolve import load, bundle, summ
for r in load('input/everyday_facts.jsonl'):
    idx,pat,_=bundle(r['patient_id']); op=r['op']; gv=r['gold']['value']
    encs=sorted([summ(x) for k,x in idx.items() if k.startswith('Encounter/')],key=lambda s:s['date'])
    msg=None
    if op=='last_visit_date':
        if encs[-1]['date']!=gv: msg='last enc %s'%encs[-1]['date']
    elif op=='visit_count_since_year':
        y=r['concept'].split()[-1]; n=sum(1 for e in encs if e['date'][:4]>=y); 
        if n!=gv: msg='count since %s = %d'%(y,n)
        msg=(msg or '')+' encs in %s: %d'%(y,sum(1 for e in encs if e['date'][:4]==y))
    elif op=='visit_count_in_year':
        y=r['concept'].split()[-1]; n=sum(1 for e in encs if e['date'][:4]==y)
        if n!=gv: msg='count in %s = %d'%(y,n)
    elif op=='visit_count_by_type':
        y=r['concept'].split()[-1]; classes={}
        for e in encs:
            if e['date'][:4]==y: classes.setdefault(e['class'],[]).append(e['name'])
        msg=str(classes)
    elif op in ('drug_since','drug_stopped'):
        w=r['concept'].split()[0].lower()[:6]
        meds=[summ(x) for k,x in idx.items() if k.startswith('MedicationRequest/')]
        m=[(s['date'],s['name'],s['status']) for s in meds if w in (s['name'] or '').lower() or (w=='simvas' and 'simvi' in s['name'].lower())]
        if len(m)>1: msg=str(sorted(m))
    elif op=='time_since_last':
        pass
    elif op=='value_at_visit':
        ym=r['concept'].split()[-1]
        n=[e for e in encs if e['date'][:7]==ym]
        obs=[summ(x) for k,x in idx.items() if k.startswith('Observation/')]
        nm=r['g'][0]['name']; o=[(s['date'],s['val']) for s in obs if s['name']==nm and s['date'][:7]==ym]
        msg='encs in month %s: %s | obs %s'%(ym,[(e['date'],e['name']) for e in n],o)
    if msg: print(r['fact_id'][:60],'|',msg[:300])
