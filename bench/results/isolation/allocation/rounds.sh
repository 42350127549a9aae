#!/bin/bash
# 3 alternating rounds: this build in-process and isolated, and BEFORE (a Release build of 78c4731) isolated, for each
# transport x protocol x load; one JSON line per run (alloc.py). Summarize with summarize.py rounds.jsonl.
cd "$(dirname "$0")"
NOW=${NOW:-$(pwd)/../../../../src/Host/bin/Release/net10.0/PluggableNet.Host.dll}
BEFORE=${BEFORE:?set BEFORE to PluggableNet.Host.dll of a Release build of 78c4731}
for round in 1 2 3; do
  echo "ROUND $round $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
  for t in Sockets Epoll; do for p in v1 v2; do for sc in "8 16" "32 1"; do
    case $round in 1) order="now:InProcess now:Process before:Process";; 2) order="before:Process now:Process now:InProcess";; 3) order="now:Process now:InProcess before:Process";; esac
    for o in $order; do
      b=${o%%:*}; m=${o##*:}; dll=$NOW; [ $b = before ] && dll=$BEFORE
      echo "{\"round\": $round, \"build\": \"$b\", \"r\": $(python3 alloc.py $dll $t $m $p $sc 5)}"
    done
  done; done; done
done
echo "END $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
