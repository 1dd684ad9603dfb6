"""The parity report: a table per category and `docs/spark-fidelity.md`."""

from __future__ import annotations

import time
from pathlib import Path

from tests.fidelity import harness
from tests.fidelity.corpus_loader import Corpus, Entry
from tests.fidelity.verdict import VERDICTS, Verdict

DOC = Path(__file__).resolve().parents[2] / "docs" / "spark-fidelity.md"
COLUMNS = ("cases", *VERDICTS)

INTRO = """\
# Spark SQL fidelity

Tidemill runs Spark SQL on DuckDB. Every case of the differential corpus
(`tests/fidelity/corpus/`) runs on real Apache Spark 3.5.9 (`spark.sql.ansi.enabled=false`,
session time zone Asia/Shanghai, local mode) and on Tidemill's DuckDB path (the job create's
translation and output schema, a batch's sealed engine over Parquet datasources, the result
endpoint's reading of the result file) over the same files; values and output valtypes are
compared (column names too where the query names them). See `docs/decisions.md`, "Spark
fidelity harness", for the canonical form of values.

Verdicts: **identical**; **refused** at create with E18209 naming the construct; **unnamed** —
refused with E18209 but without naming what is unsupported; **different** — any other answer, or
a failed batch; **invalid** — Spark itself refuses the query; **unrecorded** — no current Spark
answer. The goal: ≥ 98% identical, 0 different, the rest refused.

This file is written by `make fidelity` (`python -m tests.fidelity report`); do not edit it.

## Working with the corpus

A case is `Case(id, sql, ordered=False, differs="", api=False)` in
`tests/fidelity/corpus/<category>.py` (`CASES`; extra tables in `TABLES`, named
`<category>_<name>`); the shared tables are documented in `tests/fidelity/tables.py`. Queries
must be deterministic (no `rand()`, `uuid()`, `current_timestamp()`; `ordered=True` only with
an ORDER BY that fixes every row's place).

    python -m tests.fidelity record CATEGORY|CASE_ID ...   # Spark's answers → answers/
    python -m tests.fidelity record --missing              # only new or changed cases
    python -m tests.fidelity check [CATEGORY|CASE_ID ...]  # Tidemill vs the answers, diffs
    python -m tests.fidelity show CASE_ID ...              # one case in full
    python -m tests.fidelity report                        # this file
    pytest tests/fidelity/test_parity.py -k CATEGORY       # what `make test` checks
"""


def main(corpus: Corpus) -> int:
    started = time.monotonic()
    results: list[tuple[Entry, Verdict]] = [
        (entry, verdict) for entry, _, _, verdict in harness.check(corpus, list(corpus.entries))
    ]
    table = render_table(corpus, results)
    print(table)
    print(f"({len(results)} cases checked in {time.monotonic() - started:.1f} s)")
    DOC.write_text(render_doc(table, results), encoding="utf-8")
    print(f"wrote {DOC}")
    return 0 if all(v.acceptable for _, v in results) else 1


def render_table(corpus: Corpus, results: list[tuple[Entry, Verdict]]) -> str:
    rows = []
    totals = dict.fromkeys(COLUMNS, 0)
    for category in corpus.categories:
        counts = dict.fromkeys(COLUMNS, 0)
        for entry, verdict in results:
            if entry.category == category:
                counts["cases"] += 1
                counts[verdict.kind] += 1
        for key, n in counts.items():
            totals[key] += n
        rows.append((category, counts))
    rows.append(("**total**", totals))
    header = "| category | " + " | ".join(COLUMNS) + " | identical % |"
    rule = "|---|" + "---:|" * (len(COLUMNS) + 1)
    lines = [header, rule]
    for name, counts in rows:
        share = f"{100 * counts['identical'] / counts['cases']:.1f}" if counts["cases"] else "-"
        cells = " | ".join(str(counts[c]) for c in COLUMNS)
        lines.append(f"| {name} | {cells} | {share} |")
    return "\n".join(lines)


def render_doc(table: str, results: list[tuple[Entry, Verdict]]) -> str:
    parts = [INTRO, "## Parity by category\n", table, ""]
    sections = [
        ("refused", "Refused constructs",
         "Refused at job create with E18209; the message names the construct."),
        ("different", "Known differences",
         "Tidemill's answer is not Spark's; each with the reason (the case's `differs` note)."),
        ("unnamed", "Refusals that do not name the construct", "To be given a proper message."),
        ("invalid", "Invalid cases", "Spark refuses these queries: fix the cases."),
        ("unrecorded", "Cases without a current Spark answer",
         "Run `python -m tests.fidelity record <id>`."),
    ]  # fmt: skip
    for kind, title, blurb in sections:
        chosen = [(e, v) for e, v in results if v.kind == kind]
        if not chosen:
            continue
        parts += [f"## {title}\n", blurb, ""]
        for entry, verdict in chosen:
            note = entry.case.differs or verdict.reason
            if kind == "different" and entry.case.differs:
                note = f"{entry.case.differs} ({verdict.reason})"
            parts.append(f"- `{entry.case.id}`: `{_one_line(entry.case.sql)}` — {_one_line(note)}")
        parts.append("")
    return "\n".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("`", "'")
