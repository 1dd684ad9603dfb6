"""Spark's recorded answers: `tests/fidelity/answers/<category>.json`, one file per category.

Each file maps case id → {"sql", "tables", "schema": [{name, sparkType, valtype}], "rows"} or
{"sql", "tables", "error"} (Spark refused the query: the case is invalid). `tables` is a
fingerprint of the tables the case reads; with `sql` it tells a stale answer from a current one.
Rows of unordered cases are stored sorted, so re-recording an unchanged case changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tests.fidelity.canonical import _sort_key
from tests.fidelity.corpus_loader import Entry, tables_read

DIRECTORY = Path(__file__).parent / "answers"


def path(category: str) -> Path:
    return DIRECTORY / f"{category}.json"


def load(category: str) -> dict[str, dict[str, Any]]:
    """The recorded answers of `category` ({} when none are)."""
    file = path(category)
    if not file.is_file():
        return {}
    data: dict[str, dict[str, Any]] = json.loads(file.read_text(encoding="utf-8"))
    return data


def save(category: str, answers: dict[str, dict[str, Any]]) -> None:
    DIRECTORY.mkdir(exist_ok=True)
    path(category).write_text(dumps(answers), encoding="utf-8")


def dumps(answers: dict[str, dict[str, Any]]) -> str:
    """Deterministic JSON text: sorted keys, one line per row and per schema column."""

    def one(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    cases = []
    for case_id in sorted(answers):
        record = answers[case_id]
        fields = []
        for key in sorted(record):
            item = record[key]
            if key in ("rows", "schema") and item:
                inner = ",\n".join(f"   {one(x)}" for x in item)
                fields.append(f"  {one(key)}: [\n{inner}\n  ]")
            else:
                fields.append(f"  {one(key)}: {one(item)}")
        cases.append(f" {one(case_id)}: {{\n" + ",\n".join(fields) + "\n }")
    return "{\n" + ",\n".join(cases) + "\n}\n"


def fingerprint(entry: Entry) -> str:
    """A digest of the tables `entry`'s SQL reads (names, columns, rows)."""
    chosen = sorted(
        (name, [list(c) for c in t.columns], [list(r) for r in t.rows])
        for name, t in tables_read(entry).items()
    )
    text = json.dumps(chosen, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make(entry: Entry, spark_answer: dict[str, Any]) -> dict[str, Any]:
    """The record of `spark_answer` for `entry`."""
    record = {"sql": entry.case.sql, "tables": fingerprint(entry), **spark_answer}
    if "rows" in record and not entry.case.ordered:
        record["rows"] = sorted(record["rows"], key=_sort_key)
    return record


def stale(entry: Entry, record: dict[str, Any]) -> str:
    """Why `record` no longer answers `entry` ('' when it still does)."""
    if record.get("sql") != entry.case.sql:
        return "its SQL changed since Spark's answer was recorded"
    if record.get("tables") != fingerprint(entry):
        return "the tables it reads changed since Spark's answer was recorded"
    return ""
