#!/usr/bin/env bash
# The independent verifier (tools/verify_ledger.py) against a demo ledger, and
# against tampered copies it must reject. Used by .ci/run; needs python3 with
# venv, and the syncledger binary (default .build/debug/syncledger).
#
#   tools/verify-ledger-ci.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/debug/syncledger}")
VERIFY=$(realpath tools/verify_ledger.py)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

python3 -m venv venv
./venv/bin/pip install --quiet cryptography
PY=./venv/bin/python

pass() { echo "ok: $1"; }
fail() { echo "FAILED: $1"; exit 1; }
unset SYNCLEDGER_NOW SYNCLEDGER_DB SYNCLEDGER_ACTOR SYNCLEDGER_KEY
"$BIN" demo --db demo.sqlite > /dev/null
"$BIN" key generate --out audit.key > /dev/null
"$BIN" key register contoso-audit --public-key audit.key.pub --as gabriela@contoso.com --db demo.sqlite > /dev/null 2>&1
"$BIN" log checkpoint --key audit.key --name contoso-audit --db demo.sqlite > first.checkpoint 2>/dev/null
"$BIN" key generate --out gabriela.key > /dev/null
"$BIN" key enrol gabriela@contoso.com --public-key gabriela.key.pub --as gabriela@contoso.com --db demo.sqlite > /dev/null 2>&1
"$BIN" key signed-mode on --as gabriela@contoso.com --db demo.sqlite > /dev/null 2>&1
"$BIN" directory add-user late@contoso.com --as gabriela@contoso.com --key gabriela.key --db demo.sqlite > /dev/null 2>&1
"$BIN" directory add-user later@contoso.com --as gabriela@contoso.com --db demo.sqlite > /dev/null 2>&1 && fail "an unsigned command was accepted in signed mode" || true
"$BIN" log checkpoint --key audit.key --name contoso-audit --db demo.sqlite > second.checkpoint 2>/dev/null
"$BIN" log prove '#5' --checkpoint first.checkpoint --json --db demo.sqlite > inclusion.json 2>/dev/null
"$BIN" log prove --from first.checkpoint --to second.checkpoint --db demo.sqlite > /dev/null 2>&1
"$BIN" log export --db demo.sqlite > export.jsonl 2>/dev/null


"$PY" "$VERIFY" export.jsonl --checkpoint first.checkpoint --public-key audit.key.pub --inclusion inclusion.json > out.txt || { cat out.txt; fail "the genuine export must verify"; }
pass "genuine export, checkpoint, signature and inclusion proof verify"
"$PY" "$VERIFY" export.jsonl --checkpoint second.checkpoint > out.txt || { cat out.txt; fail "the second checkpoint must verify with the registered key"; }
grep -q '^command signatures: 1 verified$' out.txt || { cat out.txt; fail "the signed command's signature was not checked"; }
pass "second checkpoint verifies with the key the ledger registered; the signed command's signature verifies"

must_fail() {  # NAME, then the verifier's arguments
    local name=$1; shift
    if "$PY" "$VERIFY" "$@" > out.txt; then cat out.txt; fail "$name was accepted"; fi
    grep -q '^FAILED: ' out.txt || { cat out.txt; fail "$name: no FAILED line"; }
    pass "$name rejected: $(grep '^FAILED: ' out.txt | cut -c9-)"
}

# An event's data changed.
"$PY" - <<'PYEOF'
import json
lines = open("export.jsonl").read().splitlines()
event = json.loads(lines[9]); event["data"] = event["data"].replace("contoso", "f4bricam", 1); lines[9] = json.dumps(event)
open("altered.jsonl", "w").write("\n".join(lines) + "\n")
PYEOF
must_fail "an altered event" altered.jsonl --checkpoint first.checkpoint --public-key audit.key.pub

# The same change with the whole chain recomputed after it.
"$PY" - "$VERIFY" <<'PYEOF'
import hashlib, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("v", sys.argv[1]); v = importlib.util.module_from_spec(spec); spec.loader.exec_module(v)
events = [json.loads(l) for l in open("export.jsonl")]
events[9]["metadata"] = events[9]["metadata"].replace("gabriela", "mallory1", 1)
previous = bytes.fromhex(events[9]["previousHash"])
for e in events[9:]:
    e["previousHash"] = previous.hex(); e["hash"] = hashlib.sha256(previous + v.canonical(e)).hexdigest(); previous = bytes.fromhex(e["hash"])
open("rechained.jsonl", "w").write("".join(json.dumps(e) + "\n" for e in events))
PYEOF
"$PY" "$VERIFY" rechained.jsonl > out.txt || { cat out.txt; fail "a recomputed chain alone looks intact"; }
must_fail "a rewrite with the chain recomputed" rechained.jsonl --checkpoint first.checkpoint --public-key audit.key.pub

# The tail removed.
head -n 20 export.jsonl > truncated.jsonl
must_fail "a truncated export" truncated.jsonl --checkpoint first.checkpoint --public-key audit.key.pub

# A checkpoint whose size was edited (its signature no longer matches).
awk 'NR==2 {print $0-1; next} {print}' first.checkpoint > edited.checkpoint
must_fail "an edited checkpoint" export.jsonl --checkpoint edited.checkpoint --public-key audit.key.pub

# A checkpoint signed by another key.
"$BIN" key generate --out other.key > /dev/null
must_fail "a checkpoint checked with another public key" export.jsonl --checkpoint first.checkpoint --public-key other.key.pub

# An inclusion proof with one byte changed.
"$PY" - <<'PYEOF'
import json
proof = json.load(open("inclusion.json")); h = proof["proof"][0]; proof["proof"][0] = ("0" if h[0] != "0" else "1") + h[1:]
json.dump(proof, open("bad-inclusion.json", "w"))
PYEOF
must_fail "a corrupted inclusion proof" export.jsonl --checkpoint first.checkpoint --public-key audit.key.pub --inclusion bad-inclusion.json

# A signed command's arguments swapped, and the chain recomputed to hide it.
"$PY" - "$VERIFY" <<'PYEOF'
import hashlib, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("v", sys.argv[1]); v = importlib.util.module_from_spec(spec); spec.loader.exec_module(v)
events = [json.loads(l) for l in open("export.jsonl")]
index = next(i for i, e in enumerate(events) if '"signature":' in e["metadata"])
events[index]["metadata"] = events[index]["metadata"].replace("late@contoso.com", "evil@contoso.com")
previous = bytes.fromhex(events[index]["previousHash"])
for e in events[index:]:
    e["previousHash"] = previous.hex(); e["hash"] = hashlib.sha256(previous + v.canonical(e)).hexdigest(); previous = bytes.fromhex(e["hash"])
open("resigned.jsonl", "w").write("".join(json.dumps(e) + "\n" for e in events))
PYEOF
must_fail "a signed command's arguments swapped (chain recomputed)" resigned.jsonl

echo "independent verifier: all checks passed"
