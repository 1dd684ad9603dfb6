"""DuckDB connections for users' SQL: Spark's functions give Spark's results; files stay shut."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tidemill.engines.duckdb.database import connect, open_engine, seal
from tidemill.engines.duckdb.dialect import to_duckdb


@pytest.fixture(scope="module")
def los_angeles() -> duckdb.DuckDBPyConnection:
    # The Spark function reference computes its examples in America/Los_Angeles.
    return connect(time_zone="America/Los_Angeles")


@pytest.mark.parametrize(
    ("spark_expression", "spark_result"),
    [
        ("substring_index('www.apache.org', '.', 2)", "www.apache"),
        ("substring_index('www.apache.org', '.', -2)", "apache.org"),
        ("substring_index('www.apache.org', '.', 1)", "www"),
        ("substring_index('www.apache.org', '.', 0)", ""),
        ("substring_index('www.apache.org', '.', 9)", "www.apache.org"),
        ("substring_index('www.apache.org', '.', -9)", "www.apache.org"),
        ("substring_index('www.apache.org', '', 1)", ""),
        ("substring_index('a::b::c', '::', -1)", "c"),
        ("substring_index(NULL, '.', 1)", None),
        ("unix_timestamp('2016-04-08', 'yyyy-MM-dd')", 1460098800),
        ("unix_timestamp('2016-04-08 00:00:01')", 1460098801),
        ("unix_timestamp(to_date('2016-04-08'))", 1460098800),
        ("unix_timestamp(timestamp_seconds(1230219000))", 1230219000),
        ("unix_timestamp('not a time')", None),
        ("from_unixtime(0, 'yyyy-MM-dd HH:mm:ss')", "1969-12-31 16:00:00"),
        ("date_format(from_unixtime(0), 'yyyy-MM-dd')", "1969-12-31"),
        ("pmod(10, 3)", 1),
        ("pmod(-10, 3)", 2),
        ("pmod(10, -3)", 1),
        ("isnull(1)", False),
        ("isnotnull(1)", True),
        ("nanvl(cast('NaN' as double), 123)", 123.0),
        ("btrim('    SparkSQL   ')", "SparkSQL"),
        ("btrim('SSparkSQLS', 'SL')", "parkSQ"),
        ("format_number(12332.123456, 4)", "12,332.1235"),
        ("format_number(12332.5, 0)", "12,332"),
        ("split('a b c', ' ')[1]", "b"),
        ("length(12345)", 5),
        ("bigint('42')", 42),
        ("base64('Spark SQL')", "U3BhcmsgU1FM"),
        ("cast(unbase64('U3BhcmsgU1FM') as string)", "Spark SQL"),
        ("cast(trunc(date '2019-08-04', 'MM') as date)", date(2019, 8, 1)),
        ("cast(trunc(date '2019-08-04', 'year') as date)", date(2019, 1, 1)),
        ("cast(trunc(date '2019-08-04', 'QUARTER') as date)", date(2019, 7, 1)),
        (
            "date_format(date_trunc('yyyy', '2015-03-05 09:32:05'), 'yyyy-MM-dd HH:mm:ss')",
            "2015-01-01 00:00:00",
        ),
        (
            "date_format(date_trunc('MM', '2015-03-05 09:32:05'), 'yyyy-MM-dd HH:mm:ss')",
            "2015-03-01 00:00:00",
        ),
        (
            "date_format(date_trunc('HOUR', '2015-03-05 09:32:05'), 'yyyy-MM-dd HH:mm:ss')",
            "2015-03-05 09:00:00",
        ),
        ("assert_true(1 < 2)", None),
        ("regexp_extract('100-200', '([0-9]+)-([0-9]+)', 2)", "200"),
        ("get_json_object('{\"a\": {\"b\": 3}}', '$.a.b')", "3"),
        ("concat_ws('-', 'a', 'b')", "a-b"),
        ("nvl(NULL, 'd')", "d"),
        ("if(1 > 0, 'yes', 'no')", "yes"),
        ("array_contains(split('a,b', ','), 'b')", True),
        ("datediff('2009-07-31', '2009-07-30')", 1),
        ("cast(date_add('2016-07-30', 1) as string)", "2016-07-31"),
    ],
)
def test_spark_functions_give_sparks_results(los_angeles, spark_expression, spark_result) -> None:
    query = to_duckdb(f"select {spark_expression} as v")

    with los_angeles.cursor() as cur:
        row = cur.execute(query).fetchone()

    assert row == (spark_result,)


def test_connections_cannot_touch_files(tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    con = connect()

    with pytest.raises(duckdb.PermissionException):
        con.execute(f"select * from read_csv('{outside}')")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"copy (select 1) to '{tmp_path / 'out.csv'}'")
    with pytest.raises(duckdb.Error):
        con.execute("set enable_external_access = true")


def test_connections_read_allowed_directories_only(tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "a.csv").write_text("a\n1\n")
    (tmp_path / "b.csv").write_text("a\n2\n")
    con = connect(allowed_directories=[str(allowed)])

    assert con.execute(f"select a from read_csv('{allowed / 'a.csv'}')").fetchall() == [(1,)]
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"select a from read_csv('{tmp_path / 'b.csv'}')")


def test_work_beyond_the_memory_limit_spills_to_the_temp_directory(tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    con = connect(threads=1, memory_limit="64MB", temp_directory=str(spill))
    query = (
        "select count(*), count(distinct k) from "
        "(select i as k, repeat('x', 40) as pad from range(3000000) t(i) order by pad, k desc)"
    )

    assert con.execute(query).fetchone() == (3_000_000, 3_000_000)
    assert spill.exists()  # DuckDB makes it at the first spill


def test_spark_range_has_one_column_named_id(los_angeles) -> None:
    query = to_duckdb("select sum(r.id) as total, count(*) as n from range(1, 10, 2) r")

    with los_angeles.cursor() as cur:
        assert cur.execute(query).fetchone() == (25, 5)


def test_an_engine_opened_ahead_takes_its_limits_and_sandbox_when_sealed(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("a\n1\n")
    engine = open_engine()

    con = seal(engine, time_zone="Asia/Shanghai", threads=1, memory_limit="100MB")

    settings = con.execute(
        "select current_setting('threads'), current_setting('memory_limit'),"
        " current_setting('TimeZone')"
    ).fetchone()
    assert settings is not None and settings[0] == 1 and settings[2] == "Asia/Shanghai"
    assert settings[1].endswith("MiB") and float(settings[1].split()[0]) < 100
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"select * from read_csv('{tmp_path / 'a.csv'}')")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_a_database_starts_one_io_thread_beyond_its_limit() -> None:
    # DuckDB's own default would start 8 asynchronous I/O threads per database, each started
    # at connect and joined at close on every batch (docs/performance.md, session 8); none
    # would stop spilling (the engine contract's spill test).
    before = len(list(Path("/proc/self/task").iterdir()))
    con = open_engine([], [], limits=("UTC", 1, "100MB"))
    try:
        assert len(list(Path("/proc/self/task").iterdir())) == before + 1
        assert con.execute("select current_setting('async_threads')").fetchone() == (1,)
    finally:
        con.close()
