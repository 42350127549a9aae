# Per-round isolated/in-process ratios (median of per-round ratios) from a driver results.json: python3 ratios.py results.json
import json, sys, statistics as st
d=json.load(open(sys.argv[1]))
m=d['measurements']
by={}
for x in m:
    by[(x['server'],x['scenario'],x['round'])]=x
rounds=sorted({x['round'] for x in m})
for sc in ['pingpong','pipelined']:
    for t in ['epoll','sockets']:
        r_rps=[];r_cpu=[];r_p50=[];alloc=[]
        for r in rounds:
            a=by.get((t,sc,r)); b=by.get((t+'-isolated',sc,r)); c=by.get(('c',sc,r))
            if not a or not b: continue
            r_rps.append(b['load']['requestsPerSecond']/a['load']['requestsPerSecond'])
            r_cpu.append(b['cpuSecondsPer100K']/a['cpuSecondsPer100K'])
            r_p50.append(b['load']['p50Us']-a['load']['p50Us'])
            alloc.append(b['allocatedBytesPerRequest'])
        if not r_rps: continue
        print(f"{sc:9} {t:7} rps iso/inproc median {st.median(r_rps):.2f} per-round {[round(x,2) for x in r_rps]} | cpu ratio median {st.median(r_cpu):.2f} {[round(x,2) for x in r_cpu]} | p50 added {st.median(r_p50):.0f} us | alloc B/req {[round(x,2) for x in alloc]}")
    for s in ['epoll','epoll-isolated','sockets','sockets-isolated','c']:
        xs=[by[(s,sc,r)] for r in rounds if (s,sc,r) in by]
        if not xs: continue
        print(f"   {s:17} rps {st.median([x['load']['requestsPerSecond'] for x in xs]):>10,.0f} cpu/100k {st.median([x['cpuSecondsPer100K'] for x in xs]):.3f}")
