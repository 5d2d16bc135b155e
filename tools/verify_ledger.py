#!/usr/bin/env python3
"""An independent verifier of SyncLedger exports, written from the README's
byte-level description (section "Proving the log to an outsider"), not from
SyncLedger's code.

    tools/verify_ledger.py EXPORT.jsonl
    tools/verify_ledger.py EXPORT.jsonl --checkpoint CHECKPOINT [--public-key KEY] [--inclusion PROOF.json]

EXPORT.jsonl is `syncledger log export --format jsonl`. It checks:
  * the hash chain: positions 1, 2, 3, … without gaps; every previousHash is the
    hash before it; every hash is SHA-256(previousHash || canonical bytes);
    recorded-at never decreases; each stream's versions count 1, 2, 3, …;
  * with --checkpoint: the checkpoint's Ed25519 signature (with --public-key, a
    key you hold — base64 or a file; otherwise the key the export itself
    registered under the signature's name, which proves less), that the export
    holds at least the checkpoint's events, and that the first N events' RFC 9162
    Merkle root equals the checkpoint's root;
  * with --inclusion (the JSON of `syncledger log prove '#N' --checkpoint … --json`):
    the inclusion proof, from the leaf recomputed out of the export's own event N
    to the checkpoint's root.
  * every command signature recorded in the metadata (README, "Signed
    commands"): its digest is SHA-256 of the recorded arguments' JSON, and it
    verifies with the key enrolled for the actor at that point; while signed
    mode is on, every command a person ran carries one.

Exit status 0 when everything holds, 1 with the first problem otherwise, 2 on
bad input. Needs Python 3 and, for signatures, the `cryptography` package.
"""
import argparse
import base64
import hashlib
import json
import struct
import sys


class Problem(Exception):
    pass


