"""Rendering machinery shared by both generators."""
import json, random, re, string

KEEP = ['fact_id', 'patient_id', 'category', 'op', 'gold', 'gold_resources', 'context_resources', 'concept']


class Skip(Exception):
    pass


class Ctx(dict):
    def __missing__(self, k):
        raise Skip(k)


def norm(s):
    return re.sub(r'\s+', ' ', s.lower().strip().rstrip('?').strip())


def render(pool, ctx, fact_id, n_target=14, n_min=12):
    """pool: list of (style, template). Render all that have their slots; pick n_target with style mix."""
    out = []
    seen = set()
    for style, t in pool:
        try:
            s = t.format_map(Ctx(ctx))
        except Skip:
            continue
        s = re.sub(r'\s+', ' ', s).strip()
        s = s.replace(' ?', '?').replace(' ,', ',')
        if style == 'lowercase':
            s = s.lower()
        elif style in ('display', 'other', 'possessive', 'lay', 'brand', 'class', 'yesno', 'tense'):
            s = s[0].upper() + s[1:]
        k = norm(s)
        if k in seen:
            continue
        seen.add(k)
        out.append((style, s))
    if len(out) < n_min:
        raise RuntimeError('only %d phrasings for %s' % (len(out), fact_id))
    rng = random.Random(fact_id)
    if len(out) > n_target:
        must = []
        for st in ('typo', 'lowercase', 'terse', 'yesno', 'brand', 'lay', 'abbrev', 'display'):
            c = [i for i, (s, _) in enumerate(out) if s == st]
            if c:
                must.append(rng.choice(c))
        must = list(dict.fromkeys(must))
        rest = [i for i in range(len(out)) if i not in must]
        rng.shuffle(rest)
        keep = sorted(must + rest[:max(0, n_target - len(must))])
        out = [out[i] for i in keep]
    return out


def write(rows_in, rows_out_phr, path):
    with open(path, 'w') as f:
        for r, phr in zip(rows_in, rows_out_phr):
            o = {k: r[k] for k in KEEP}
            o['phrasings'] = [p for _, p in phr]
            o['phrasing_styles'] = [s for s, _ in phr]
            f.write(json.dumps(o, ensure_ascii=False) + '\n')
