"""Job output schemas, planned by real DuckDB over empty tables."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tidemill.engines.duckdb.database import output_schema, valtype
from tidemill.errors import Failure, InvalidInputError

LOGS = [
    ("ip", "string"),
    ("url", "string"),
    ("status", "long"),
    ("bytes", "long"),
    ("resp_time", "float"),
    ("time", "date"),
    ("hit", "boolean"),
]
TABLES = {"logs": LOGS, "hosts": [("ip", "string"), ("region", "string")]}


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        pytest.param("select * from logs", LOGS, id="star-keeps-valtypes"),
        pytest.param(
            "select url, count(*) as hits, sum(bytes) as total, avg(bytes) as mean,"
            " sum(resp_time) as rt, max(time) as last_seen from logs group by url",
            [
                ("url", "string"),
                ("hits", "long"),
                ("total", "long"),  # sum(BIGINT) is HUGEINT in DuckDB
                ("mean", "float"),
                ("rt", "float"),
                ("last_seen", "date"),
            ],
            id="group-by",
        ),
        pytest.param(
            "select count(distinct ip) as n, percentile_approx(resp_time, 0.5) as p50,"
            " round(avg(resp_time), 2) as r, sum(if(hit, 1, 0)) as hits from logs",
            [("n", "long"), ("p50", "float"), ("r", "float"), ("hits", "long")],
            id="aggregates",
        ),
        pytest.param(
            "select date_format(time, 'yyyy-MM-dd HH') as hour, substring_index(url, '/', 3) as p,"
            " split(url, '/')[1] as seg, concat_ws('|', ip, url) as k, concat(bytes, 'B') as b"
            " from logs",
            [
                ("hour", "string"),
                ("p", "string"),
                ("seg", "string"),
                ("k", "string"),
                ("b", "string"),
            ],
            id="string-functions",
        ),
        pytest.param(
            "select unix_timestamp(time) as a, unix_timestamp(ip, 'yyyy-MM-dd') as b,"
            " unix_timestamp() as c, to_unix_timestamp(ip, 'yyyy-MM-dd') as d,"
            " from_unixtime(bytes) as e,"
            " from_unixtime(unix_timestamp(time), 'yyyyMMdd') as f from logs",
            [
                ("a", "long"),
                ("b", "long"),
                ("c", "long"),
                ("d", "long"),
                ("e", "string"),
                ("f", "string"),
            ],
            id="unix-time",
        ),
        pytest.param(
            "select to_date(time) as d, date_add(time, 1) as tomorrow, hour(time) as h,"
            " datediff(time, '2024-01-01') as days, current_timestamp() as now from logs",
            [("d", "date"), ("tomorrow", "date"), ("h", "long"), ("days", "long"), ("now", "date")],
            id="date-functions",
        ),
        pytest.param(
            "select nvl(status, 0) as s, if(hit, 1, 0) as h,"
            " case when status >= 500 then 'error' else 'ok' end as kind,"
            " hit and status > 1 as flag, coalesce(status, url) as mixed from logs",
            [
                ("s", "long"),
                ("h", "long"),
                ("kind", "string"),
                ("flag", "boolean"),
                ("mixed", "string"),
            ],
            id="conditionals",
        ),
        pytest.param(
            "select cast(status as string) as a, cast(url as bigint) as b,"
            " cast(bytes as double) as c, cast(ip as timestamp) as d, cast(time as date) as e,"
            " cast(resp_time as decimal(10, 2)) as f, cast(status as int) as g,"
            " bigint(url) as h, length(status) as i from logs",
            [
                ("a", "string"),
                ("b", "long"),
                ("c", "float"),
                ("d", "date"),
                ("e", "date"),
                ("f", "float"),
                ("g", "long"),
                ("h", "long"),
                ("i", "long"),
            ],
            id="casts",
        ),
        pytest.param(
            "select collect_list(url) as urls, named_struct('a', ip) as s, map('k', ip) as m,"
            " uuid() as u from logs group by ip",
            [("urls", "string"), ("s", "string"), ("m", "string"), ("u", "string")],
            id="nested-and-other-types-are-string",
        ),
        pytest.param(
            "select l.url, h.region from logs l join hosts h on l.ip = h.ip",
            [("url", "string"), ("region", "string")],
            id="join",
        ),
        pytest.param(
            "select ip from logs union all select ip from hosts", [("ip", "string")], id="union"
        ),
        pytest.param(
            "with daily as (select to_date(time) as day, count(*) as n from logs group by 1)"
            " select day, n from daily",
            [("day", "date"), ("n", "long")],
            id="cte",
        ),
        pytest.param(
            "select ip, seg from logs lateral view explode(split(url, '/')) s as seg",
            [("ip", "string"), ("seg", "string")],
            id="lateral-view-explode",
        ),
        pytest.param(
            "select ip, row_number() over (partition by ip order by time) as rn from logs",
            [("ip", "string"), ("rn", "long")],
            id="window",
        ),
        pytest.param("select region from HOSTS", [("region", "string")], id="table-name-any-case"),
        pytest.param(
            "select count(*), count(1), status + 1, url, url, URL from logs group by status, url",
            [
                ("count_star__", "long"),
                ("count_1_", "long"),
                ("_status___1_", "long"),
                ("url", "string"),
                ("url_1", "string"),
                ("url_2", "string"),
            ],
            id="unaliased-names-sanitised",
        ),
        pytest.param(
            "select null as n, 1.5 as d, 1 as i",
            [("n", "string"), ("d", "float"), ("i", "long")],
            id="literals",
        ),
        pytest.param("values (1, 'a')", [("col0", "long"), ("col1", "string")], id="values"),
    ],
)
def test_output_schema(spark_sql, expected) -> None:
    assert output_schema(spark_sql, TABLES) == expected


@pytest.mark.parametrize(
    ("spark_sql", "message"),
    [
        pytest.param(
            "select * from nope",
            "unknown table 'nope': the job's tables are hosts, logs",
            id="unknown-table",
        ),
        pytest.param(
            "select * from db.logs",
            "unknown table 'db.logs': the job's tables are hosts, logs",
            id="qualified-table",
        ),
        pytest.param(
            "select * from pg_class",
            "unknown table 'pg_class': the job's tables are hosts, logs",
            id="duckdb-catalog-is-not-reachable",
        ),
        pytest.param(
            "select nope from logs",
            'Binder Error: Referenced column "nope" not found in FROM clause!'
            ' Candidate bindings: "ip", "time"',
            id="unknown-column",
        ),
        pytest.param(
            "select nope(url) from logs",
            "unknown function nope(): not a Spark SQL function (Spark 3.5.9's built-in"
            " functions are the ones available)",
            id="unknown-function",
        ),
        pytest.param(  # Spark's, passed on by sqlglot's name; DuckDB has no such function
            "select csc(bytes) as c from logs",  # (before: DuckDB's "Did you mean ...")
            "the Spark function csc() is not supported on the DuckDB engine",
            id="spark-function-duckdb-lacks",
        ),
        pytest.param(
            "select time - hit from logs",
            "Binder Error: No function matches the given name and argument types"
            " '-(TIMESTAMP WITH TIME ZONE, BOOLEAN)'. You might need to add explicit type casts.",
            id="type-error",
        ),
        pytest.param(
            "select ip from logs l join hosts h on l.ip = h.ip",
            "Binder Error: Ambiguous reference to column name \"ip\" (use: 'l.ip' or 'h.ip')",
            id="ambiguous-column",
        ),
        pytest.param(
            "select url, count(*) from logs",
            'Binder Error: column "url" must appear in the GROUP BY clause or must be part of an'
            ' aggregate function. Either add it to the GROUP BY list, or use ANY_VALUE("url") if'
            ' the exact value of "url" is not important.',
            id="missing-group-by",
        ),
        pytest.param(
            "select * from logs; select * from hosts",
            "SQL must be exactly one statement, found 2",
            id="two-statements",
        ),
        pytest.param(
            "insert into logs select * from logs",
            "SQL must be a query (SELECT ...), not INSERT",
            id="dml",
        ),
        pytest.param(
            "select * from read_csv('/etc/passwd')",
            "table function read_csv() is not available; read the job's tables",
            id="read-csv",
        ),
        pytest.param(
            "select * from read_text('/etc/passwd')",
            "table function read_text() is not available; read the job's tables",
            id="read-text",
        ),
        pytest.param(
            "select * from csv.`/etc/passwd`",
            "unknown table 'csv./etc/passwd': the job's tables are hosts, logs",
            id="spark-file-table",
        ),
        pytest.param(
            "select * from '/etc/passwd'",
            "unknown table '/etc/passwd': the job's tables are hosts, logs",
            id="duckdb-replacement-scan",
        ),
    ],
)
def test_bad_sql_is_job_sql_invalid(spark_sql, message) -> None:
    with pytest.raises(InvalidInputError) as caught:
        output_schema(spark_sql, TABLES)

    assert caught.value.failure is Failure.JOB_SQL_INVALID
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("tables", "failure", "message"),
    [
        pytest.param(
            {"logs": LOGS, "LOGS": LOGS},
            Failure.JOB_TABLE_DUP,
            "tables: 'logs' and 'LOGS' differ only in case",
            id="tables-differ-in-case",
        ),
        pytest.param(
            {"logs": [("a", "long"), ("A", "string")]},
            Failure.SCHEMA_KEY_DUP,
            "columns of 'logs': 'a' and 'A' differ only in case",
            id="columns-differ-in-case",
        ),
        pytest.param(
            {"logs": [("a", "array")]},
            Failure.SCHEMA_TYPE_INVALID,
            "column 'a' of table 'logs': valtype 'array'",
            id="unknown-valtype",
        ),
        pytest.param(
            {"logs": []}, Failure.SCHEMA_EMPTY, "table 'logs' has no columns", id="no-columns"
        ),
    ],
)
def test_tables_duckdb_cannot_hold_are_refused(tables, failure, message) -> None:
    with pytest.raises(InvalidInputError) as caught:
        output_schema("select * from logs", tables)

    assert caught.value.failure is failure
    assert caught.value.message == message


def test_tables_do_not_outlive_their_call() -> None:
    output_schema("select * from t", {"t": [("a", "long")]})

    assert output_schema("select * from t", {"t": [("b", "string")]}) == [("b", "string")]


def test_concurrent_calls_see_only_their_own_tables() -> None:
    def schema(n: int) -> list[tuple[str, str]]:
        return output_schema("select * from t", {"t": [(f"c{n}", "long")]})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(schema, range(64)))

    assert results == [[(f"c{n}", "long")] for n in range(64)]


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("BOOLEAN", "boolean"),
        ("TINYINT", "long"),
        ("INTEGER", "long"),
        ("HUGEINT", "long"),
        ("UBIGINT", "long"),
        ("UHUGEINT", "long"),
        ("FLOAT", "float"),
        ("DOUBLE", "float"),
        ("DECIMAL(18,3)", "float"),
        ("DATE", "date"),
        ("TIMESTAMP", "date"),
        ("TIMESTAMP WITH TIME ZONE", "date"),
        ("TIMESTAMP_NS", "date"),
        ("VARCHAR", "string"),
        ("BLOB", "string"),
        ("TIME", "string"),
        ("INTERVAL", "string"),
        ("INTEGER[]", "string"),
        ("BIGINT[3]", "string"),
        ("STRUCT(a INTEGER)", "string"),
        ("MAP(VARCHAR, BIGINT)", "string"),
        ('"NULL"', "string"),
    ],
)
def test_valtype(duckdb_type, expected) -> None:
    assert valtype(duckdb_type) == expected