def canonical(event):
    """The canonical bytes of an event (README, "The canonical bytes")."""
    def text(value):
        raw = value.encode("utf-8")
        return struct.pack(">I", len(raw)) + raw
    return (b"SYNCLEDGER-EVENT-V1\n"
            + struct.pack(">Q", event["position"])
            + text(event["stream"])
            + struct.pack(">Q", event["streamVersion"])
            + text(event["id"])
            + text(event["type"])
            + struct.pack(">Q", event["schemaVersion"])
            + text(event["data"])
            + text(event["metadata"])
            + struct.pack(">q", event["recordedAtMicroseconds"]))


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves):
    """RFC 9162 §2.1.1, by a stack of complete subtrees."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    stack = []  # (height, hash)
    for leaf in leaves:
        height, value = 0, leaf
        while stack and stack[-1][0] == height:
            value = node_hash(stack.pop()[1], value)
            height += 1
        stack.append((height, value))
    value = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        value = node_hash(left, value)
    return value


def verify_inclusion(leaf, index, size, proof, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def read_export(path):
    events = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise Problem(f"{path}:{number}: not JSON: {error}")
    return events


def check_chain(events):
    previous = bytes(32)
    previous_time = None
    versions = {}
    for expected, event in enumerate(events, 1):
        where = f"#{event.get('position')}"
        if event["position"] != expected:
            raise Problem(f"{where}: expected position #{expected} (an event is missing or out of order)")
        if bytes.fromhex(event["previousHash"]) != previous:
            raise Problem(f"{where}: its previous hash is not the hash of #{expected - 1}")
        if hashlib.sha256(previous + canonical(event)).digest() != bytes.fromhex(event["hash"]):
            raise Problem(f"{where}: its hash does not match its content (the event was altered)")
        if previous_time is not None and event["recordedAtMicroseconds"] < previous_time:
            raise Problem(f"{where}: recorded before the event preceding it")
        version = versions.get(event["stream"], 0) + 1
        if event["streamVersion"] != version:
            raise Problem(f"{where}: stream {event['stream']} jumps to version {event['streamVersion']}, expected {version}")
        versions[event["stream"]] = version
        previous = bytes.fromhex(event["hash"])
        previous_time = event["recordedAtMicroseconds"]


def parse_checkpoint(text):
    """C2SP tlog-checkpoint in a C2SP signed note (README, "Checkpoints")."""
    if "\n\n" not in text:
        raise Problem("the checkpoint has no blank line before its signatures")
    body, signatures = text.split("\n\n", 1)
    lines = body.split("\n")
    if len(lines) < 3:
        raise Problem("the checkpoint lacks an origin, a size or a root")
    try:
        size = int(lines[1])
        root = base64.b64decode(lines[2], validate=True)
    except Exception:
        raise Problem("the checkpoint's size or root cannot be read")
    if len(root) != 32:
        raise Problem("the checkpoint's root is not a SHA-256 hash")
    parsed = []
    for line in signatures.split("\n"):
        if not line:
            continue
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014":
            raise Problem(f"not a signature line: {line}")
        raw = base64.b64decode(parts[2])
        parsed.append((parts[1], raw[:4], raw[4:]))
    return {"origin": lines[0], "size": size, "root": root, "body": (body + "\n").encode("utf-8"), "signatures": parsed}


def key_id(name, public_key):
    return hashlib.sha256(name.encode("utf-8") + b"\n\x01" + public_key).digest()[:4]


def check_signature(checkpoint, public_key, registered):
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise Problem("checking signatures needs the `cryptography` package (pip install cryptography)")
    for name, kid, signature in checkpoint["signatures"]:
        key = public_key if public_key is not None else registered.get(name)
        if key is None or kid != key_id(name, key):
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(signature, checkpoint["body"])
            return name
        except InvalidSignature:
            continue
    raise Problem("no signature of the checkpoint verifies with " + ("the given public key" if public_key is not None else "the keys the export registered"))


def check_command_signatures(events):
    """Every recorded command signature, and signed mode's rule."""
    keys, signed_mode, checked = {}, False, 0
    ledger_id = events[0]["hash"][:16] if events else ""
    for event in events:
        where = f"#{event['position']}"
        metadata = json.loads(event["metadata"])
        arguments = metadata.get("arguments")
        if arguments is not None and metadata.get("actor") != "system":
            signature = metadata.get("signature")
            if signature is not None:
                digest = hashlib.sha256(json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")).digest()
                if digest.hex() != signature["digest"]:
                    raise Problem(f"{where}: its command signature covers other arguments than the ones recorded")
                key = keys.get(metadata["actor"])
                if key is not None:
                    message = ("SYNCLEDGER-COMMAND-V1\n" + ledger_id + "\n" + signature["head"] + "\n" + metadata["commandID"].lower() + "\n"
                               + metadata["actor"] + "\n" + digest.hex() + "\n").encode("utf-8")
                    try:
                        from cryptography.exceptions import InvalidSignature
                        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
                    except ImportError:
                        raise Problem("checking signatures needs the `cryptography` package (pip install cryptography)")
                    try:
                        Ed25519PublicKey.from_public_bytes(key).verify(base64.b64decode(signature["value"]), message)
                    except InvalidSignature:
                        raise Problem(f"{where}: its command signature does not verify with {metadata['actor']}'s enrolled key")
                    checked += 1
                elif signed_mode:
                    raise Problem(f"{where}: its command signature is by {metadata['actor']}, who had no enrolled key")
            elif signed_mode and event["type"] != "CommandRefused":
                raise Problem(f"{where}: the command ran in signed mode without a signature")
        if event["type"] == "SigningKeyEnrolled":
            data = json.loads(event["data"])
            keys[data["user"]] = base64.b64decode(data["publicKey"])
        elif event["type"] == "SignedModeChanged":
            signed_mode = json.loads(event["data"])["enabled"]
    return checked


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("export", help="a `syncledger log export --format jsonl` file")
    parser.add_argument("--checkpoint", help="a checkpoint printed by `syncledger log checkpoint`")
    parser.add_argument("--public-key", help="the checkpoint key's public half (base64, or a file holding it)")
    parser.add_argument("--inclusion", help="the JSON of `syncledger log prove '#N' --checkpoint … --json`")
    options = parser.parse_args()
    if options.inclusion and not options.checkpoint:
        parser.error("--inclusion needs --checkpoint")
    try:
        events = read_export(options.export)
        check_chain(events)
        print(f"chain: intact, {len(events)} events" + (f", head #{len(events)} {events[-1]['hash']}" if events else ""))
        print(f"command signatures: {check_command_signatures(events)} verified")
        leaves = [leaf_hash(canonical(event)) for event in events]
        print(f"merkle root of all {len(events)} events: {merkle_root(leaves).hex()}")
        if options.checkpoint:
            with open(options.checkpoint, encoding="utf-8") as handle:
                checkpoint = parse_checkpoint(handle.read())
            public_key = None
            if options.public_key:
                text = options.public_key
                try:
                    with open(text, encoding="utf-8") as handle:
                        text = handle.read().strip()
                except OSError:
                    pass
                public_key = base64.b64decode(text, validate=True)
            registered = {}
            for event in events:
                if event["type"] == "CheckpointKeyRegistered":
                    data = json.loads(event["data"])
                    registered[data["name"]] = base64.b64decode(data["publicKey"])
            ledger_id = "syncledger/" + events[0]["hash"][:16] if events else ""
            if checkpoint["origin"] != ledger_id:
                raise Problem(f"the checkpoint is of {checkpoint['origin']}, the export of {ledger_id}")
            signer = check_signature(checkpoint, public_key, registered)
            print(f"checkpoint: signed by {signer} ({'the key given' if public_key is not None else 'a key the export registered'})")
            size = checkpoint["size"]
            if size > len(events):
                raise Problem(f"the export holds {len(events)} events, the checkpoint {size}: the tail was removed")
            if merkle_root(leaves[:size]) != checkpoint["root"]:
                raise Problem(f"the first {size} events do not hash to the checkpoint's root: an event up to #{size} was rewritten")
            print(f"checkpoint: the first {size} events hash to its root; the export extends it by {len(events) - size} event(s)")
            if options.inclusion:
                with open(options.inclusion, encoding="utf-8") as handle:
                    proof = json.load(handle)
                position = int(proof["position"])
                if int(proof["treeSize"]) != size:
                    raise Problem(f"the inclusion proof is for a tree of {proof['treeSize']} events, the checkpoint has {size}")
                if not 1 <= position <= size:
                    raise Problem(f"#{position} is not in the checkpoint's {size} events")
                path = [bytes.fromhex(h) for h in proof["proof"]]
                if not verify_inclusion(leaves[position - 1], position - 1, size, path, checkpoint["root"]):
                    raise Problem(f"the inclusion proof of #{position} does not lead to the checkpoint's root")
                print(f"inclusion: #{position} is in the checkpoint's tree")
    except Problem as problem:
        print(f"FAILED: {problem}")
        return 1
    except (OSError, KeyError, ValueError) as error:
        print(f"cannot verify: {error}", file=sys.stderr)
        return 2
    print("verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
