"""A query cannot call the engine's own macros (`tidemill_*`, `dialect.MACROS`): Spark has no
such functions (it fails the query), and `tidemill_bad_value` would fail the batch with a
made-up bad-value error of an input file."""

from __future__ import annotations

import pytest

from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.errors import Failure, InvalidInputError


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT tidemill_read_long('5', 'f', 'c') AS x",
        "SELECT TIDEMILL_READ_DATE_REQUIRED('2026-01-01T00:00:00Z', 'f', 'c') AS x",
        "SELECT n FROM t WHERE tidemill_bad_value(n, 'a.json', 'n', 'long') IS NULL",
        "SELECT tidemill_json_first('[1]') AS x",
        "SELECT `tidemill_wrap64`(1) AS x",
    ],
)
def test_a_query_calling_an_engine_macro_is_refused(sql: str) -> None:
    with pytest.raises(InvalidInputError, match=r"(?i)unknown function tidemill_") as refused:
        to_duckdb(sql, {"t": [("n", "long")]})
    assert refused.value.failure is Failure.JOB_SQL_INVALID
