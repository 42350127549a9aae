#!/usr/bin/env bash
# Throughput through HAProxy (the shipped deploy/haproxy/haproxy.cfg) vs. straight to the host, as a ratio.
# One Release host on a free loopback port, one HAProxy in front of it, bench/LoadGen (pipelined, every answer
# verified) against each in alternating rounds (direct, haproxy, direct, haproxy, ...); medians and their ratio.
#   bench/Fleet/run.sh [--rounds 3] [--seconds 10] [--warmup 2] [--connections 32] [--depth 8] [--payload 64]
# Needs haproxy and socat (apt-get install haproxy socat). Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3 seconds=10 warmup=2 connections=32 depth=8 payload=64
while (($#)); do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --depth) depth="$2"; shift 2 ;;
        --payload) payload="$2"; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v haproxy >/dev/null && command -v socat >/dev/null || { echo "needs haproxy and socat" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000)); }

for project in src/Host bench/LoadGen; do
    dotnet build -c Release -v q -nologo "$project" >"${TMPDIR:-/tmp}/fleet-bench-build.log" 2>&1 \
        || { cat "${TMPDIR:-/tmp}/fleet-bench-build.log"; echo "build of $project failed" >&2; exit 1; }
done
host_dll=src/Host/bin/Release/net10.0/PluggableNet.Host.dll
loadgen_dll=bench/LoadGen/bin/Release/net10.0/PluggableNet.LoadGen.dll

work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

host_port="$(free_port)"
proxy_port="$(free_port)"
dotnet "$host_dll" run --Server:Address=127.0.0.1 --Server:Port="$host_port" --Logic:HotReload=false --Serilog:MinimumLevel:Default=Warning >"$work/host.log" 2>&1 &
pids+=($!)

# The shipped configuration; only the socket, the bind and the servers differ (as in the tests).
sed -e "s#/run/haproxy/pluggablenet.sock#$work/haproxy.sock#" \
    -e "s#bind 0.0.0.0:9090#bind 127.0.0.1:$proxy_port#" \
    -e '/^[[:space:]]*server /d' \
    -e '/^[[:space:]]*log /d' -e '/option tcplog/d' \
    deploy/haproxy/haproxy.cfg >"$work/haproxy.cfg"
echo "    server host1 127.0.0.1:$host_port check" >>"$work/haproxy.cfg"
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)

for _ in $(seq 200); do
    state="$(echo "show servers state pluggablenet" | socat stdio "unix-connect:$work/haproxy.sock" 2>/dev/null | awk '$4 == "host1" { print $6 }' || true)"
    [[ $state == 2 ]] && break
    sleep 0.1
done
[[ ${state:-} == 2 ]] || { echo "HAProxy never saw the host up"; cat "$work/host.log" "$work/haproxy.log"; exit 1; }

run() {
    dotnet "$loadgen_dll" --port "$1" --connections "$connections" --depth "$depth" --payload "$payload" \
        --duration "$seconds" --warmup "$warmup" --logic reverse --quiet | sed -n 's/^RESULT //p'
}
field() { grep -o "\"$1\":[0-9.]*" <<<"$2" | head -n1 | cut -d: -f2; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

direct=() proxied=() direct_p99=() proxied_p99=()
echo "host :$host_port, haproxy :$proxy_port; $connections connections x depth $depth, $payload-byte payloads, ${seconds}s per round, $(nproc) cores"
for round in $(seq "$rounds"); do
    for target in direct haproxy; do
        port=$([[ $target == direct ]] && echo "$host_port" || echo "$proxy_port")
        result="$(run "$port")"
        rps="$(field requestsPerSecond "$result")"; p99="$(field p99Us "$result")"
        wrong="$(field wrongAnswers "$result")"; closes="$(field unexpectedCloses "$result")"
        printf 'round %d %-8s %12.0f req/s  p99 %8.0f us  wrong %s  unexpected closes %s\n' "$round" "$target" "$rps" "$p99" "$wrong" "$closes"
        if [[ $target == direct ]]; then direct+=("$rps"); direct_p99+=("$p99"); else proxied+=("$rps"); proxied_p99+=("$p99"); fi
    done
done

d="$(printf '%s\n' "${direct[@]}" | median)"; h="$(printf '%s\n' "${proxied[@]}" | median)"
dp="$(printf '%s\n' "${direct_p99[@]}" | median)"; hp="$(printf '%s\n' "${proxied_p99[@]}" | median)"
awk -v d="$d" -v h="$h" -v dp="$dp" -v hp="$hp" 'BEGIN {
    printf "median direct %.0f req/s (p99 %.0f us), through HAProxy %.0f req/s (p99 %.0f us): ratio %.2f\n", d, dp, h, hp, h / d }'
