"""Users' Spark SQL: which statements are accepted, what DuckDB SQL they become, what they read."""

from __future__ import annotations

import pytest
from sqlglot import exp

from tidemill.core.sql import parse_query, referenced_tables, schema_keys
from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.errors import Failure, InvalidInputError


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        pytest.param(
            "select array_remove(a, 3) as r from t",
            "SELECT CASE WHEN 3 IS NULL THEN NULL ELSE LIST_FILTER(a, LAMBDA _tidemill_u :"
            " _tidemill_u IS DISTINCT FROM 3) END AS r FROM t",
            id="array-remove-keeps-null-elements",
        ),
        pytest.param(
            "select sequence(n, 1) as r from t",
            "SELECT TIDEMILL_SEQUENCE(n, 1, CASE WHEN n <= 1 THEN 1 ELSE -1 END) AS r FROM t",
            id="sequence-default-step-follows-direction",
        ),
        pytest.param(
            "select (a, b + 1) as r from t",
            "SELECT {'a': a, 'col2': b + 1} AS r FROM t",
            id="parenthesized-values-are-a-struct-with-sparks-names",
        ),
        pytest.param(
            "select url, count(*) as hits from logs group by url",
            "SELECT url, COUNT(*) AS hits FROM logs GROUP BY url",
            id="group-by",
        ),
        pytest.param(
            "with x as (select * from t) select * from x union all select * from u",
            "WITH x AS (SELECT * FROM t) SELECT * FROM x UNION ALL SELECT * FROM u",
            id="cte-and-union",
        ),
        pytest.param("(select 1)", "(SELECT 1)", id="parenthesised"),
        pytest.param("values (1, 2)", "VALUES (1, 2)", id="values"),
        pytest.param("select 1;", "SELECT 1", id="trailing-semicolon"),
        pytest.param(
            "-- total\nselect 1;;", "/* total */ SELECT 1", id="comment-and-empty-statement"
        ),
        pytest.param(
            "select * from range(3)",
            "SELECT * FROM (SELECT range AS id FROM RANGE(3)) AS range",
            id="spark-table-function",
        ),
        pytest.param(  # Spark's typed literal (`typeConstructor`): X, any case, a space
            "select X '1010' as b, x /* hex */ '0a' as c, X'ff' as d",
            "SELECT UNHEX('1010') AS b, UNHEX('0a') AS c /* hex */, UNHEX('ff') AS d",
            id="binary-literal-with-a-space",
        ),
        pytest.param(  # a struct's field of a call's result is not a qualified call
            "select upper(a).x, t.s.x, s.*, arr[0].x from t",
            "SELECT UPPER(a).x, t.s.x, s.*, arr[1].x FROM t",
            id="field-of-a-call",
        ),
        pytest.param(
            "select split(url, '/')[0] as s from logs",
            "SELECT STR_SPLIT_REGEX(url, '/')[1] AS s FROM logs",
            id="split-index-is-one-based",
        ),
        pytest.param(
            "select substring_index(url, '/', 3) as p from logs",
            "SELECT SUBSTRING_INDEX(url, '/', 3) AS p FROM logs",
            id="substring-index-left-for-the-macro",
        ),
        pytest.param(
            "select bigint(s) as b, tinyint(s) as t, smallint(s) as m, binary(s) as x from logs",
            "SELECT CAST(s AS BIGINT) AS b, CAST(s AS TINYINT) AS t, CAST(s AS SMALLINT) AS m,"
            " CAST(s AS BLOB) AS x FROM logs",
            id="cast-functions",
        ),
        pytest.param(
            "select nvl(a, 'x') as n, if(a > 1, 'y', 'n') as i from t",
            "SELECT COALESCE(a, 'x') AS n, CASE WHEN a > 1 THEN 'y' ELSE 'n' END AS i FROM t",
            id="nvl-and-if",
        ),
        pytest.param(  # Spark's default LIKE escape character is a backslash; DuckDB has none
            r"select a like 'x\_%' as l, a not ilike 'y' as i from t",  # (no escape: no ESCAPE)
            r"SELECT a LIKE 'x\_%' ESCAPE '\' AS l, a NOT ILIKE 'y' AS i FROM t",
            id="like-escape-character",
        ),
        pytest.param(
            "select a like 'x/_' escape '/' as l, a like any ('p%', 'q') as y from t",
            "SELECT a LIKE 'x/_' ESCAPE '/' AS l, ((a LIKE 'p%') OR (a LIKE 'q')) AS y FROM t",
            id="like-escape-clause-and-any",
        ),
        pytest.param(
            "select current_database() as d, current_catalog() as c, current_schema() as s",
            "SELECT 'default' AS d, 'spark_catalog' AS c, 'default' AS s",
            id="session-names-are-sparks",
        ),
        pytest.param(
            "select typeof(1) as a, typeof(-2147483648) as b, typeof(map('k', 1.5)) as c",
            "SELECT 'int' AS a, 'int' AS b, 'map<string,decimal(2,1)>' AS c",
            id="typeof-names-spark-types",
        ),
        pytest.param(
            "select bin(13.3) as b",
            "SELECT BIN(TIDEMILL_WRAP64(TRY_CAST(TRUNC(13.3) AS INT128))) AS b",
            id="bin-casts-to-bigint",
        ),
    ],
)
def test_spark_query_becomes_duckdb(spark_sql, expected) -> None:
    assert to_duckdb(spark_sql) == expected


