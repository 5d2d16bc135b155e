#!/usr/bin/env bash
# The server's two targets, measured with wrk on loopback against a release
# build (BENCHMARKS.md, "Server"):
#   1. the grid as of a random position, one page of 100 rows, on a ledger of
#      1,000,000 events over 10,000 mailboxes (GRID_LEDGER, e.g. kept by
#      `syncledger-bench time-travel 1000000 10000 --keep FILE`);
#   2. Test & Enable over HTTP at synchronous=FULL from 1 and from 8
#      connections, on copies of a 2,000-mailbox ledger, beside the same
#      commands through the facade in-process (`syncledger-bench commands`).
#
#   bench/server/load.sh GRID_LEDGER [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
GRID_LEDGER=$(realpath "$1")
SECONDS_EACH=${2:-20}
WORK=${WORK:-bench/.work/server}
mkdir -p "$WORK"
WORK=$(realpath "$WORK")
BIN=.build/release/syncledger
BENCH=.build/release/syncledger-bench
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
[ -x "$BIN" ] || swift build -c release --product syncledger
[ -x "$BENCH" ] || swift build -c release --product syncledger-bench
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true' EXIT
unset SYNCLEDGER_NOW SYNCLEDGER_DB SYNCLEDGER_ACTOR SYNCLEDGER_KEY

serve() {   # serve DB PORT
    "$BIN" serve --db "$1" --listen "127.0.0.1:$2" --log-level "${LOG_LEVEL:-info}" > "$WORK/serve.out" 2> "$WORK/serve.err" &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$2/healthz" > /dev/null 2>&1 && return 0
        sleep 0.2
    done
    cat "$WORK/serve.err"; echo "the server did not start"; exit 1
}
stop() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=; }
summary() {   # summary LABEL FILE: requests/s, p50, p99, errors
    awk -v label="$1" '
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
        /Non-2xx/ { bad = $5 } /Socket errors/ { sock = $0 }
        END { printf "%-44s %10s req/s   p50 %8s   p99 %8s   non-2xx %s%s\n", label, rps, p50, p99, (bad == "" ? 0 : bad), (sock == "" ? "" : "   " sock) }' "$2"
}

echo "# $(date -u +%FT%TZ) on $(nproc) cores; ${SECONDS_EACH}s per run"

ONLY=${ONLY:-all}   # grid | commands | all

# 1. The grid as of random positions.
if [ "$ONLY" != commands ]; then
HEAD=$("$BIN" log head --db "$GRID_LEDGER" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["position"])')
MAILBOXES=$("$BIN" status --db "$GRID_LEDGER" --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
TOKEN=$("$BIN" token issue --for gabriela@contoso.com --scope auditor --expires 1d --as gabriela@contoso.com --db "$GRID_LEDGER" 2>/dev/null)
echo "grid ledger: $HEAD events, $MAILBOXES mailboxes, $(du -h "$GRID_LEDGER" | cut -f1)"
serve "$GRID_LEDGER" 18181
# Warm up (the first reads fault the file's pages in); not measured.
HEAD=$HEAD TOKEN=$TOKEN MAILBOXES=$MAILBOXES wrk -t1 -c8 -d5s -s bench/server/grid.lua http://127.0.0.1:18181 > /dev/null
for connections in 4 8 32; do
    HEAD=$HEAD TOKEN=$TOKEN MAILBOXES=$MAILBOXES wrk -t1 -c$connections -d${SECONDS_EACH}s --latency -s bench/server/grid.lua http://127.0.0.1:18181 > "$WORK/grid-$connections.txt"
    summary "grid, first page, random position, $connections conn" "$WORK/grid-$connections.txt"
done
DEEP=1 HEAD=$HEAD TOKEN=$TOKEN MAILBOXES=$MAILBOXES wrk -t1 -c8 -d${SECONDS_EACH}s --latency -s bench/server/grid.lua http://127.0.0.1:18181 > "$WORK/grid-deep.txt"
summary "grid, random page (after=), random position, 8 conn" "$WORK/grid-deep.txt"
stop
fi
[ "$ONLY" != grid ] || exit 0

# 2. Commands at FULL: 1 and 8 HTTP clients, then the facade in-process.
TEMPLATE="$WORK/commands-template.sqlite"
[ -f "$TEMPLATE" ] || "$BENCH" commands "$TEMPLATE" 1 0 2000 FULL > /dev/null
for clients in 1 8; do
    rm -f "$WORK/commands.sqlite"*
    "$BIN" log backup "$WORK/commands.sqlite" --db "$TEMPLATE" > /dev/null 2>&1
    TOKEN=$("$BIN" token issue --for gabriela@contoso.com --scope admin --expires 1d --as gabriela@contoso.com --db "$WORK/commands.sqlite" 2>/dev/null)
    serve "$WORK/commands.sqlite" 18182
    TOKEN=$TOKEN MAILBOXES=2000 wrk -t1 -c$clients -d2s -s bench/server/commands.lua http://127.0.0.1:18182 > /dev/null   # warm-up
    TOKEN=$TOKEN MAILBOXES=2000 wrk -t1 -c$clients -d${SECONDS_EACH}s --latency -s bench/server/commands.lua http://127.0.0.1:18182 > "$WORK/commands-$clients.txt"
    stop
    summary "Test & Enable over HTTP, FULL, $clients client(s)" "$WORK/commands-$clients.txt"
    "$BIN" log verify --db "$WORK/commands.sqlite" > /dev/null 2>&1 || { echo "the ledger does not verify after the run"; exit 1; }
done
for clients in 1 8; do
    rm -f "$WORK/commands.sqlite"*
    "$BIN" log backup "$WORK/commands.sqlite" --db "$TEMPLATE" > /dev/null 2>&1
    "$BENCH" commands "$WORK/commands.sqlite" $clients 2000 2000 FULL
done

# The C ceiling's single-writer transaction rate on this disk, in the same run.
PEER_DIR=${PEER_DIR:-../shared/bench/peer}
if [ -f "$PEER_DIR/ceiling.c" ]; then
    "${CC:-cc}" -O2 -o "$WORK/ceiling" "$PEER_DIR/ceiling.c" -lsqlite3
    "$BENCH" workload 3000 10000 5 42 "$WORK/wl.tsv" > /dev/null
    rm -f "$WORK/ceiling.db"*
    "$WORK/ceiling" append1 "$WORK/ceiling.db" "$WORK/wl.tsv" FULL
fi
