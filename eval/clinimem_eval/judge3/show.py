"""Print my generated phrasings for review: show.py everyday|invariance [op] [n per op]"""
import json, collections, sys, os
HERE = os.path.dirname(os.path.abspath(__file__))
rows = [json.loads(l) for l in open(os.path.join(HERE, f'{sys.argv[1]}_judge3.jsonl'))]
ops = sys.argv[2].split(',') if len(sys.argv) > 2 and sys.argv[2] != 'all' else None
k = int(sys.argv[3]) if len(sys.argv) > 3 else 1
seen = collections.defaultdict(int)
for r in rows:
    if ops and r['op'] not in ops: continue
    if seen[r['op']] < k:
        seen[r['op']] += 1
        g = r['gold']['value']
        print('##', r['fact_id'], '|', r['concept'], '|', g if not isinstance(g, list) else f'list[{len(g)}]')
        for p, s in zip(r['phrasings'], r['phrasing_styles']): print(f'   [{s}] {p}')
