import json, sys, statistics
# Per-round ratios: epoll (the build under test) ÷ base-epoll (the other build), and each ÷ c, medians over rounds.
d = json.load(open(sys.argv[1]))
runs = [r for r in d['runs'] if r['succeeded']]
phases = sorted({r['phase'] for r in runs}, key=lambda p: ['paced', 'burst'].index(p))
print(f"load average before {d['loadAverageBefore']}, after {d['loadAverageAfter']}")
for phase in phases:
    by = {}
    for r in runs:
        if r['phase'] == phase:
            by.setdefault(r['round'], {})[r['server']] = r
    rows = []
    for rnd, s in sorted(by.items()):
        if not all(k in s for k in ('c', 'base-epoll', 'epoll')):
            continue
        e, b, c = s['epoll'], s['base-epoll'], s['c']
        rows.append((rnd, e['serverCpuUsPerDelivery'] / b['serverCpuUsPerDelivery'], e['deliveriesPerSecond'] / b['deliveriesPerSecond'],
                     b['serverCpuUsPerDelivery'], e['serverCpuUsPerDelivery'], c['serverCpuUsPerDelivery'],
                     b['deliveriesPerSecond'] / c['deliveriesPerSecond'], e['deliveriesPerSecond'] / c['deliveriesPerSecond'],
                     b['serverCpuUsPerDelivery'] / c['serverCpuUsPerDelivery'], e['serverCpuUsPerDelivery'] / c['serverCpuUsPerDelivery'],
                     b['allocatedBytesPerDelivery'], e['allocatedBytesPerDelivery']))
    print(f"\n### {phase}\n")
    print("| Round | CPU µs/delivery copy / no-copy / C | no-copy ÷ copy CPU | no-copy ÷ copy deliveries/s | deliveries/s ×C copy / no-copy | CPU ÷C copy / no-copy | B/delivery copy / no-copy |")
    print("|---:|---|---:|---:|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[3]:.2f} / {r[4]:.2f} / {r[5]:.2f} | {r[1]:.2f} | {r[2]:.2f} | {r[6]:.2f}× / {r[7]:.2f}× | {r[8]:.2f} / {r[9]:.2f} | {r[10]:.3f} / {r[11]:.3f} |")
    med = lambda i: statistics.median(x[i] for x in rows)
    print(f"| median | {med(3):.2f} / {med(4):.2f} / {med(5):.2f} | **{med(1):.2f}** | {med(2):.2f} | {med(6):.2f}× / {med(7):.2f}× | {med(8):.2f} / {med(9):.2f} | {med(10):.3f} / {med(11):.3f} |")
