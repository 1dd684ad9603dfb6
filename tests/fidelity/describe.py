"""A case's verdict as people read it (the `check` command and the tests' failure messages)."""

from __future__ import annotations

import json
from typing import Any

from tests.fidelity import canonical
from tests.fidelity.corpus_loader import Entry
from tests.fidelity.tidemill_side import Outcome
from tests.fidelity.verdict import Verdict

SHOWN = 20


def describe(
    entry: Entry, record: dict[str, Any] | None, outcome: Outcome, verdict: Verdict,
    *, full: bool = False,
) -> str:  # fmt: skip
    """Id and verdict, SQL, why, both schemas, the rows that differ (every row of both answers
    with `full`, or Spark's when Tidemill has none), and the DuckDB SQL Tidemill ran."""
    mark = f"  [differs: {entry.case.differs}]" if entry.case.differs else ""
    lines = [f"── {entry.case.id}: {verdict.kind.upper()}{mark}", f"   sql:      {entry.case.sql}"]
    if verdict.reason:
        lines.append(f"   why:      {verdict.reason}")
    if verdict.kind in ("identical", "refused") and not full:
        return "\n".join(lines)
    spark_rows: list[Any] = []
    if record is not None and "schema" in record:
        spark_rows = record["rows"]
        cols = ", ".join(f"{c['name']} {c['sparkType']}→{c['valtype']}" for c in record["schema"])
        lines.append(f"   spark:    [{cols}] {len(spark_rows)} row(s)")
        if full or outcome.kind != "ran":
            lines.extend(_rows(spark_rows))
    if outcome.schema:
        cols = ", ".join(f"{k} {v}" for k, v in outcome.schema)
        count = f" {len(outcome.rows)} row(s)" if outcome.kind == "ran" else ""
        lines.append(f"   tidemill: [{cols}]{count}")
    if outcome.kind == "ran":
        if full:
            lines.extend(_rows(outcome.rows))
        if record is not None and "rows" in record:
            spark_only, ours_only = canonical.unmatched(
                spark_rows, outcome.rows, entry.case.ordered
            )
            if spark_only or ours_only:
                how = "out of place" if entry.case.ordered else "unmatched"
                lines.append(f"   rows {how}: - Spark's, + Tidemill's")
                lines.extend(f"          - {_one(r)}" for r in spark_only[:SHOWN])
                lines.extend(f"          + {_one(r)}" for r in ours_only[:SHOWN])
    if outcome.duckdb_sql:
        lines.append(f"   duckdb:   {outcome.duckdb_sql}")
    return "\n".join(lines)


def _rows(rows: list[Any]) -> list[str]:
    shown = [f"            {_one(r)}" for r in rows[:SHOWN]]
    if len(rows) > SHOWN:
        shown.append(f"            … {len(rows) - SHOWN} more")
    return shown


def _one(row: Any) -> str:
    return json.dumps(list(row), ensure_ascii=False)
