#!/usr/bin/env bash
# Times `projections rebuild` on a copy of a ledger: wall time and peak RSS
# (/usr/bin/time) and the peak size of the -wal file (sampled every 0.2 s).
#
#   bench/rebuild-measure.sh BINARY SOURCE_LEDGER WORK_LEDGER
#
# WORK_LEDGER (and its -wal/-shm) is overwritten with a copy of SOURCE_LEDGER.
# Prints one line: the CLI's own line | seconds and peak RSS | WAL figures.
set -euo pipefail
[ $# -eq 3 ] || { sed -n '2,8p' "$0"; exit 64; }
BIN=$1; SRC=$2; DB=$3
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
rm -f "$DB" "$DB-wal" "$DB-shm"; cp "$SRC" "$DB"
/usr/bin/time -f "%e s %M KB" "$BIN" projections rebuild --db "$DB" > "$OUT/out" 2> "$OUT/err" &
PID=$!
peak=0
while kill -0 $PID 2>/dev/null; do
  size=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0); [ "$size" -gt "$peak" ] && peak=$size
  sleep 0.2
done
status=0; wait $PID || status=$?
[ "$status" -eq 0 ] || { cat "$OUT/err"; echo "FAILED: projections rebuild exited $status"; exit 1; }
echo "$(grep -v '^note' "$OUT/out" | tail -1) | $(tail -1 "$OUT/err") | peak WAL $((peak / 1048576)) MiB | WAL after $(( $(stat -c %s "$DB-wal" 2>/dev/null || echo 0) / 1048576 )) MiB"
