#!/usr/bin/env python3
"""The table of a bench/compare.sh run: the median of every measurement over
its repetitions, and its ratio to the C ceiling's median in the same run.

    bench/summarize.py bench/.work/results/RUN.jsonl [--markdown]

Exits 1 when the implementations disagree: every replay of the same N must
fold to the same projection, every as-of run of the same N must give the same
(approved, incoming = Success) counts, and no facade run may report failures.
"""
import json
import statistics
import sys
from collections import defaultdict

NAMES = {"c": "C ceiling", "sw": "SyncLedger", "base": "SyncLedger, the build before", "es": "eventsourcing 9.5.6"}
ORDER = {"append1": 0, "batch": 1, "commands": 2, "replay": 3, "asof": 4}


def read(path):
    runs, machine, sizes = defaultdict(list), {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["label"] == "machine":
                machine = record["result"]
            elif record["label"] == "dbsize":
                sizes[record["result"]["db"]] = record["result"]["bytes"]
            else:
                runs[record["label"]].append(record)
    return runs, machine, sizes


def figure(test, result):
    """The measured figure and its unit; larger is better except for µs."""
    if test == "asof":
        return result["median_us"], "µs"
    if test == "commands":
        return result["commands_per_s"], "cmd/s"
    return result["events_per_s"], "ev/s"


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 64
    runs, machine, sizes = read(argv[0])
    problems = []
    medians = {}
    for label, records in runs.items():
        test = label.split(":")[0]
        medians[label] = statistics.median(figure(test, r["result"])[0] for r in records)

    def baseline(label):
        """The C run a figure is compared with: the same test and parameters;
        for facade commands, C's single-event transactions at FULL."""
        parts = label.split(":")
        if parts[0] == "commands":
            return "append1:c:FULL"
        return ":".join([parts[0], "c"] + parts[2:])

    if machine:
        print("machine: " + ", ".join(f"{k}={v}" for k, v in machine.items()))
    print()
    print("| measure | implementation | runs | median | min | max | unit | vs C | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    impls = {"c": 0, "sw": 1, "base": 2, "es": 3}
    for label in sorted(runs, key=lambda l: (ORDER.get(l.split(":")[0], 9), l.split(":")[2:], impls.get(l.split(":")[1], 9), l)):
        records = runs[label]
        parts = label.split(":")
        test, impl, params = parts[0], parts[1], ":".join(parts[2:])
        values = [figure(test, r["result"])[0] for r in records]
        unit = figure(test, records[0]["result"])[1]
        median = medians[label]
        base = medians.get(baseline(label))
        ratio = ""
        if base and impl != "c":
            ratio = f"{median / base:.1f}× slower" if unit == "µs" else f"{median / base:.3f}×"
        rss = [r["time"]["max_rss_kb"] / 1024 for r in records if r.get("time")]
        measure = {"append1": "append, 1 event/txn", "batch": "append, batched", "replay": "replay into the fold",
                   "asof": "one mailbox as of P", "commands": "Test & Enable via facade (clients)"}.get(test, test)
        fmt = (lambda v: f"{v:,.1f}") if unit == "µs" else (lambda v: f"{v:,.0f}")
        rss_text = f"{statistics.median(rss):.1f}" if rss else ""
        print(f"| {measure} {params} | {NAMES.get(impl, impl)} | {len(values)} | {fmt(median)} | {fmt(min(values))} | "
              f"{fmt(max(values))} | {unit} | {ratio} | {rss_text} |")
        if test == "commands":
            failed = sum(r["result"].get("failures", 0) for r in records)
            if failed:
                problems.append(f"{label}: {failed} commands failed")

    if sizes:
        print()
        print("| database | bytes | bytes/event |")
        print("|---|---|---|")
        n, n_replay = machine.get("N"), machine.get("N_REPLAY")
        for name, size in sorted(sizes.items()):
            events = n_replay if name.startswith("r-") else n
            per = f"{size / events:,.0f}" if events else ""
            print(f"| {name} | {size:,} | {per} |")

    projections, answers = defaultdict(dict), defaultdict(dict)
    for label, records in runs.items():
        parts = label.split(":")
        for r in records:
            if parts[0] == "replay":
                projections[parts[2]].setdefault(json.dumps(r["result"]["projection"], sort_keys=True), []).append(parts[1])
            if parts[0] == "asof":
                answers[parts[2]].setdefault((r["result"]["approved_at_p"], r["result"]["incoming_success_at_p"]), []).append(parts[1])
    print()
    for n, seen in sorted(projections.items()):
        print(f"replay N={n}: {'the same projection from every run' if len(seen) == 1 else 'PROJECTIONS DIFFER'}: "
              + "; ".join(f"{sorted(set(impls))} {p}" for p, impls in seen.items()))
        if len(seen) != 1:
            problems.append(f"replay N={n}: the projections differ")
    for n, seen in sorted(answers.items()):
        print(f"as-of N={n}: (approved, incoming=Success) "
              + ("the same from every run" if len(seen) == 1 else "DIFFER") + ": "
              + "; ".join(f"{sorted(set(impls))} {a}" for a, impls in seen.items()))
        if len(seen) != 1:
            problems.append(f"as-of N={n}: the answers differ")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
