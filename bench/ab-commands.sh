#!/usr/bin/env bash
# Commands through the facade, several builds of syncledger-bench side by
# side: each run on a fresh copy of one template ledger (a tenant with
# MAILBOXES approved mailboxes, set up once, untimed, by the first build),
# builds interleaved within every repetition, FULL, 1 and 8 client threads.
# Prints the median, min and max commands/s of each build and client count.
#
#   bench/ab-commands.sh BENCH_A BENCH_B [BENCH_C …]
#   REPS=5 COMMANDS=2000 MAILBOXES=2000 CLIENTS="1 8" bench/ab-commands.sh …
#
# (bench/compare.sh's "base" slot sets its mailboxes up in the measured
# process, so its facade rows are not comparable with the "sw" slot's.)
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 64; }
: "${REPS:=5}" "${COMMANDS:=2000}" "${MAILBOXES:=2000}" "${CLIENTS:=1 8}"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
"$1" commands "$WORK/template.db" 1 0 "$MAILBOXES" NORMAL > /dev/null
for rep in $(seq 1 "$REPS"); do
    for bench in "$@"; do
        for clients in $CLIENTS; do
            rm -f "$WORK"/run.db*; cp "$WORK/template.db" "$WORK/run.db"
            rate=$("$bench" commands "$WORK/run.db" "$clients" "$COMMANDS" "$MAILBOXES" FULL | tail -1 \
                | python3 -c 'import json, sys; print(json.load(sys.stdin)["commands_per_s"])')
            echo "$bench $clients $rate" >> "$WORK/runs"
        done
    done
done
python3 - "$WORK/runs" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    bench, clients, rate = line.split()
    runs[(bench, int(clients))].append(float(rate))
print("| build | clients | runs | median cmd/s | min | max |\n|---|---|---|---|---|---|")
for (bench, clients), rates in runs.items():
    print(f"| {bench} | {clients} | {len(rates)} | {statistics.median(rates):,.0f} | {min(rates):,.0f} | {max(rates):,.0f} |")
PY
