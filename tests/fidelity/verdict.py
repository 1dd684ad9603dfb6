"""One case's verdict: Tidemill's outcome against Spark's recorded answer.

* identical — Tidemill ran it; values, valtypes and (where the query names them) column names
  are Spark's.
* refused — refused at create with E18209, the message naming the construct and saying it
  "is not supported on the DuckDB engine".
* unnamed — refused at create with E18209, but the message does not say what is unsupported.
* different — anything else: other values, types or names, a batch or result failure, another
  error at create.
* invalid — Spark itself refuses the query: fix the case.
* unrecorded — no current Spark answer (missing, or stale since the SQL or tables changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from tests.fidelity import answers, canonical
from tests.fidelity.corpus_loader import Entry
from tests.fidelity.tidemill_side import Outcome
from tidemill.core.sql import parse_query, schema_keys

REFUSAL_PHRASE = "not supported on the DuckDB engine"
VERDICTS = ("identical", "refused", "unnamed", "different", "invalid", "unrecorded")


@dataclass
class Verdict:
    kind: str
    reason: str = ""

    @property
    def acceptable(self) -> bool:
        return self.kind in ("identical", "refused")


def named_positions(sql: str) -> list[int] | None:
    """Positions of the output columns whose names the query fixes (an alias or a plain column
    reference), or None when it selects `*` (names are then the tables' and always compared)."""
    query = parse_query(sql)
    while isinstance(query, exp.SetOperation):
        query = query.this
    while isinstance(query, exp.Subquery):
        query = query.this
    if not isinstance(query, exp.Select):
        return []
    positions = []
    for i, projection in enumerate(query.expressions):
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            return None
        if isinstance(projection, exp.Alias | exp.Column):
            positions.append(i)
    return positions


def judge(entry: Entry, record: dict[str, Any] | None, outcome: Outcome) -> Verdict:
    """The verdict for `entry` given Spark's `record` and Tidemill's `outcome`."""
    if record is None:
        return Verdict(
            "unrecorded", f"no Spark answer: run python -m tests.fidelity record {entry.case.id}"
        )
    why = answers.stale(entry, record)
    if why:
        return Verdict("unrecorded", f"{why}: run python -m tests.fidelity record {entry.case.id}")
    if "error" in record:
        return Verdict("invalid", f"Spark refuses the query: {record['error'][:300]}")
    if outcome.kind == "refused":
        if REFUSAL_PHRASE in outcome.message:
            return Verdict("refused", outcome.message)
        return Verdict("unnamed", f"refused without naming the construct: {outcome.message}")
    if outcome.kind != "ran":
        return Verdict("different", f"{outcome.kind}: {outcome.message}")
    spark_schema = record["schema"]
    spark_types = [c["valtype"] for c in spark_schema]
    ours_types = [v for _, v in outcome.schema]
    problems = []
    if len(spark_types) != len(ours_types):
        return Verdict("different", f"{len(ours_types)} columns, Spark has {len(spark_types)}")
    if spark_types != ours_types:
        diffs = [
            f"{c['name']}: {ours} (Spark {c['sparkType']} → {c['valtype']})"
            for c, ours in zip(spark_schema, ours_types, strict=True)
            if c["valtype"] != ours
        ]
        problems.append("valtypes differ: " + "; ".join(diffs))
    positions = named_positions(entry.case.sql)
    spark_keys = schema_keys(c["name"] for c in spark_schema)
    ours_keys = [k for k, _ in outcome.schema]
    compare = range(len(spark_keys)) if positions is None else positions
    names = [(spark_keys[i], ours_keys[i]) for i in compare if spark_keys[i] != ours_keys[i]]
    if names:
        problems.append("names differ: " + "; ".join(f"{o} (Spark {s})" for s, o in names))
    if not canonical.same_rows(record["rows"], outcome.rows, entry.case.ordered):
        problems.append("values differ")
    if problems:
        return Verdict("different", "; ".join(problems))
    return Verdict("identical")
