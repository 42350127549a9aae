#!/usr/bin/env bash
# Rolls an update across the servers of one HAProxy backend, one server at a time, through HAProxy's runtime API.
# Run with --help for the whole story.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: rolling-update.sh --socket <runtime API socket> --backend <name> --update '<command>' [options] <server>...

For each <server> of HAProxy backend <name>, in the order given:
  1. drain:   "set server <backend>/<server> state drain": HAProxy sends it no new connection; connections already
              open stay where they are (HAProxy never moves an established TCP connection).
  2. settle:  waits up to --drain-wait seconds for its sessions (show stat, scur) to reach 0. Persistent client
              connections usually stay open; they are then the update's business: a PluggableNet host that stops
              (SIGTERM, `pluggablenet stop`, systemctl restart) finishes the requests it has read and closes each
              connection at a frame boundary, and a client that reconnects on a graceful close resends what was
              not answered, through HAProxy, to a host in rotation; a plugin dropped in the plugins folder is
              hot-swapped and the open connections lose nothing.
  3. update:  runs <command> through bash with {server} replaced by the server's name (and {addr} by its address
              as HAProxy knows it). It must exit 0 once that host is updated.
  4. ready:   forces the server's health to down ("set server ... health down") so that only checks made after the
              update count, then waits up to --ready-timeout seconds until HAProxy's own check has brought it back
              up (rise successes in a row); with --ready-url, also until that URL answers 2xx.
  5. return:  "set server <backend>/<server> state ready".
With --in-place the update is an upgrade in place (`PluggableNet.Host upgrade`, docs/upgrade.md): the new host takes
the listening socket AND every established connection over from the old one, so HAProxy sees no refused connect and
no closed server connection, and the server never leaves rotation. Steps 1, 2, 4 and 5 are skipped: the script runs
<command> (which must exit 0 once `upgrade` reported success) and then checks that HAProxy still sees the server up
(and, with --ready-url, that the URL answers 2xx); it needs no other server in rotation.
If the update command fails or the server does not become ready, the server is put in maintenance (out of rotation,
"state maint"), the script says how to bring it back and exits 1 without touching the servers after it.
Before draining a server it checks that another server of the backend is up and in rotation (unless --force), so a
rolling update never empties the backend.

Options:
  --socket PATH        HAProxy runtime API socket ("stats socket ... level admin" in haproxy.cfg)   (required)
  --backend NAME       the backend holding the servers                                            (required)
  --update COMMAND     run once per server; {server} and {addr} are substituted                    (required)
  --drain-wait SECS    how long to wait for sessions to reach 0 before updating anyway (default 10)
  --ready-timeout SECS how long the updated server may take to pass its checks (default 60)
  --ready-url URL      also wait for this URL ({server}/{addr} substituted) to answer 2xx, e.g. the host's
                       readiness endpoint http://{addr}:8080/readyz (Health:Endpoint)
  --force              drain a server even if no other server of the backend is in rotation
  --in-place           the update is an upgrade in place: no drain, no health reset, never out of rotation
  -h, --help           this text

Exit codes: 0 every server updated and back in rotation; 1 an update or readiness failed (that server is left in
maintenance); 2 bad arguments, socat missing, or an unknown backend/server.

Example (plugin v2 on three hosts, each reading its plugins from /srv/pnet/<server>/plugins):
  rolling-update.sh --socket /run/haproxy/pluggablenet.sock --backend pluggablenet \
    --update 'rsync -a build/MyPlugin/ {server}:/opt/pluggablenet/plugins/MyPlugin/' host1 host2 host3
Example (a new host build, upgraded in place: clients keep their connections through HAProxy):
  rolling-update.sh --socket /run/haproxy/pluggablenet.sock --backend pluggablenet --in-place \
    --update 'ssh {server} sudo systemctl reload pluggablenet' host1 host2 host3
Example (restart into a new host build):
  rolling-update.sh --socket /run/haproxy/pluggablenet.sock --backend pluggablenet \
    --update 'ssh {server} "sudo systemctl restart pluggablenet"' host1 host2 host3
USAGE
}

die() { echo "rolling-update: $*" >&2; exit 2; }
say() { echo "rolling-update: $(date -u +%H:%M:%S.%3N) $*"; }

socket= backend= update= drain_wait=10 ready_timeout=60 ready_url= force=0 in_place=0
servers=()
while (($#)); do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --socket) socket="${2:?--socket needs a path}"; shift 2 ;;
        --backend) backend="${2:?--backend needs a name}"; shift 2 ;;
        --update) update="${2:?--update needs a command}"; shift 2 ;;
        --drain-wait) drain_wait="${2:?--drain-wait needs seconds}"; shift 2 ;;
        --ready-timeout) ready_timeout="${2:?--ready-timeout needs seconds}"; shift 2 ;;
        --ready-url) ready_url="${2:?--ready-url needs a URL}"; shift 2 ;;
        --force) force=1; shift ;;
        --in-place) in_place=1; shift ;;
        --) shift; servers+=("$@"); break ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) servers+=("$1"); shift ;;
    esac
done

