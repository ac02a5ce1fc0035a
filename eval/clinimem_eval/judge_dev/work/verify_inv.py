import sys, json
sys.path.insert(0,'.')
from resolve import load, bundle, summ
def comp_name(s): return s
for r in load('input/invariance_facts.jsonl'):
    idx,pat,_=bundle(r['patient_id']); op=r['op']; gv=r['gold']['value']; cn=r['concept']
    obs=[summ(x) for k,x in idx.items() if k.startswith('Observation/')]
    # include BP components
    for k,x in idx.items():
        if k.startswith('Observation/') and 'component' in x:
            for c in x['component']:
                d=c['code'].get('text') or c['code']['coding'][0]['display']
                if 'valueQuantity' in c: obs.append({'name':d,'date':x['effectiveDateTime'][:10],'val':c['valueQuantity']['value'],'enc':x.get('encounter',{}).get('reference','')})
    mine=sorted([o for o in obs if o.get('name')==cn],key=lambda o:o['date'])
    gd=r['g'][0]['date'] if r['g'] else None
    ctx=r['c'][0] if r['c'] else None
    msg=''
    if op in ('before_event','before_event_med','after_event','after_event_med','at_visit_cond','at_visit_med'):
        ed=ctx['date']
        same=[o['date'] for o in mine if o['date']==ed]
        bef=[o['date'] for o in mine if o['date']<ed]; aft=[o['date'] for o in mine if o['date']>ed]
        msg='event %s %s | gold %s | last before %s | first after %s | same-day %s | ctx-enc==gold-enc %s'%(ed,ctx['name'][:40],gd,bef[-1] if bef else None,aft[0] if aft else None,same, ctx.get('enc')==r['g'][0].get('enc'))
        # count of same-name events
        n=sum(1 for k,x in idx.items() if k.split('/')[0]==ctx['type'] and summ(x).get('name')==ctx['name'])
        msg+=' | #events same name %d'%n
    elif op in ('in_month','in_year','value_on_date'):
        key={'in_month':7,'in_year':4,'value_on_date':10}[op]
        same=[(o['date'],round(o['val'],2)) for o in mine if o['date'][:key]==gd[:key]]
        msg='gold %s | same period %s'%(gd,same)
    elif op in ('first_value','last_value'):
        msg='gold %s | first %s last %s n=%d'%(gd,mine[0]['date'],mine[-1]['date'],len(mine))
    elif op=='count_obs':
        msg='gold %s | n=%d'%(gv,len(mine))
    elif op in ('trend_last','trend_all'):
        vals=[round(o['val'],2) for o in mine]
        msg='gold %s | n_gold=%d | all=%s'%(gv,len(r['g']),vals)
    else:
        continue
    print(r['fact_id'][9:55].ljust(46),msg[:400])