@pytest.mark.parametrize(
    ("spark_sql", "message"),
    [
        pytest.param(
            "select bitmap_count(x'10')",
            "bitmap_count is not supported on the DuckDB engine",
            id="bitmap-count",
        ),
        pytest.param(
            "select bitmap_construct_agg(bitmap_bit_position(a)) from t",
            "bitmap_construct_agg is not supported on the DuckDB engine",
            id="bitmap-construct-agg",
        ),
        pytest.param(
            "select 128Y",
            "a tinyint literal out of its range (128) is not supported on the DuckDB engine",
            id="tinyint-literal-out-of-range",
        ),
        pytest.param(
            "select make_interval(1, 2, 0, 3, 4, 5, 6.000001)",
            "make_interval is not supported on the DuckDB engine",
            id="make-interval",
        ),
        pytest.param(
            "select cast(make_interval(100, null, 3) as string)",
            "make_interval is not supported on the DuckDB engine",
            id="make-interval-as-text",
        ),
        pytest.param(
            "select sequence(timestamp'2020-01-02 00:00:00', timestamp'2020-01-01 00:00:00')",
            "sequence over timestamps is not supported on the DuckDB engine",
            id="sequence-of-timestamps",
        ),
        pytest.param(
            "select sequence(1.5, 3)",
            "sequence of values that are not integers or dates is not supported on the DuckDB"
            " engine",
            id="sequence-of-decimals",
        ),
        pytest.param(
            "select make_timestamp(2020, 1, 1, 0, 0, 0, '+05:00')",
            "make_timestamp with a time zone that is not a literal region name is not supported on"
            " the DuckDB engine",
            id="make-timestamp-offset-zone",
        ),
        pytest.param(
            "select make_timestamp(y, 1, 1, 0, 0, 0, z) from values (2020, 'UTC') as t(y, z)",
            "make_timestamp with a time zone that is not a literal region name is not supported on"
            " the DuckDB engine",
            id="make-timestamp-zone-column",
        ),
        pytest.param(
            "select array((1, 2), (3, a)) from t",
            "array of structs with different field names is not supported on the DuckDB engine",
            id="array-of-structs-differently-named",
        ),
        pytest.param("", "SQL is empty: write one SELECT statement", id="empty"),
        pytest.param(" ;\n", "SQL is empty: write one SELECT statement", id="only-semicolon"),
        pytest.param("-- nothing", "SQL is empty: write one SELECT statement", id="only-comment"),
        pytest.param(
            "select 1; select 2", "SQL must be exactly one statement, found 2", id="two-queries"
        ),
        pytest.param(
            "select * from t; drop table t",
            "SQL must be exactly one statement, found 2",
            id="query-then-ddl",
        ),
        pytest.param(
            "insert into t select 1", "SQL must be a query (SELECT ...), not INSERT", id="insert"
        ),
        pytest.param(
            "create table x as select 1",
            "SQL must be a query (SELECT ...), not CREATE",
            id="create-as-select",
        ),
        pytest.param("drop table t", "SQL must be a query (SELECT ...), not DROP", id="drop"),
        pytest.param("delete from t", "SQL must be a query (SELECT ...), not DELETE", id="delete"),
        pytest.param(
            "cache table x as select 1", "SQL must be a query (SELECT ...), not CACHE", id="cache"
        ),
        pytest.param(
            "set spark.sql.ansi.enabled=false",
            "SQL must be a query (SELECT ...), not SET",
            id="set",
        ),
        pytest.param(
            "select a,\n b c d from t",
            "SQL syntax error at line 2, column 6 (near 'd'):"
            " Invalid expression / Unexpected token",
            id="syntax-error-with-position",
        ),
        pytest.param(
            "select * from",
            "SQL syntax error at line 1, column 13 (near 'from'): Expected table name but got"
            " SENTINEL",
            id="missing-table",
        ),
        pytest.param(
            "select 'abc", "SQL cannot be read: Error tokenizing 'select 'ab'", id="open-string"
        ),
        pytest.param(
            "select * from read_csv('/etc/passwd')",
            "table function read_csv() is not available; read the job's tables",
            id="duckdb-file-reader",
        ),
        pytest.param(
            "select * from duckdb_settings()",
            "table function duckdb_settings() is not available; read the job's tables",
            id="duckdb-table-function",
        ),
        pytest.param(
            "select * from t where",
            "SQL syntax error at line 1, column 21 (near 'where'): Required keyword: 'this'"
            " missing for Where",
            id="unfinished-where",
        ),
        pytest.param(
            "select xxhash64(url) as h from logs",
            "xxhash64 is not supported on the DuckDB engine",
            id="no-duckdb-equivalent",
        ),
        pytest.param(  # Spark's, passed by name, and DuckDB has no such function: not a run's
            "select spark_partition_id() as p from logs",  # catalog error later
            "the Spark function spark_partition_id() is not supported on the DuckDB engine",
            id="spark-function-duckdb-lacks",
        ),
        pytest.param(
            "select url, monotonically_increasing_id() as i from logs",
            "the Spark function monotonically_increasing_id() is not supported on the DuckDB"
            " engine",
            id="spark-function-duckdb-lacks-2",
        ),
        pytest.param(  # Spark: UNRESOLVED_ROUTINE; sqlglot reads a call of `upper`
            "select default.upper(a) as u from t",
            "function default.upper() is qualified: Spark calls only its built-in functions, "
            "by their bare name; write upper(...)",
            id="qualified-function",
        ),
        pytest.param(  # Spark: REQUIRES_SINGLE_PART_NAMESPACE
            "select system.builtin.count(*) as n from t",
            "function system.builtin.count() is qualified: Spark calls only its built-in "
            "functions, by their bare name; write count(...)",
            id="qualified-builtin-function",
        ),
        pytest.param(
            "select * from default.range(3)",
            "function default.range() is qualified: Spark calls only its built-in functions, "
            "by their bare name; write range(...)",
            id="qualified-table-function",
        ),
        pytest.param(
            "select t.left(a, 1) as l from t",
            "function t.left() is qualified: Spark calls only its built-in functions, by their "
            "bare name; write left(...)",
            id="call-qualified-by-a-table",
        ),
        pytest.param(  # sqlglot reads it as a column `d`.`percentile_cont(..)`
            "select d.percentile_cont(0.5) within group (order by a) as p from t",
            "function d.percentile_cont() is qualified: Spark calls only its built-in "
            "functions, by their bare name; write percentile_cont(...)",
            id="qualified-within-group",
        ),
        pytest.param(
            "select X 'fg' as b",
            "binary literal X'fg' at line 1: write hexadecimal digits (0-9, a-f) only",
            id="binary-literal-not-hex",
        ),
        pytest.param(  # Spark: INVALID_FORMAT.ESC_IN_THE_MIDDLE (tests/engines/test_spark_like.py)
            r"select a like '\\%x\\Users%' as l from t",
            r"[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: '\%x\Users%'. The escape"
            " character is not allowed to precede 'U'.",
            id="like-escape-in-the-middle",
        ),
        pytest.param(  # Spark: INVALID_FORMAT.ESC_AT_THE_END
            r"select a like 'x\\' as l from t",
            r"[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: 'x\'. The escape character"
            " is not allowed to end with.",
            id="like-escape-at-the-end",
        ),
        pytest.param(  # ILIKE checks the lowered pattern, as Spark does
            r"select a ilike 'x\\B' as l from t",
            r"[INVALID_FORMAT.ESC_IN_THE_MIDDLE] The format is invalid: 'x\b'. The escape"
            " character is not allowed to precede 'b'.",
            id="ilike-escape-in-the-middle",
        ),
        pytest.param(
            "select a like any ('x/y') as l from t where a like 'q/' escape '/'",
            "[INVALID_FORMAT.ESC_AT_THE_END] The format is invalid: 'q/'. The escape character"
            " is not allowed to end with.",
            id="like-escape-clause-at-the-end",
        ),
        pytest.param(
            "select format_number(1.5, '#.#') as f",
            "format_number with a DecimalFormat pattern (a second argument that is not an"
            " integer) is not supported on the DuckDB engine",
            id="format-number-pattern",
        ),
        pytest.param(
            "select version() as v",
            "version() (Spark's answer names its build) is not supported on the DuckDB engine",
            id="version",
        ),
        pytest.param(
            "select current_user() as u",
            "current_user() (Spark's answer is the user running Spark) is not supported on the"
            " DuckDB engine",
            id="current-user",
        ),
        pytest.param(
            "select to_json(named_struct('a', 1), map('dateFormat', 'yyyy')) as j",
            "to_json option 'dateFormat' (only timestampFormat is honoured) is not supported on"
            " the DuckDB engine",
            id="to-json-option",
        ),
        pytest.param(
            "select to_json(map(named_struct('a', 1), 2)) as j",
            "to_json of a map with struct<a:int> keys is not supported on the DuckDB engine",
            id="to-json-struct-key",
        ),
        pytest.param(
            "select typeof(bin(1)) as t",
            "typeof(BIN(1)) (its Spark type) is not supported on the DuckDB engine",
            id="typeof-unknown",
        ),
        pytest.param(
            "select bin(true) as b",
            "bin of a boolean is not supported on the DuckDB engine",
            id="bin-of-boolean",
        ),
    ],
)
def test_sql_that_is_not_one_runnable_query_is_job_sql_invalid(spark_sql, message) -> None:
    with pytest.raises(InvalidInputError) as caught:
        to_duckdb(spark_sql)

    assert caught.value.failure is Failure.JOB_SQL_INVALID
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        pytest.param("select * from logs", {"logs"}, id="one"),
        pytest.param("select * from a join B on a.x = B.x", {"a", "B"}, id="join-keeps-case"),
        pytest.param(
            "select * from a where x in (select x from c) union select * from d",
            {"a", "c", "d"},
            id="subquery-and-union",
        ),
        pytest.param("with w as (select 1 as x) select * from w, b", {"b"}, id="cte-name-excluded"),
        pytest.param(
            "with t as (select * from t) select * from t",
            {"t"},
            id="cte-reading-the-table-it-shadows",
        ),
        pytest.param(
            "with w1 as (select * from a), w2 as (select * from w1) select * from w2",
            {"a"},
            id="cte-chain",
        ),
        pytest.param("select * from db.t", {"db.t"}, id="qualified"),
        pytest.param("select * from range(10)", set(), id="table-function"),
        pytest.param(
            "select s, item from t lateral view explode(split(s, ',')) x as item",
            {"t"},
            id="lateral-view",
        ),
        pytest.param(
            "select * from a left semi join b on a.k = b.k left anti join c on a.k = c.k",
            {"a", "b", "c"},
            id="semi-and-anti-join",
        ),
        pytest.param(
            "with s as (select a, c from t) select * from s pivot (sum(a) for c in ('x'))",
            {"t"},
            id="pivot-of-a-cte",
        ),
        pytest.param("select 1", set(), id="no-table"),
        pytest.param("values (1)", set(), id="values"),
    ],
)
def test_referenced_tables(spark_sql, expected) -> None:
    assert referenced_tables(spark_sql) == expected


