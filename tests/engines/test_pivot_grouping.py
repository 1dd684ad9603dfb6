"""PIVOT and GROUP BY forms the DuckDB engine refuses at job write rather than answer unlike
Spark 3.5 (values compared with real Spark in tests/fidelity/corpus/pivot.py and grouping.py)."""

from __future__ import annotations

import pytest

from tidemill.engines.duckdb.dialect.translate import to_duckdb
from tidemill.errors import Failure, InvalidInputError

_T = "VALUES ('a', 1, 10), ('b', 2, 20) AS t(c, s, e)"


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        (
            f"SELECT * FROM {_T} PIVOT (sum(e) FOR c IN ('a', 'a'))",
            "PIVOT with a value repeated in its IN list",
        ),
        (
            f"SELECT * FROM {_T} PIVOT (sum(e), percentile(e, 0.5) FOR c IN ('a'))",
            "PIVOT with several aggregates where",
        ),
        (
            f"SELECT * FROM {_T} PIVOT (sum(e) FOR c IN (upper('a')))",
            "a PIVOT value without an alias",
        ),
        (
            f"SELECT * FROM {_T} PIVOT (sum(e) FOR (c, s) IN ('a'))",
            "a PIVOT value that is not a tuple",
        ),
        (
            "SELECT * FROM unknown_table PIVOT (sum(e) FOR c IN ('a'))",
            "PIVOT on a relation whose columns are not known",
        ),
        (
            "SELECT count(*) AS c FROM VALUES (1) AS t(k) GROUP BY ()",
            "GROUP BY ()",
        ),
    ],
)
def test_refused(sql: str, construct: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        to_duckdb(sql)
    assert caught.value.failure is Failure.JOB_SQL_INVALID
    assert construct in str(caught.value)
    assert "is not supported on the DuckDB engine" in str(caught.value)


def test_pivot_names_and_match() -> None:
    sql = to_duckdb(
        f"SELECT * FROM {_T} PIVOT (sum(e), avg(e) AS m FOR (c, s) IN (('a', 1), ('b', 2) AS y))"
    )
    for name in ('"{a, 1}_sum(e)"', '"{a, 1}_m"', '"y_sum(e)"', '"y_m"'):
        assert name in sql
    assert "PIVOT" not in sql.upper().replace('"', "")


def test_grouping_sets_equal_after_canonicalisation() -> None:
    sql = to_duckdb(
        "SELECT a + b AS s, sum(c) AS t FROM VALUES (1, 1, 1) AS t(a, b, c)"
        " GROUP BY GROUPING SETS ((a + b), (b + a), ())"
    )
    assert "CAST(b AS BIGINT) + CAST(a AS BIGINT)" not in sql
    assert "HAVING COUNT(*) > 0" in sql  # Spark 3.5: no row from an empty input
