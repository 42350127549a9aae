#!/usr/bin/env python3
# Medians per case from rounds.jsonl (alloc2.py lines): B/request (idle background taken off, and raw), and the
# per-round req/s ratio of each isolated build over the same round's in-process run.
import json, statistics, sys
from collections import defaultdict
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = defaultdict(list)
for d in rows:
    r = d["r"]; by[(r["transport"], r["protocol"], r["scenario"], d["build"] + "-" + r["isolation"])].append((d["round"], r))
cases = sorted({k[:3] for k in by}, key=lambda k: (k[0] != "Sockets", k[1], k[2] != "8x16"))
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("| Transport | Protocol | Load | B/request now, isolated | B/request before (78c4731), isolated | B/request now, in-process | req/s now isolated ÷ in-process (per round) | median | before ÷ in-process (median) |")
print("|---|---|---|---:|---:|---:|---|---:|---:|")
for c in cases:
    now, bef, inp = by[c + ("now-Process",)], by[c + ("before-Process",)], by[c + ("now-InProcess",)]
    f = lambda rs: f"{med([max(0.0, r['bPerReq']) for _, r in rs]):.2f} ({min(r['rawBPerReq'] for _, r in rs):.2f}–{max(r['rawBPerReq'] for _, r in rs):.2f} raw)"
    inprps = {k: r["rps"] for k, r in inp}
    ratios = [r["rps"] / inprps[k] for k, r in now if k in inprps and inprps[k]]
    bratios = [r["rps"] / inprps[k] for k, r in bef if k in inprps and inprps[k]]
    load = "pipelined 8 × 16" if c[2] == "8x16" else "pingpong 32 × 1"
    print(f"| {c[0]} | {c[1]} | {load} | {f(now)} | {f(bef)} | {f(inp)} | {', '.join(f'{x:.2f}' for x in ratios)} | {med(ratios):.2f}× | {med(bratios):.2f}× |")
