"""The Java datetime pattern translator and the date/time rules, run on a real DuckDB.

Expected texts are Spark 3.5.9's answers (session zone Asia/Shanghai), recorded side by side
with pyspark; the fidelity corpus (tests/fidelity/corpus/dates*.py) checks them against Spark.
"""

from __future__ import annotations

import pytest
from sqlglot import exp

from tidemill.engines.duckdb import database as engine
from tidemill.engines.duckdb.dialect import datetime_patterns as patterns
from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.errors import InvalidInputError

TS = "2009-07-30 10:15:30.123456"


@pytest.fixture(scope="module")
def con():
    connection = engine.connect(time_zone="Asia/Shanghai")
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("pattern", "parts"),
    [
        ("yyyy-MM-dd", (patterns.Letter("y", 4), "-", patterns.Letter("M", 2), "-",
                        patterns.Letter("d", 2))),
        ("'T'", ("T",)),
        ("''", ("'",)),
        ("'o''clock'", ("o'clock",)),
        ("yyyy[-MM]", (patterns.Letter("y", 4), patterns.Optional(("-", patterns.Letter("M", 2))))),
        ("yyyy[MM", (patterns.Letter("y", 4), patterns.Optional((patterns.Letter("M", 2),)))),
        ("100%", ("1", "0", "0", "%")),
    ],
)  # fmt: skip
def test_letters_reads_patterns_as_spark(pattern, parts) -> None:
    assert patterns.letters(pattern) == parts


@pytest.mark.parametrize(
    "pattern", ["Y", "yyyy-ww", "e", "B", "n", "MMMMM", "EEEEE", "hhh", "dd]", "'open", "{", "V"]
)
def test_letters_rejects_what_spark_rejects(pattern) -> None:
    with pytest.raises(patterns.PatternError):
        patterns.letters(pattern)


@pytest.mark.parametrize(
    ("strftime", "java"),
    [
        ("%Y-%mstrict-%dstrict %Hstrict:%Mstrict:%Sstrict", "y-MM-dd HH:mm:ss"),
        ("%Y%Y", "yyyyy"),
        ("%y%Y", "yyy"),
        ("yyyy-MM-dd'T'HH", "yyyy-MM-dd'T'HH"),  # raw Java (to_unix_timestamp) is kept
        ("None", ""),
        ("%a %b %-d %I %p %f", "E MMM d hh a SSSSSS"),
    ],
)
def test_java_pattern_undoes_sqlglot(strftime, java) -> None:
    assert patterns.java_pattern(strftime) == java


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSS", "2009-07-30T10:15:30.123"),
        ("G GGGG y yy yyyyy", "AD Anno Domini 2009 09 02009"),
        ("D DD DDD", "211 211 211"),
        ("M MM MMM MMMM L LLLL", "7 07 Jul July 7 July"),
        ("Q QQ QQQ QQQQ q", "3 03 Q3 3rd quarter 3"),
        ("E EEEE F a", "Thu Thursday 2 AM"),
        ("h hh K KK k kk H HH m s", "10 10 10 10 10 10 10 10 15 30"),
        ("S SS SSSS SSSSS SSSSSS SSSSSSS", "1 12 1234 12345 123456 1234560"),
        ("VV z zzzz O OOOO", "Asia/Shanghai CST China Standard Time GMT+8 GMT+08:00"),
        ("X XX XXX x xx xxx", "+08 +0800 +08:00 +08 +0800 +08:00"),
        ("Z ZZZZ ZZZZZ", "+0800 GMT+08:00 +08:00"),
        ("yyyy''MM 'o''clock' [dd]", "2009'07 o'clock 30"),
        ("100% yyyy", "100% 2009"),
    ],
)  # fmt: skip
def test_format_sql_prints_as_spark(con, pattern, expected) -> None:
    ts = exp.cast(exp.Literal.string(TS), "TIMESTAMPTZ")
    sql = patterns.format_sql(ts, pattern).sql("duckdb")
    assert con.execute(f"SELECT {sql}").fetchone()[0] == expected


def test_format_sql_of_null_is_null(con) -> None:
    null = exp.cast(exp.Null(), "TIMESTAMPTZ")
    for pattern in ("yyyy", "F", ""):
        sql = patterns.format_sql(null, pattern).sql("duckdb")
        assert con.execute(f"SELECT {sql}").fetchone()[0] is None


@pytest.mark.parametrize(
    ("pattern", "formats"),
    [
        ("yyyy-MM-dd HH:mm:ss", ("%Y-%m-%d %H:%M:%S",)),
        ("yyyy-MM-dd[ HH:mm]", ("%Y-%m-%d %H:%M", "%Y-%m-%d")),
        ("MM-dd", ("%Y %m-%d",)),
        ("dd/MMM/yyyy:HH:mm:ss Z", ("%d/%b/%Y:%H:%M:%S %z",)),
        ("yyyy''MM", ("%Y'%m",)),
    ],
)
def test_parse_formats(pattern, formats) -> None:
    assert patterns.parse_formats(pattern).formats == formats


@pytest.mark.parametrize("pattern", ["G yyyy", "QQ", "yyyy F", "z", "kk", "O"])
def test_parse_formats_refuses_letters_strptime_cannot_read(pattern) -> None:
    with pytest.raises(patterns.PatternError):
        patterns.parse_formats(pattern)


