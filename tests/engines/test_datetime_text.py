"""Spark's text forms read as timestamps (DateTimeUtils.stringToTimestamp): zone IDs after the
time, bare times, java's ZoneId.of forms. Values measured with pyspark 3.5.9 (session zone
Asia/Shanghai); the fidelity corpus `datetime_text` compares them with real Spark."""

from __future__ import annotations

import duckdb
import pytest

from tidemill.engines.duckdb.dialect import datetimes


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.sql("SET TimeZone = 'Asia/Shanghai'")
    for macro in datetimes.MACROS:
        c.sql(macro)
    return c


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("2020-01-01 00:00:00 America/Los_Angeles", "2020-01-01 16:00:00"),
        ("2020-01-01 01:33:33.123Asia/Shanghai", "2020-01-01 01:33:33.123"),
        ("2020-01-01 00:00:00 UTC+08:00:00", "2020-01-01 00:00:00"),
        ("2020-01-01 00:00:00 +8:3", "2019-12-31 23:57:00"),
        ("2020-01-01 00:00:00 PST", "2020-01-01 16:00:00"),
        ("2020-01-01 00:00:00 EST", "2020-01-01 13:00:00"),
        ("2020-11-01 01:30:00 America/Los_Angeles", "2020-11-01 16:30:00"),
        ("2020-01-01 00:00:00 america/los_angeles", None),
        ("2020-01-01 00:00:00 +19:00", None),
        ("2020-01-01 00:00:00 +083", None),
        ("2020-01-01 00:00Z", None),
        ("12345-01-01 10:11:12", "+12345-01-01 10:11:12"),
        ("-0044-03-15 10:11:12.5", "-0044-03-15 10:11:12.5"),
    ],
)
def test_text_read_as_spark_reads_it(
    con: duckdb.DuckDBPyConnection, text: str, shown: str | None
) -> None:
    got = con.execute("SELECT tidemill_text(tidemill_timestamp(?))", [text]).fetchone()
    assert got == (shown,)


def test_bare_time_is_read_on_today(con: duckdb.DuckDBPyConnection) -> None:
    got = con.execute(
        "SELECT hour(tidemill_timestamp('10:11:12')), minute(tidemill_timestamp('T10:11')),"
        " hour(tidemill_timestamp('10:11:12 UTC')), tidemill_timestamp('10') IS NULL"
    ).fetchone()
    assert got == (10, 11, 18, True)
