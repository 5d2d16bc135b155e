#!/usr/bin/env python3
"""SyncLedger's reliability trials: the ledger tried as an unlucky operator,
a crowd of admins and an attacker would, through the real binary.

    tools/trials.py                 # the full run (RELIABILITY.md quotes it)
    tools/trials.py --quick         # a reduced run of every trial (CI)
    tools/trials.py crash tamper    # only some trials

Trials:
  crash    kill -9 during admin commands (then the documented retry with the
           same --command-id), during `projections rebuild`, and during the
           first command on a new path; afterwards no acknowledged command is
           lost or recorded twice, the chain and every read model verify, and
           no path is left unusable.
  compete  4, 8 and 16 processes x 50 commands each, on different mailboxes
           (users) and on the same mailbox; every acknowledged command is in
           the log exactly once, no stream version or position is duplicated.
  tamper   seeded edits of every kind to copies of a ledger, made the way an
           attacker with the file would (dropping and re-creating triggers,
           recomputing the chain); `log verify` must report each inside the
           chain at exactly the edited position, and the head-moving ones when
           given the head kept elsewhere (--expect-head).
  hostile  hostile and malformed inputs; none may crash the binary, each ends
           with its documented exit code, and none changes the log beyond one
           audited denial.

Exit status 0 when every check holds, 1 otherwise. The figures are printed and
written as JSON (--report FILE). Only the Python 3 standard library is used.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORLD = [
    ["tenant", "create", "Contoso", "--admin", "gabriela@contoso.com", "--display-name", "Gabriela"],
    ["env", "provision", "contoso-prod", "--as", "gabriela@contoso.com"],
    ["directory", "add-user", "sam@contoso.com", "--as", "gabriela@contoso.com"],
    ["role", "assign", "System Administrator", "--user", "sam@contoso.com", "--as", "gabriela@contoso.com"],
    ["directory", "add-user", "alice@contoso.com", "--as", "gabriela@contoso.com"],
    ["exchange", "add-mailbox", "alice@contoso.com", "--as", "gabriela@contoso.com"],
    ["mailbox", "approve", "alice@contoso.com", "--as", "gabriela@contoso.com"],
]


class Failure(Exception):
    pass


class Trials:
    def __init__(self, binary, work, seed, quick):
        self.binary = binary
        self.work = work
        self.random = random.Random(seed)
        self.quick = quick
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCLEDGER_")}
        self.problems = []

    # -- running the binary ------------------------------------------------

    def run(self, args, db, timeout=300):
        return subprocess.run([self.binary] + args + ["--db", db], env=self.env, capture_output=True, text=True, timeout=timeout)

    def start(self, args, db):
        return subprocess.Popen([self.binary] + args + ["--db", db], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def must(self, args, db, codes=(0,)):
        result = self.run(args, db)
        if result.returncode not in codes:
            raise Failure(f"{' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
        return result

    def seeded(self, name):
        path = os.path.join(self.work, name)
        for command in WORLD:
            self.must(command, path)
        return path

    def head(self, db):
        result = self.must(["log", "head", "--json"], db)
        document = json.loads(result.stdout)
        return document["position"], document["hash"]

    def export(self, db):
        result = self.must(["log", "export"], db)
        return [json.loads(line) for line in result.stdout.splitlines() if line]

    def verify(self, db, *extra):
        result = self.run(["log", "verify", "--json", *extra], db)
        try:
            document = json.loads(result.stdout) if result.stdout.strip() else {}
        except json.JSONDecodeError:
            document = {"unparsed": result.stdout}
        return result.returncode, document

    def shadow_tables(self, db):
        """The tables a rebuild copies into before its swap (`T__rebuild_XXXXXXXX`)."""
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB '*__rebuild_*'")]
        finally:
            connection.close()

    def problem(self, text):
        self.problems.append(text)
        print(f"  PROBLEM: {text}", flush=True)

    @staticmethod
    def command_ids(events):
        ids = {}
        for event in events:
            command = str(json.loads(event["metadata"]).get("commandID", "")).lower()
            ids.setdefault(command, []).append(event)
        return ids

    # -- crash ---------------------------------------------------------------

    def crash(self):
        kills = 12 if self.quick else 200
        rebuild_kills = 4 if self.quick else 50
        new_path_kills = 12 if self.quick else 100
        figures = {}

        # A. Kills during admin commands, each followed by the documented retry.
        # The kill lands at a random moment within one command's measured run
        # time; attempts continue until `kills` commands were killed mid-way.
        db = self.seeded("crash.sqlite")
        durations = []
        for n in range(5):
            started = time.monotonic()
            self.must(["directory", "add-user", f"warm-{n}@contoso.com", "--as", "gabriela@contoso.com"], db)
            durations.append(time.monotonic() - started)
        window = sorted(durations)[2] * 1.1
        acknowledged = {}     # command id -> what it must have recorded (user or test)
        killed = committed_before_kill = finished_before_kill = attempts = 0
        while killed < kills and attempts < kills * 4:
            n = attempts
            attempts += 1
            command_id = str(uuid.uuid4())
            if n % 4 == 3:
                args = ["mailbox", "test-enable", "alice@contoso.com", "--as", "sam@contoso.com"]
                expectation = ("MailboxTestCompleted", "mailbox:contoso-prod/user:alice@contoso.com")
            else:
                args = ["directory", "add-user", f"crash-{n}@contoso.com", "--as", "gabriela@contoso.com"]
                expectation = ("UserAdded", f"crash-{n}@contoso.com")
            args += ["--command-id", command_id]
            process = self.start(args, db)
            time.sleep(self.random.uniform(0, window))
            if process.poll() is None:
                process.kill()
                killed += 1
            else:
                finished_before_kill += 1
            process.wait()
            # The retry recipe: the same command with the same id until it answers.
            retry = self.must(args + ["--json"], db)
            if json.loads(retry.stdout).get("repeat") and process.returncode != 0:
                committed_before_kill += 1
            acknowledged[command_id] = expectation
        events = self.export(db)
        by_command = self.command_ids(events)
        lost = duplicated = 0
        for command_id, (event_type, subject) in acknowledged.items():
            matching = [e for e in by_command.get(command_id, []) if e["type"] == event_type]
            if not matching:
                lost += 1
                self.problem(f"crash: acknowledged command {command_id} ({event_type} {subject}) is not in the log")
            elif len(matching) > 1:
                duplicated += 1
                self.problem(f"crash: command {command_id} recorded {len(matching)} times")
        users = [json.loads(e["data"]).get("user") for e in events if e["type"] == "UserAdded"]
        duplicated_users = len(users) - len(set(users))
        if duplicated_users:
            self.problem(f"crash: {duplicated_users} users added twice")
        status, document = self.verify(db, "--projections")
        if status != 0:
            self.problem(f"crash: verify --projections after the command kills: {document}")
        figures["commands"] = {"commands started": attempts, "one command takes (s)": round(window / 1.1, 3), "killed mid-command": killed, "finished before the kill": finished_before_kill,
                               "killed but already committed (the retry said repeat)": committed_before_kill,
                               "acknowledged commands checked": len(acknowledged), "lost": lost,
                               "recorded twice": duplicated + duplicated_users, "verify --projections": "intact" if status == 0 else "BROKEN"}

        # B. Kills during a rebuild of every projection.
        started = time.monotonic()
        self.must(["projections", "rebuild"], db)
        rebuild_seconds = time.monotonic() - started
        rebuild_killed = broken_after_rebuild = rebuild_attempts = left_shadows = 0
        while rebuild_killed < rebuild_kills and rebuild_attempts < rebuild_kills * 4:
            rebuild_attempts += 1
            process = self.start(["projections", "rebuild"], db)
            time.sleep(self.random.uniform(0, rebuild_seconds * 1.2))
            if process.poll() is None:
                process.kill()
                rebuild_killed += 1
            process.wait()
            left_shadows += bool(self.shadow_tables(db))
            status, document = self.verify(db, "--projections")
            query = self.run(["status", "--json"], db)
            if status != 0 or query.returncode != 0:
                broken_after_rebuild += 1
                self.problem(f"crash: after a killed rebuild verify={status} status={query.returncode}: {document} {query.stderr.strip()}")
        # A killed rebuild may leave its shadow tables; the next complete one drops them all.
        self.must(["projections", "rebuild"], db)
        leftovers = self.shadow_tables(db)
        if leftovers:
            self.problem(f"crash: a complete rebuild left shadow tables behind: {leftovers}")
        figures["rebuild"] = {"rebuilds started": rebuild_attempts, "killed mid-rebuild": rebuild_killed,
                              "one rebuild takes (s)": round(rebuild_seconds, 3), "left a read model differing from the log": broken_after_rebuild,
                              "killed rebuilds that left shadow tables": left_shadows,
                              "shadow tables left after the next complete rebuild": len(leftovers)}

        # C. Kills during the first command on a new path.
        bricked = new_killed = existed = n = 0
        new_folder = os.path.join(self.work, "new-paths")
        os.makedirs(new_folder)
        while new_killed < new_path_kills and n < new_path_kills * 4:
            n += 1
            path = os.path.join(new_folder, f"new-{n}.sqlite")
            first = WORLD[0]
            process = self.start(first, path)
            time.sleep(self.random.uniform(0, 0.04))
            if process.poll() is None:
                process.kill()
                new_killed += 1
            process.wait()
            existed += os.path.exists(path)
            retry = self.run(first, path)
            status, document = self.verify(path)
            if retry.returncode not in (0, 78) or status != 0:
                bricked += 1
                self.problem(f"crash: new path {n} unusable: retry {retry.returncode} {retry.stderr.strip()}; verify {status} {document}")
        leftovers = [name for name in os.listdir(new_folder) if ".creating-" in name and not name.endswith(("-wal", "-shm"))]
        figures["new path"] = {"first commands started": n, "killed": new_killed,
                               "path existed when killed (a complete ledger)": existed,
                               "killed mid-creation (temporary file left, never opened)": len(leftovers),
                               "paths left unusable": bricked}
        return figures

    # -- compete ---------------------------------------------------------------

    def compete(self):
        counts = (4,) if self.quick else (4, 8, 16)
        per_worker = 8 if self.quick else 50
        figures = {}
        for mode in ("different users", "same mailbox"):
            for workers in counts:
                db = self.seeded(f"compete-{mode.replace(' ', '-')}-{workers}.sqlite")
                outcomes = {}
                latencies = []
                lock = threading.Lock()

                def worker(w):
                    for j in range(per_worker):
                        command_id = str(uuid.uuid4())
                        if mode == "different users":
                            args = ["directory", "add-user", f"w{w}-{j}@contoso.com", "--as", "gabriela@contoso.com"]
                        else:
                            args = ["mailbox", "test-enable", "alice@contoso.com", "--as", "sam@contoso.com"]
                        started = time.monotonic()
                        result = self.run(args + ["--command-id", command_id], db)
                        with lock:
                            latencies.append(time.monotonic() - started)
                            outcomes[command_id] = (result.returncode, result.stderr.strip())

                with ThreadPoolExecutor(max_workers=workers) as pool:
                    list(pool.map(worker, range(workers)))
                events = self.export(db)
                by_command = self.command_ids(events)
                codes = {}
                lost = duplicated = 0
                for command_id, (code, stderr) in outcomes.items():
                    codes[code] = codes.get(code, 0) + 1
                    if code != 0:
                        self.problem(f"compete: {mode} x{workers}: a command exited {code}: {stderr}")
                        continue
                    wanted = "UserAdded" if mode == "different users" else "MailboxTestCompleted"
                    matching = [e for e in by_command.get(command_id, []) if e["type"] == wanted]
                    if not matching:
                        lost += 1
                    elif len(matching) > 1:
                        duplicated += 1
                connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
                pairs = connection.execute("SELECT count(*), count(DISTINCT stream_id || '#' || stream_version), max(position), count(*) FROM events").fetchone()
                connection.close()
                duplicate_versions = pairs[0] - pairs[1]
                gaps = pairs[2] - pairs[3]
                status, document = self.verify(db, "--projections")
                if lost or duplicated or duplicate_versions or gaps or status != 0:
                    self.problem(f"compete: {mode} x{workers}: lost {lost}, twice {duplicated}, duplicate versions {duplicate_versions}, gaps {gaps}, verify {status} {document}")
                latencies.sort()
                figures[f"{mode}, {workers} processes"] = {
                    "commands": len(outcomes), "exit codes": {str(k): v for k, v in sorted(codes.items())},
                    "acknowledged commands missing from the log": lost, "recorded twice": duplicated,
                    "duplicate stream versions": duplicate_versions, "position gaps": gaps,
                    "verify --projections": "intact" if status == 0 else "BROKEN",
                    "median / slowest command (s)": [round(latencies[len(latencies) // 2], 3), round(latencies[-1], 3)]}
        return figures

    # -- tamper ----------------------------------------------------------------

    @staticmethod
    def canonical(row):
        position, stream, version, event_id, type_, schema, data, metadata, recorded = row
        def text(value):
            raw = value.encode("utf-8")
            return struct.pack(">I", len(raw)) + raw
        return (b"SYNCLEDGER-EVENT-V1\n" + struct.pack(">Q", position) + text(stream) + struct.pack(">Q", version) + text(event_id)
                + text(type_) + struct.pack(">Q", schema) + text(data) + text(metadata) + struct.pack(">q", recorded))

    def tamper(self):
        per_kind = 1 if self.quick else 8
        base = self.seeded("tamper-base.sqlite")
        for n in range(30):
            self.must(["directory", "add-user", f"t{n}@contoso.com", "--as", "gabriela@contoso.com"], base)
        self.must(["mailbox", "test-enable", "alice@contoso.com", "--as", "sam@contoso.com"], base)
        clean = os.path.join(self.work, "tamper-clean.sqlite")
        self.must(["log", "backup", clean], base)
        head_position, head_hash = self.head(clean)
        expect_head = f"{head_position}:{head_hash}"

        def edit(path, statements, checks_off=False):
            connection = sqlite3.connect(path, isolation_level=None)
            triggers = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").fetchall()
            for name, _ in triggers:
                connection.execute(f"DROP TRIGGER {name}")
            if checks_off:
                connection.execute("PRAGMA ignore_check_constraints = ON")
            for statement, arguments in statements:
                connection.execute(statement, arguments)
            for _, sql in triggers:
                connection.execute(sql)
            connection.close()

        def row(path, position):
            connection = sqlite3.connect(path)
            found = connection.execute("SELECT position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, previous_hash, hash FROM events WHERE position = ?", (position,)).fetchone()
            connection.close()
            return found

        def rechain(path, start):
            connection = sqlite3.connect(path, isolation_level=None)
            triggers = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").fetchall()
            for name, _ in triggers:
                connection.execute(f"DROP TRIGGER {name}")
            rows = connection.execute("SELECT position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at, previous_hash FROM events WHERE position >= ? ORDER BY position", (start,)).fetchall()
            previous = rows[0][9]
            for r in rows:
                digest = hashlib.sha256(bytes(previous) + self.canonical(r[:9])).digest()
                connection.execute("UPDATE events SET previous_hash = ?, hash = ? WHERE position = ?", (previous, digest, r[0]))
                previous = digest
            for _, sql in triggers:
                connection.execute(sql)
            connection.close()

        kinds = {}
        for index in range(per_kind):
            for name in ["data", "metadata", "recorded-at", "stream-version", "type", "event-id-case", "event-id-malformed",
                         "delete-row", "previous-hash", "hash", "invalid-json", "dropped-trigger", "truncate-tail",
                         "rewrite-and-rechain", "read-model-row"]:
                copy = os.path.join(self.work, f"tamper-{name}-{index}.sqlite")
                shutil.copyfile(clean, copy)
                position = self.random.randint(2, head_position - 1)
                original = row(copy, position)
                detected_alone = True
                expected = position
                projections = False
                if name == "data":
                    edit(copy, [("UPDATE events SET data = json_set(data, '$.tampered', 1) WHERE position = ?", (position,))])
                elif name == "metadata":
                    edit(copy, [("UPDATE events SET metadata = json_set(metadata, '$.actor', 'mallory@contoso.com') WHERE position = ?", (position,))])
                elif name == "recorded-at":
                    edit(copy, [("UPDATE events SET recorded_at = recorded_at + 1 WHERE position = ?", (position,))])
                elif name == "stream-version":
                    edit(copy, [("UPDATE events SET stream_version = stream_version + 1000 WHERE position = ?", (position,))])
                elif name == "type":
                    edit(copy, [("UPDATE events SET type = 'SomethingElse' WHERE position = ?", (position,))])
                elif name == "event-id-case":
                    edit(copy, [("UPDATE events SET event_id = upper(event_id) WHERE position = ?", (position,))])
                elif name == "event-id-malformed":
                    edit(copy, [("UPDATE events SET event_id = 'not-a-uuid-' || position WHERE position = ?", (position,))])
                elif name == "delete-row":
                    edit(copy, [("DELETE FROM events WHERE position = ?", (position,))])
                elif name == "previous-hash":
                    edit(copy, [("UPDATE events SET previous_hash = zeroblob(32) WHERE position = ?", (position,))])
                elif name == "hash":
                    edit(copy, [("UPDATE events SET hash = zeroblob(32) WHERE position = ?", (position,))])
                elif name == "invalid-json":
                    edit(copy, [("UPDATE events SET data = substr(data, 1, length(data) - 1) WHERE position = ?", (position,))], checks_off=True)
                elif name == "dropped-trigger":
                    connection = sqlite3.connect(copy, isolation_level=None)
                    connection.execute("DROP TRIGGER events_no_delete")
                    connection.close()
                    expected = 0
                elif name == "truncate-tail":
                    edit(copy, [("DELETE FROM events WHERE position >= ?", (position,))])
                    detected_alone = False
                    expected = position - 1
                elif name == "rewrite-and-rechain":
                    edit(copy, [("UPDATE events SET metadata = json_set(metadata, '$.actor', 'mallory@contoso.com') WHERE position = ?", (position,))])
                    rechain(copy, position)
                    detected_alone = False
                    expected = head_position
                elif name == "read-model-row":
                    connection = sqlite3.connect(copy, isolation_level=None)
                    connection.execute("UPDATE mailbox_status SET email_status = 'Rejected'")
                    connection.close()
                    projections = True
                    expected = None
                status, document = self.verify(copy, *(["--projections"] if projections else []))
                status_head, document_head = self.verify(copy, "--expect-head", expect_head)
                reported = document.get("position")
                reported_head = document_head.get("position")
                if projections:
                    ok = status == 76 and document.get("projections", {}).get("intact") is False
                elif detected_alone:
                    ok = status == 76 and reported == expected and status_head == 76
                else:
                    # Undetectable from inside the file by design; the head kept elsewhere catches it.
                    ok = status == 0 and status_head == 76 and reported_head == expected
                if not ok:
                    self.problem(f"tamper: {name} at #{position}: verify {status} {document}; with --expect-head {status_head} {document_head}")
                entry = kinds.setdefault(name, {"edits": 0, "detected at the exact position": 0,
                                                 "caught only with --expect-head (by design)": 0, "missed": 0})
                entry["edits"] += 1
                if not ok:
                    entry["missed"] += 1
                elif detected_alone:
                    entry["detected at the exact position"] += 1
                else:
                    entry["caught only with --expect-head (by design)"] += 1
                os.remove(copy)
        return kinds

    # -- hostile ---------------------------------------------------------------

    def hostile(self):
        db = self.seeded("hostile.sqlite")
        zeros = "0" * 64
        secret_dir = os.path.join(self.work, "secrets")
        os.makedirs(secret_dir, exist_ok=True)
        empty_secret = os.path.join(secret_dir, "empty")
        open(empty_secret, "w").close()
        names_file = os.path.join(secret_dir, "names")
        with open(names_file, "w") as handle:
            handle.write("alice@contoso.com\n" * 20000)
        as_gabriela = ["--as", "gabriela@contoso.com"]
        as_sam = ["--as", "sam@contoso.com"]
        # (name, arguments, allowed exit codes, events it may append)
        cases = [
            ("anchor at the smallest integer", ["log", "verify", f"--anchor=-9223372036854775808:{zeros}"], {64}, 0),
            ("anchor at -1", ["log", "verify", f"--anchor=-1:{zeros}"], {64}, 0),
            ("anchor at #0", ["log", "verify", f"--anchor=#0:{zeros}"], {64}, 0),
            ("anchor with a short hash", ["log", "verify", "--anchor=3:abcd"], {64}, 0),
            ("expect-head beyond the log", ["log", "verify", f"--expect-head=999999:{zeros}"], {76}, 0),
            ("as-of an impossible date", ["status", "--as-of", "2025-02-31T00:00:00Z"], {64}, 0),
            ("as-of an impossible offset", ["status", "--as-of", "2025-03-01T00:00:00+99:99"], {64}, 0),
            ("as-of #+5", ["status", "--as-of", "#+5"], {64}, 0),
            ("as-of beyond the head", ["status", "--as-of", "#999999"], {64}, 0),
            ("as-of a huge position", ["status", "--as-of", "#99999999999999999999"], {64}, 0),
            ("history of an unknown stream", ["history", "mailbox:nowhere"], {65}, 0),
            ("an empty --db", ["status", "--db", ""], {64}, 0),
            ("a folder as --db", ["status", "--db", secret_dir], {74}, 0),
            ("a query on a missing file", ["status", "--db", os.path.join(self.work, "typo.sqlite")], {74}, 0),
            ("escape sequences in a queue name", ["queue", "create", "Sup\x1b[2Jport", "--email", "s@contoso.com", *as_sam], {78}, 1),
            ("a newline in a queue name", ["queue", "create", "Support\n#99 forged row", "--email", "s@contoso.com", *as_sam], {78}, 1),
            ("a zero-width look-alike UPN", ["directory", "add-user", "alice\u200b@contoso.com", *as_gabriela], {78}, 1),
            ("a right-to-left override in a name", ["team", "create", "Sales\u202eevil", *as_sam], {78}, 1),
            ("SQL in a name", ["team", "create", "'; DROP TABLE events; --", *as_sam], {0}, 1),
            ("a 100,000-character team name", ["team", "create", "x" * 100000, *as_sam], {0, 78}, 1),
            ("3,000 mailbox names on the command line", ["mailbox", "test-enable", *as_sam] + ["alice@contoso.com"] * 3000, {64}, 0),
            ("20,000 names through --mailboxes-from", ["mailbox", "test-enable", "--mailboxes-from", names_file, *as_sam], {0}, 2),
            ("a command id that is not a UUID", ["mailbox", "approve", "alice@contoso.com", "--command-id", "x", *as_gabriela], {64}, 0),
            ("an empty secret file", ["profile", "create", "P", "--auth", "oauth", "--tenant-id", "t", "--application-id", "a",
                                      "--client-secret-file", empty_secret, *as_sam], {64}, 0),
            ("a missing secret file", ["profile", "create", "P", "--auth", "oauth", "--tenant-id", "t", "--application-id", "a",
                                       "--client-secret-file", os.path.join(secret_dir, "missing"), *as_sam], {64}, 0),
            ("a negative connection limit", ["profile", "create", "P2", "--max-connections=-1", *as_sam], {78}, 1),
            ("an unknown server type", ["profile", "create", "P3", "--type", "gopher", *as_sam], {64}, 0),
            ("an unknown actor", ["mailbox", "approve", "alice@contoso.com", "--as", "nobody@contoso.com"], {65, 77, 78}, 1),
            ("no actor", ["mailbox", "approve", "alice@contoso.com"], {64}, 0),
            ("a programmatic approval carrying another change", ["mailbox", "approve", "alice@contoso.com", "--source", "programmatic",
                                                                 "--also-changing", "emailaddress", *as_gabriela], {78}, 1),
            ("approving an approved address without the right", ["mailbox", "approve", "alice@contoso.com", *as_sam], {77}, 1),
            ("a lock wait out of range", ["status", "--lock-wait", "-5"], {64}, 0),
            ("init over an existing ledger", ["init", "--simulation"], {64}, 0),
            ("a backup over an existing file", ["log", "backup", db], {64}, 0),
        ]
        env_cases = [
            ("SYNCLEDGER_NOW on a real ledger", ["directory", "add-user", "x@contoso.com", *as_gabriela], {"SYNCLEDGER_NOW": "9999-12-31T00:00:00Z"}, {64}, 0),
            ("SYNCLEDGER_NOW that is not a time", ["status"], {"SYNCLEDGER_NOW": "tomorrow"}, {64}, 0),
        ]
        figures = {"inputs tried": 0, "crashed (signal or trap)": 0, "unexpected exit code": 0, "log changed beyond its audited denial": 0}
        rows = []
        for name, arguments, codes, may_append in cases + [(n, a, c, m) for n, a, e, c, m in env_cases]:
            extra_env = next((e for n, a, e, c, m in env_cases if n == name), {})
            before, _ = self.head(db)
            command = [self.binary] + arguments + ([] if "--db" in arguments else ["--db", db])
            result = subprocess.run(command, env={**self.env, **extra_env}, capture_output=True, text=True, timeout=300)
            after, _ = self.head(db)
            figures["inputs tried"] += 1
            crashed = result.returncode < 0 or result.returncode >= 128
            unexpected = result.returncode not in codes
            changed = after - before > may_append
            if crashed:
                figures["crashed (signal or trap)"] += 1
            if unexpected:
                figures["unexpected exit code"] += 1
            if changed:
                figures["log changed beyond its audited denial"] += 1
            if crashed or unexpected or changed:
                self.problem(f"hostile: {name}: exit {result.returncode} (expected {sorted(codes)}), log +{after - before}: {result.stderr.strip()[:300]}")
            rows.append({"input": name, "exit": result.returncode, "events appended": after - before})
        status, document = self.verify(db, "--projections")
        if status != 0:
            self.problem(f"hostile: the ledger does not verify afterwards: {document}")
        figures["verify --projections afterwards"] = "intact" if status == 0 else "BROKEN"
        figures["inputs"] = rows
        return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trials", nargs="*", metavar="TRIAL", help="crash, compete, tamper, hostile (default: all)")
    parser.add_argument("--quick", action="store_true", help="a reduced run of each trial (a few minutes; CI)")
    parser.add_argument("--binary", help="the syncledger binary (default: build and use .build/release/syncledger)")
    parser.add_argument("--seed", type=int, default=20261201, help="seed of every random choice (kill delays, edit positions)")
    parser.add_argument("--report", help="also write the figures as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    options = parser.parse_args()
    known = ["crash", "compete", "tamper", "hostile"]
    chosen = options.trials or known
    unknown = [name for name in chosen if name not in known]
    if unknown:
        parser.error(f"unknown trial(s): {', '.join(unknown)}; choose from {', '.join(known)}")
    binary = options.binary
    if binary is None:
        subprocess.run(["swift", "build", "-c", "release", "--product", "syncledger"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, ".build", "release", "syncledger")
    binary = os.path.abspath(binary)
    work = tempfile.mkdtemp(prefix="syncledger-trials-")
    trials = Trials(binary, work, options.seed, options.quick)
    report = {"binary": binary, "seed": options.seed, "quick": options.quick}
    try:
        for name in chosen:
            print(f"== {name}", flush=True)
            started = time.monotonic()
            try:
                figures = getattr(trials, name)()
            except Failure as failure:
                trials.problem(f"{name}: {failure}")
                figures = {"aborted": str(failure)}
            figures["seconds"] = round(time.monotonic() - started, 1)
            report[name] = figures
            print(json.dumps(figures, indent=2, ensure_ascii=False), flush=True)
    finally:
        if options.keep:
            print(f"working folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["problems"] = trials.problems
    if options.report:
        with open(options.report, "w") as handle:
            json.dump(report, handle, indent=2, ensure_ascii=False)
    print(f"\n{len(trials.problems)} problem(s)")
    return 1 if trials.problems else 0


if __name__ == "__main__":
    sys.exit(main())
