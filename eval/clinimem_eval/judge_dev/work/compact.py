import sys, json
sys.path.insert(0,'.')
from resolve import load
for r in load(sys.argv[1]):
    if len(sys.argv)>2 and r['op'] not in sys.argv[2].split(','): continue
    g=r['gold']; gv=g['value']
    if isinstance(gv,list): gv='|'.join(gv)
    gs=sorted(r['g'],key=lambda x:x.get('date',''))
    def f(x): return '%s %s %s %s %s'%(x.get('date'),x.get('name'),x.get('val',''),x.get('unit',''),x.get('status',x.get('class','')))
    gl=[f(x) for x in gs] if len(gs)<=3 else [f(gs[0]),'..%d'%len(gs),f(gs[-1])]
    print(r['fact_id'][9:60],'|',r['sex'][0],r['birth'][:4],r['deceased'],'| GOLD:',gv,g.get('unit',''),'| C:',r['concept'],'\n    G:',' ; '.join(gl),'\n    X:',' ; '.join(f(x) for x in r['c']))
