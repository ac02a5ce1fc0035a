"""Validate judge3 outputs against the inputs (fact ids, order, unchanged fields, >=12 unique phrasings) and count styles."""
import json, os, re, collections, sys
from load import load_facts, HERE
ok = True
for name in ('everyday', 'invariance'):
    inp = load_facts(name)
    out = [json.loads(l) for l in open(os.path.join(HERE, f'{name}_judge3.jsonl'))]
    assert len(inp) == len(out), name
    styles = collections.Counter(); nph = []
    for a, b in zip(inp, out):
        assert a['fact_id'] == b['fact_id']
        for k in a:
            assert a[k] == b[k], (b['fact_id'], k)
        assert set(b) == set(a) | {'phrasings', 'phrasing_styles'}
        ph, st = b['phrasings'], b['phrasing_styles']
        assert len(ph) == len(st)
        if len(ph) < 12 or len(set(ph)) != len(ph):
            ok = False; print('BAD', b['fact_id'], len(ph))
        for p in ph:
            if re.search(r'\b(the the|a a|an an|dx dx|her her|his his)\b|\{|\}|  ', p, re.I):
                print('ODD', b['fact_id'], p)
        styles.update(st); nph.append(len(ph))
    print(name, 'facts', len(out), 'phrasings', sum(nph), 'min', min(nph), 'max', max(nph))
    print('  styles:', dict(sorted(styles.items(), key=lambda x: -x[1])))
print('OK' if ok else 'FAIL')