def _one(con, spark_sql: str):
    sql = to_duckdb(spark_sql)
    return con.execute(f"SELECT * FROM ({sql})").fetchone()[0]


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        ("SELECT cast(timestamp'2009-07-30 10:15:30.120' AS string)", "2009-07-30 10:15:30.12"),
        ("SELECT cast(to_date('2009-07-30 10:15') AS string)", "2009-07-30"),
        ("SELECT months_between('1997-02-28 10:30:00', '1996-10-30')", 3.94959677),
        ("SELECT months_between('1997-02-28 10:30:00', '1996-10-30', false)", 3.9495967741935485),
        ("SELECT months_between('2024-03-31', '2024-02-29')", 1.0),
        ("SELECT dayofweek('2024-01-07')", 1),
        ("SELECT weekday('2024-01-07')", 6),
        ("SELECT datediff('2024-03-01', '2024-02-01 23:00:00')", 29),
        ("SELECT unix_timestamp('2009-07-30 10:15:30')", 1248920130),
        ("SELECT to_unix_timestamp('2009-07-30', 'yyyy-MM-dd')", 1248883200),
        ("SELECT date_format(to_timestamp('69-07-30', 'yy-MM-dd'), 'yyyy')", "2069"),
        ("SELECT date_format(to_timestamp('07-30', 'MM-dd'), 'yyyy-MM-dd')", "1970-07-30"),
        ("SELECT cast(date_add('2024-02-28', 2) AS string)", "2024-03-01"),
        ("SELECT cast(next_day('2024-01-07', 'mon') AS string)", "2024-01-08"),
        ("SELECT cast(make_date(2024, 2, 30) AS string)", None),
        ("SELECT cast(cast(' 2024-1-2 ' AS timestamp) AS string)", "2024-01-02 00:00:00"),
        ("SELECT cast(cast('2024-01-02T10:00:00Z' AS timestamp) AS string)", "2024-01-02 18:00:00"),
        ("SELECT cast(cast('2024-01-02 abc' AS date) AS string)", "2024-01-02"),
        ("SELECT extract(second FROM timestamp'2024-01-01 10:00:30.123456') * 1", 30.123456),
    ],
)
def test_spark_answers(con, spark_sql, expected) -> None:
    value = _one(con, spark_sql)
    assert (float(value) if isinstance(expected, float) else value) == expected


@pytest.mark.parametrize(
    ("spark_sql", "construct"),
    [
        ("SELECT date_format(now(), 'ww')", "week-based pattern letter 'w'"),
        ("SELECT date_format(now(), 'B')", "pattern letter 'B'"),
        ("SELECT to_timestamp('x', 'QQ')", "pattern field 'QQ'"),
        ("SELECT date_format(now(), fmt) FROM t", "date_format with a pattern"),
    ],
)
def test_refusals_name_the_construct(spark_sql, construct) -> None:
    with pytest.raises(InvalidInputError) as caught:
        to_duckdb(spark_sql)
    assert construct in str(caught.value)
    assert "not supported on the DuckDB engine" in str(caught.value)


@pytest.mark.parametrize(
    ("spark_sql", "text"),
    [
        ("interval 1 hour", "INTERVAL '01' HOUR"),
        ("interval -3 days", "INTERVAL '-3' DAY"),
        ("interval 1.5 seconds", "INTERVAL '01.5' SECOND"),
        ("interval 2 weeks", "INTERVAL '14' DAY"),
        ("interval 14 months", "INTERVAL '14' MONTH"),
        ("INTERVAL '1-2' YEAR TO MONTH", "INTERVAL '1-2' YEAR TO MONTH"),
        ("interval 3 days 4 hours", "INTERVAL '3 04' DAY TO HOUR"),
        ("interval '10:20' hour to minute", "INTERVAL '10:20' HOUR TO MINUTE"),
    ],
)
def test_interval_literals_print_as_spark(con, spark_sql, text) -> None:
    assert _one(con, f"SELECT {spark_sql} AS i") == text


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        ("SELECT cast(date'2024-01-05' - date'2024-01-01' AS string)", "INTERVAL '4' DAY"),
        (
            "SELECT timestamp'2024-01-01 00:00:00' - timestamp'2024-01-05 10:00:00.25'",
            "INTERVAL '-4 10:00:00.25' DAY TO SECOND",
        ),
        ("SELECT cast(date'2024-01-31' + interval 1 month AS string)", "2024-02-29"),
        ("SELECT cast(date'2024-01-31' + interval 1 hour AS string)", "2024-01-31 01:00:00"),
    ],
)
def test_interval_arithmetic(con, spark_sql, expected) -> None:
    assert _one(con, spark_sql) == expected


@pytest.mark.parametrize(
    ("spark_sql", "construct"),
    [
        ("SELECT (date'2024-01-05' - date'2024-01-01') > 3", "date - date"),
        ("SELECT interval 1 month 2 days", "an interval mixing months with days"),
        ("SELECT INTERVAL '1' YEAR TO MONTH", "INTERVAL '1' YEAR TO MONTH"),
        ("SELECT cast('1 day' AS interval)", "CAST to INTERVAL"),
    ],
)
def test_interval_refusals_name_the_construct(spark_sql, construct) -> None:
    with pytest.raises(InvalidInputError) as caught:
        to_duckdb(spark_sql)
    assert construct in str(caught.value)