def test_referenced_tables_of_a_non_query_is_job_sql_invalid() -> None:
    with pytest.raises(InvalidInputError) as caught:
        referenced_tables("insert into t select * from u")

    assert caught.value.failure is Failure.JOB_SQL_INVALID


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        pytest.param(["url", "hits"], ["url", "hits"], id="valid-unchanged"),
        pytest.param(["count(1)"], ["count_1_"], id="illegal-characters"),
        pytest.param(["1x", "2"], ["_1x", "_2"], id="leading-digit"),
        pytest.param([""], ["_"], id="empty"),
        pytest.param(["数量"], ["__"], id="non-ascii"),
        pytest.param(["a", "a", "a"], ["a", "a_1", "a_2"], id="repeats"),
        pytest.param(["a", "A"], ["a", "A_1"], id="repeats-ignore-case"),
        pytest.param(["a_1", "a", "a"], ["a_1", "a", "a_2"], id="suffix-skips-taken"),
        pytest.param(["sum(x)", "sum x"], ["sum_x_", "sum_x"], id="distinct-after-sanitising"),
        pytest.param(["x" * 130], ["x" * 128], id="truncated"),
        pytest.param(["x" * 130, "x" * 128], ["x" * 128, "x" * 126 + "_1"], id="truncated-repeat"),
    ],
)
def test_schema_keys(names, expected) -> None:
    assert schema_keys(names) == expected


def test_parsed_queries_are_not_shared_with_callers() -> None:
    spark_sql = "select a from t"
    parse_query(spark_sql).find(exp.Table).replace(exp.to_table("other"))  # type: ignore[union-attr]

    assert referenced_tables(spark_sql) == {"t"}
    assert to_duckdb(spark_sql) == "SELECT a FROM t"
