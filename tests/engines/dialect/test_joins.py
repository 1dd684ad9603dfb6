"""`SELECT *` over USING/NATURAL joins lists Spark's columns (engines/dialect/joins.py)."""

from __future__ import annotations

import pytest

from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.errors import Failure, InvalidInputError

_TABLES = {
    "u": [("id", "long"), ("name", "string"), ("city", "string")],
    "c": [("city", "string"), ("country", "string")],
}


@pytest.mark.parametrize(
    ("spark_sql", "projection"),
    [
        # Spark: the keys first, then the left side's other columns, then the right side's.
        (
            "select * from u join c using (city)",
            "COALESCE(u.city, c.city) AS city, u.id AS id, u.name AS name, c.country AS country",
        ),
        (
            "select * from u natural join c",
            "COALESCE(u.city, c.city) AS city, u.id AS id, u.name AS name, c.country AS country",
        ),
        # A side's own star: its keys first too.
        ("select u.* from u join c using (city)", "u.city AS city, u.id AS id, u.name AS name"),
    ],
)
def test_star_over_using_lists_keys_first(spark_sql: str, projection: str) -> None:
    assert to_duckdb(spark_sql, _TABLES).startswith(f"SELECT {projection} FROM")


def test_star_over_on_join_is_left_alone() -> None:
    assert to_duckdb("select * from u join c on u.city = c.city", _TABLES).startswith("SELECT *")


def test_star_over_using_with_unknown_columns_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        to_duckdb("select * from u join other using (city)", _TABLES)

    assert caught.value.failure is Failure.JOB_SQL_INVALID
    assert "USING or NATURAL join" in caught.value.message
