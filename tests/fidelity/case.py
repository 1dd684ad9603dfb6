"""The shape of the Spark-fidelity corpus: typed tables and cases (queries over them).

A corpus module `tests/fidelity/corpus/<category>.py` defines `CASES: list[Case]` and may define
`TABLES: dict[str, Table]` (extra tables, named `<category>_<name>` so modules never clash).
Every case may read the shared tables of `tests/fidelity/tables.py` and its own module's tables.
Spark's answers are recorded per category in `tests/fidelity/answers/<category>.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Table:
    """`columns` are (key, valtype) pairs, valtypes of spec §3.2 (boolean long float date string);
    `rows` are tuples in column order; a `date` value is RFC 3339 text with an offset, or None."""

    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, slots=True)
class Case:
    """One query and how to compare its answers.

    id: `<category>/<slug>`, unique in the corpus.
    sql: Spark SQL over the corpus tables.
    ordered: compare rows in order (the query has an ORDER BY that fixes every row's place);
        otherwise rows are compared as a multiset.
    differs: while Tidemill's answer is known to differ from Spark's, why (the test then checks
        that it still differs, so a fixed case must drop this mark). Empty: must be identical or
        refused at create with E18209.
    api: also run it end to end through the API (datasource → job → batch → result endpoint,
        `tests/fidelity/test_api_corpus.py`); pick cases whose answers users read there.
    """

    id: str
    sql: str
    ordered: bool = False
    differs: str = ""
    api: bool = False
