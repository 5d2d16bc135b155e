#!/usr/bin/env bash
# The server against real clients: `syncledger serve --demo` on a free port,
# then schemathesis (property-based, from the OpenAPI document: no 5xx, every
# status, content type and body as documented) and the browser tests
# (headless Chromium through Selenium), then SIGTERM must stop it cleanly.
# Used by .ci/run; needs python3 with venv, chromium and chromium-driver.
#
#   tools/server/server-ci.sh [BINARY] [SCREENSHOT_DIR]
#
# SCHEMATHESIS_SEED=N replays one schemathesis run (it prints its seed).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-.build/debug/syncledger}")
SHOTS=$(realpath -m "${2:-$(mktemp -d)/screenshots}")
HERE=$(realpath tools/server)
WORK=$(mktemp -d)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
unset SYNCLEDGER_NOW SYNCLEDGER_DB SYNCLEDGER_ACTOR SYNCLEDGER_KEY

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet -r "$HERE/requirements.txt"
PY="$WORK/venv/bin/python"

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" serve --demo --listen "127.0.0.1:$PORT" > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q "auditor token" "$WORK/serve.out" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.out" "$WORK/serve.err"; echo "FAILED: the server did not start"; exit 1; }
    sleep 0.2
done
DB=$(sed -n 's/^SyncLedger serving //p' "$WORK/serve.out")
ADMIN=$(sed -n 's/^  admin token for [^:]*: //p' "$WORK/serve.out")
AUDITOR=$(sed -n 's/^  auditor token for [^:]*: //p' "$WORK/serve.out")
URL="http://127.0.0.1:$PORT"
[ -n "$DB" ] && [ -n "$ADMIN" ] && [ -n "$AUDITOR" ] || { cat "$WORK/serve.out"; echo "FAILED: serve --demo printed no ledger or tokens"; exit 1; }
echo "ok: serve --demo started on $URL with a ledger and two tokens"
status=0; "$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" > /dev/null 2> "$WORK/second.err" || status=$?
[ "$status" -eq 69 ] && grep -q "^error: cannot listen on 127.0.0.1:$PORT: " "$WORK/second.err" \
    || { cat "$WORK/second.err"; echo "FAILED: a second server on the same port must exit 69 saying why (got $status)"; exit 1; }
status=0; "$BIN" serve --db "$WORK/missing.sqlite" --listen 127.0.0.1:0 > /dev/null 2>&1 || status=$?
[ "$status" -eq 74 ] || { echo "FAILED: serving a missing ledger must exit 74 (got $status)"; exit 1; }
echo "ok: a taken port exits 69 and a missing ledger 74, each saying why"

# The browser first, on the demo ledger as the walkthrough left it.
"$PY" "$HERE/browser_test.py" --url "$URL/" --token "$AUDITOR" --db "$DB" --binary "$BIN" --screenshots "$SHOTS"

# Property-based API tests with the admin token (they run commands too).
(cd "$WORK" && "$PY" "$HERE/schemathesis_run.py" run "$URL/openapi.json" \
    --header "Authorization: Bearer $ADMIN" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples 25 --workers 2 ${SCHEMATHESIS_SEED:+--seed $SCHEMATHESIS_SEED} --no-color --suppress-health-check all) \
    || { tail -40 "$WORK/serve.err"; echo "FAILED: schemathesis"; exit 1; }
echo "ok: schemathesis found the API as documented, with no server error"

# A client listening to the live tail must not hold the shutdown up.
"$PY" -c '
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
with urllib.request.urlopen(request) as stream:
    for line in stream:
        pass
' "$URL/api/log/events?from=1" "$AUDITOR" > /dev/null 2>&1 &
LISTENER=$!
sleep 1
kill -TERM "$SERVER_PID"
for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -9 "$SERVER_PID"; kill "$LISTENER" 2>/dev/null || true
    echo "FAILED: SIGTERM did not stop the server within 15 s (an open live tail held it up)"; exit 1
fi
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=
wait "$LISTENER" 2>/dev/null || true
[ "$status" -eq 0 ] || { tail -20 "$WORK/serve.err"; echo "FAILED: SIGTERM ended the server with status $status"; exit 1; }
echo "ok: SIGTERM stopped the server cleanly, ending an open live tail"
"$BIN" log verify --db "$DB" > /dev/null || { echo "FAILED: the ledger does not verify after the run"; exit 1; }
echo "ok: the ledger verifies after the API run"
echo "server tests passed; screenshots in $SHOTS"
