#!/bin/bash
# Depth-1 latency on ONE connection (issue 24's "added median latency at depth 1"): the same host and Reverse plugin
# in-process and in Isolation Process, and the C server, alternating for ROUNDS rounds; prints the C load generator's
# result line per run. Needs: dotnet build -c Release src/Host; bench/Baselines/C/bin built by the driver.
# BEFORE_HOST=path/to/PluggableNet.Host.dll (another build, e.g. the previous commit's) adds its isolated run to each round.
set -eu
cd "$(dirname "$0")/../../.."
ROUNDS=${ROUNDS:-3}
HOST=${HOST:-src/Host/bin/Release/net10.0/PluggableNet.Host.dll}
BEFORE_HOST=${BEFORE_HOST:-}
LOADGEN=bench/Baselines/C/bin/pluggablenet-c-loadgen
CSERVER=bench/Baselines/C/bin/pluggablenet-c-server
PORT=${PORT:-39511}
run() {
    name=$1; shift
    "$@" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
    printf '%-16s ' "$name"; $LOADGEN -p $PORT -c 1 -d 1 -s 64 -f ascii5 -t 4 -w 1 | tail -1
    kill $pid; wait $pid 2>/dev/null || true
}
for round in $(seq 1 $ROUNDS); do
    echo "round $round"
    run inprocess dotnet $HOST --Server:Address=127.0.0.1 --Server:Port=$PORT --Server:Transport=Epoll --Logic:Plugin=Reverse --Control:Socket=/tmp/pnet-depth1.sock
    run isolated dotnet $HOST --Server:Address=127.0.0.1 --Server:Port=$PORT --Server:Transport=Epoll --Logic:Plugin=Reverse --Plugins:Reverse:Isolation=Process --Control:Socket=/tmp/pnet-depth1.sock
    if [ -n "$BEFORE_HOST" ]; then
        run isolated-before dotnet $BEFORE_HOST --Server:Address=127.0.0.1 --Server:Port=$PORT --Server:Transport=Epoll --Logic:Plugin=Reverse --Plugins:Reverse:Isolation=Process --Control:Socket=/tmp/pnet-depth1.sock
    fi
    run c $CSERVER $PORT ascii5
done
