#!/usr/bin/env bash
# Time travel, measured beside the C ceiling in the same run.
#
#   tools/time-travel-bench.sh [EVENTS] [MAILBOXES]      (defaults: 1000000 10000)
#
# 1. Builds ../shared/bench/peer/ceiling.c, generates the shared workload
#    (EVENTS events over MAILBOXES mailboxes), appends it with the ceiling and
#    times the ceiling's one-mailbox as-of (1,000 random positions, seed 2).
# 2. Builds a SyncLedger ledger of at least EVENTS domain events over
#    MAILBOXES mailboxes through the facade and times the grid now, the grid
#    as of random positions and one mailbox as of random positions
#    (`syncledger-bench time-travel`, release build).
# Needs gcc, python3 and libsqlite3-dev; scratch files go to a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-1000000}
MAILBOXES=${2:-10000}
PEER=${PEER:-../shared/bench/peer}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== C ceiling (${EVENTS} workload events, ${MAILBOXES} mailboxes)"
gcc -O2 -o "$WORK/ceiling" "$PEER/ceiling.c" -lsqlite3
python3 "$PEER/gen_workload.py" --events "$EVENTS" --mailboxes "$MAILBOXES" --profiles 5 --seed 1 "$WORK/wl.tsv" > /dev/null
"$WORK/ceiling" batch "$WORK/c.db" "$WORK/wl.tsv" NORMAL 1000 > /dev/null
"$WORK/ceiling" asof "$WORK/c.db" "$WORK/wl.tsv" 1000 2

echo "== SyncLedger (${EVENTS} domain events, ${MAILBOXES} mailboxes)"
swift build -c release --product syncledger-bench > /dev/null
"$(swift build -c release --show-bin-path)/syncledger-bench" time-travel "$EVENTS" "$MAILBOXES" ${KEEP:+--keep "$KEEP"}
