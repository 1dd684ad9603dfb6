"""The fidelity harness's command line.

python -m tests.fidelity record [--missing] [CATEGORY|CASE_ID ...]
    Run the cases on real Spark and store its answers in tests/fidelity/answers/.
    --missing: only cases without a current answer (new, or SQL/tables changed).
python -m tests.fidelity check [-v] [CATEGORY|CASE_ID ...]
    Run the cases on Tidemill's DuckDB path and compare them with the recorded answers;
    print every case that is not identical (or all with -v), then a summary.
python -m tests.fidelity show CASE_ID
    Print one case in full: SQL, DuckDB SQL, Spark's answer, Tidemill's answer.
python -m tests.fidelity report
    Check every case, print the table per category, write docs/spark-fidelity.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from tests.fidelity import answers, harness
from tests.fidelity import report as parity
from tests.fidelity.corpus_loader import CorpusError, Entry, load
from tests.fidelity.describe import describe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fidelity",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record Spark's answers")
    rec.add_argument("--missing", action="store_true", help="only cases without a current answer")
    rec.add_argument("names", nargs="*", metavar="CATEGORY|CASE_ID")
    chk = sub.add_parser("check", help="compare Tidemill with the recorded answers")
    chk.add_argument("-v", "--verbose", action="store_true", help="print identical cases too")
    chk.add_argument("names", nargs="*", metavar="CATEGORY|CASE_ID")
    shw = sub.add_parser("show", help="print one case in full")
    shw.add_argument("names", nargs="+", metavar="CASE_ID")
    sub.add_parser("report", help="the parity table; writes docs/spark-fidelity.md")
    args = parser.parse_args(argv)
    try:
        corpus = load()
        if args.command == "record":
            return record(corpus, args.names, missing=args.missing)
        if args.command == "check":
            return check(corpus, args.names, verbose=args.verbose)
        if args.command == "show":
            return check(corpus, args.names, verbose=True, full=True)
        return parity.main(corpus)
    except CorpusError as exc:
        print(f"corpus error: {exc}", file=sys.stderr)
        return 2


def record(corpus: Any, names: list[str], *, missing: bool) -> int:
    from tests.fidelity import spark

    entries = corpus.select(names)
    by_category: dict[str, list[Entry]] = {}
    for entry in entries:
        by_category.setdefault(entry.category, []).append(entry)
    todo: dict[str, list[Entry]] = {}
    for category, group in by_category.items():
        stored = answers.load(category)
        todo[category] = [
            e for e in group
            if not missing or e.case.id not in stored or answers.stale(e, stored[e.case.id])
        ]  # fmt: skip
    if not any(todo.values()):
        print("every selected case has a current answer")
        return 0
    invalid = 0
    started = time.monotonic()
    try:
        with harness.data_files(harness.all_tables(corpus)) as paths:
            spark.register(paths)
            print(f"Spark ready in {time.monotonic() - started:.1f} s", flush=True)
            for category, group in todo.items():
                stored = answers.load(category)
                known = {e.case.id for e in corpus.entries if e.category == category}
                stored = {k: v for k, v in stored.items() if k in known}
                for n, entry in enumerate(group, 1):
                    answer = spark.answer(entry.case.sql)
                    stored[entry.case.id] = answers.make(entry, answer)
                    if "error" in answer:
                        invalid += 1
                        print(
                            f"!!! INVALID CASE {entry.case.id}: Spark refuses it:\n"
                            f"    {entry.case.sql}\n    {answer['error'][:500]}",
                            flush=True,
                        )
                    if n % 20 == 0:  # a crash loses little
                        answers.save(category, stored)
                        print(f"{category}: {n}/{len(group)}", flush=True)
                answers.save(category, stored)
                print(
                    f"{category}: recorded {len(group)} case(s) → {answers.path(category)}",
                    flush=True,
                )
    finally:
        spark.stop()
    print(f"done in {time.monotonic() - started:.1f} s; {invalid} invalid case(s)")
    return 1 if invalid else 0


def check(corpus: Any, names: list[str], *, verbose: bool, full: bool = False) -> int:
    entries = corpus.select(names)
    counts: dict[str, int] = {}
    started = time.monotonic()
    for entry, record, outcome, verdict in harness.check(corpus, entries):
        counts[verdict.kind] = counts.get(verdict.kind, 0) + 1
        if verbose or verdict.kind != "identical":
            print(describe(entry, record, outcome, verdict, full=full))
    took = time.monotonic() - started
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    print(f"{len(entries)} case(s) in {took:.1f} s: {summary}")
    bad = sum(n for k, n in counts.items() if k not in ("identical", "refused"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
