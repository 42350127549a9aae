# Medians of a depth1.sh output: python3 depth1.py depth1.txt — added p50 (isolated − in-process, per round) and per-server medians.
import json, sys, statistics as st
rows = {}; cur = None
for line in open(sys.argv[1]):
    if line.startswith('round'): cur = int(line.split()[1]); continue
    name, js = line.split(None, 1); rows[(cur, name)] = json.loads(js)
rounds = sorted({r for r, _ in rows}); names = sorted({n for _, n in rows})
for n in [n for n in names if n.startswith('isolated')]:
    add = [rows[(r, n)]['p50Us'] - rows[(r, 'inprocess')]['p50Us'] for r in rounds]
    print(f"{n:16} added p50 per round {[round(a, 1) for a in add]} median {st.median(add):.1f} us")
for n in names:
    xs = [rows[(r, n)] for r in rounds]
    print(f"{n:16} p50 median {st.median(x['p50Us'] for x in xs):.1f} us, p99 median {st.median(x['p99Us'] for x in xs):.1f} us, req/s median {st.median(x['requestsPerSecond'] for x in xs):,.0f}")
