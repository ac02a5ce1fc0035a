"""Print a compact view of each fact (no phrasing fields) with key fields of its resources, for the writer to inspect."""
import sys, json
from load import *
name = sys.argv[1]; ops = sys.argv[2].split(',') if len(sys.argv) > 2 else None
for f in load_facts(name):
    if ops and f['op'] not in ops: continue
    b = bundle(f['patient_id']); p = patient(f['patient_id'])
    print(f"## {f['fact_id']} | {p['gender']} b.{p['birthDate']} d.{p.get('deceasedDateTime','')[:10]} | concept={f['concept']!r} gold={json.dumps(f['gold'])}")
    for tag, lst in (('G', f['gold_resources']), ('C', f['context_resources'])):
        for rid in lst[:int(sys.argv[3]) if len(sys.argv) > 3 else 4]:
            r = b[rid]; extra = ''
            t = r['resourceType']
            if t == 'MedicationRequest': extra = r['status']
            if t == 'Condition': extra = r['clinicalStatus']['coding'][0]['code'] + ' abated=' + r.get('abatementDateTime', '')[:10]
            if t == 'Encounter': extra = r['class']['code'] + ' end=' + r['period']['end'][:10]
            if t == 'Observation' and 'valueQuantity' in r: extra = f"{r['valueQuantity']['value']} {r['valueQuantity'].get('unit')}"
            if t == 'Observation' and 'valueCodeableConcept' in r: extra = r['valueCodeableConcept']['coding'][0]['display']
            print(f"   {tag} {t} {rdate(r)} {rname(r)!r} {extra}")
