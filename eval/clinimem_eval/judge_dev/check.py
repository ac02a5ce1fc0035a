"""Validate an output file against its input: same fact_ids/order, other fields unchanged, >=12 unique phrasings."""
import json, sys, collections
def check(inp, out):
    a = [json.loads(l) for l in open(inp)]
    b = [json.loads(l) for l in open(out)]
    assert len(a) == len(b), (len(a), len(b))
    styles = collections.Counter()
    n = 0
    for x, y in zip(a, b):
        assert x['fact_id'] == y['fact_id']
        for k in x:
            if k not in ('phrasings', 'phrasing_styles'):
                assert x[k] == y[k], (x['fact_id'], k)
        assert set(y) - set(x) <= {'phrasings', 'phrasing_styles'}
        p = y['phrasings']; s = y['phrasing_styles']
        assert len(p) >= 12, (y['fact_id'], len(p))
        assert len(p) == len(s)
        assert len(set(p)) == len(p), y['fact_id']
        assert all(isinstance(q, str) and q.strip() for q in p)
        styles.update(s); n += len(p)
    print(out, 'OK', len(b), 'facts', n, 'phrasings', dict(sorted(styles.items())))
if __name__ == '__main__':
    check(sys.argv[1], sys.argv[2])