[[ -n $socket ]] || die "--socket is required (see --help)"
[[ -n $backend ]] || die "--backend is required (see --help)"
[[ -n $update ]] || die "--update is required (see --help)"
((${#servers[@]})) || die "no server given (see --help)"
[[ $drain_wait =~ ^[0-9]+$ ]] || die "--drain-wait must be whole seconds, not '$drain_wait'"
[[ $ready_timeout =~ ^[0-9]+$ ]] || die "--ready-timeout must be whole seconds, not '$ready_timeout'"
command -v socat >/dev/null || die "socat is needed for HAProxy's runtime API (apt-get install socat)"
[[ -S $socket ]] || die "no HAProxy runtime API socket at $socket (stats socket ... level admin in haproxy.cfg)"

api() { echo "$1" | socat -t 5 stdio "unix-connect:$socket"; }

# One field of "show servers state <backend>" for <server>, by the column name in its header line.
state_field() {
    api "show servers state $backend" | awk -v server="$1" -v name="$2" '
        /^# be_id/ { for (i = 2; i <= NF; i++) col[$i] = i - 1 }
        !/^#/ && NF > 4 && $4 == server { print $(col[name]); exit }'
}

# One field of "show stat" (CSV) for <server> of the backend, by the column name in its header line.
stat_field() {
    api "show stat" | awk -F, -v backend="$backend" -v server="$1" -v name="$2" '
        /^# pxname/ { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i }
        $1 == backend && $2 == server { print $(col[name]); exit }'
}

# Servers other than <server> that are up (op state 2) and in rotation (admin state 0).
others_in_rotation() {
    api "show servers state $backend" | awk -v server="$1" '
        /^# be_id/ { for (i = 2; i <= NF; i++) col[$i] = i - 1 }
        !/^#/ && NF > 4 && $4 != server && $(col["srv_op_state"]) == 2 && $(col["srv_admin_state"]) == 0 { n++ }
        END { print n + 0 }'
}

set_state() {
    local answer
    answer="$(api "set server $backend/$1 $2")"
    [[ -z ${answer//[$'\n\r ']/} ]] || { echo "rolling-update: HAProxy refused 'set server $backend/$1 $2': $answer" >&2; return 1; }
}

leave_out() {
    set_state "$1" "state maint" || true
    echo "rolling-update: $1: $2; left in maintenance (out of rotation)." >&2
    echo "rolling-update: once fixed: echo 'set server $backend/$1 state ready' | socat stdio unix-connect:$socket" >&2
    exit 1
}

api "show servers state $backend" | grep -q "^[0-9]" || die "HAProxy at $socket has no backend '$backend' with servers"
for server in "${servers[@]}"; do
    [[ -n $(state_field "$server" srv_op_state) ]] || die "backend '$backend' has no server '$server'"
done

now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }

wait_ready() { # <server> <deadline>: until HAProxy's check sees it up and --ready-url answers 2xx
    until [[ $(state_field "$1" srv_op_state) == 2 ]]; do
        ((SECONDS < $2)) || leave_out "$1" "HAProxy's check did not bring it up within ${ready_timeout}s (last check: $(stat_field "$1" check_status))"
        sleep 0.2
    done
    if [[ -n $ready_url ]]; then
        url="${ready_url//\{server\}/$1}"
        url="${url//\{addr\}/$addr}"
        until curl -fsS -o /dev/null --max-time 2 "$url"; do
            ((SECONDS < $2)) || leave_out "$1" "$url did not answer 2xx within ${ready_timeout}s"
            sleep 0.2
        done
    fi
}

for server in "${servers[@]}"; do
    addr="$(state_field "$server" srv_addr)"
    command="${update//\{server\}/$server}"
    command="${command//\{addr\}/$addr}"
    started="$(now)"
    if ((in_place)); then
        # Nothing to drain: the connections move to the new host; HAProxy keeps sending new ones to the same socket.
        say "$server: upgrading in place ($(stat_field "$server" scur) session(s) open): $command"
        rc=0
        bash -c "$command" || rc=$?
        ((rc == 0)) || leave_out "$server" "upgrade command failed (exit $rc)"
        wait_ready "$server" $((SECONDS + ready_timeout))
        say "$server: upgraded in place after $(ms_since "$started") ms ($(stat_field "$server" scur) session(s) open, never out of rotation)"
        continue
    fi

    if ((!force)) && (($(others_in_rotation "$server") == 0)); then
        echo "rolling-update: $server: no other server of $backend is up and in rotation; not draining it (--force to do it anyway)" >&2
        exit 1
    fi

    set_state "$server" "state drain" || exit 1
    sessions="$(stat_field "$server" scur)"
    say "$server: draining ($sessions session(s) open)"
    deadline=$((SECONDS + drain_wait))
    while ((sessions > 0 && SECONDS < deadline)); do
        sleep 0.2
        sessions="$(stat_field "$server" scur)"
    done
    if ((sessions > 0)); then
        say "$server: $sessions persistent session(s) still open after ${drain_wait}s; the update closes them gracefully (host stop) or keeps them (plugin hot swap)"
    fi

    say "$server: updating: $command"
    rc=0
    bash -c "$command" || rc=$?
    ((rc == 0)) || leave_out "$server" "update command failed (exit $rc)"

    # Only checks made after the update count: force the health down, then let the rise checks bring it up.
    set_state "$server" "health down" || leave_out "$server" "cannot reset its health"
    wait_ready "$server" $((SECONDS + ready_timeout))
    set_state "$server" "state ready" || leave_out "$server" "cannot put it back in rotation"
    say "$server: back in rotation after $(ms_since "$started") ms"
done
say "all ${#servers[@]} server(s) updated and in rotation"
