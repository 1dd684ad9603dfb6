"""`core.sql`: a call of a function Spark does not have is refused when the job is written
(JOB_SQL_INVALID), whatever engine would run it; Spark's own calls and the names a query gives
itself are not mistaken for one. The list itself is checked against real Spark in
tests/engines/test_spark_functions.py."""

from __future__ import annotations

import pytest

from tidemill.core import spark_functions
from tidemill.core.sql import SPARK_SYNTAX_FUNCTIONS, SPARK_TABLE_FUNCTIONS, parse_query
from tidemill.errors import Failure, InvalidInputError


@pytest.mark.parametrize(
    ("spark_sql", "name"),
    [
        # DuckDB's own functions: state that outlives a batch, or answers Spark never gives
        ("SELECT setseed(0.5) AS s", "setseed"),
        ("SELECT current_query_id() AS q", "current_query_id"),
        ("SELECT txid_current() AS t", "txid_current"),
        ("SELECT gen_random_uuid() AS u", "gen_random_uuid"),
        ("SELECT list_value(1, 2) AS l", "list_value"),
        ("SELECT arg_max(a, b) AS m FROM t", "arg_max"),
        ("SELECT string_agg(a, ',') AS s FROM t", "string_agg"),  # parsed as GROUP_CONCAT
        ("SELECT strftime(ts, '%Y') AS y FROM t", "strftime"),
        # inside other constructs, in any case, backquoted
        ("SELECT upper(LIST_VALUE(1)) AS u", "LIST_VALUE"),
        ("SELECT `setseed`(0.5) AS s", "setseed"),
        ("SELECT a FROM t WHERE setseed(0.1) IS NULL", "setseed"),
        ("WITH c AS (SELECT txid_current() AS x) SELECT x FROM c", "txid_current"),
        ("SELECT a FROM t ORDER BY list_value(a)", "list_value"),
        # a name no engine has
        ("SELECT no_such_function(a) AS x FROM t", "no_such_function"),
    ],
)
def test_a_function_spark_does_not_have_is_refused(spark_sql: str, name: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_query(spark_sql)
    assert raised.value.failure is Failure.JOB_SQL_INVALID
    assert f"unknown function {name}()" in raised.value.message
    assert "not a Spark SQL function" in raised.value.message


@pytest.mark.parametrize(
    "spark_sql",
    [
        "SELECT upper(a) AS u, COUNT(*) AS n FROM t GROUP BY upper(a)",
        "SELECT `upper`(a) AS u FROM t",
        # names a query gives itself, followed by a column list
        "WITH c(x, y) AS (SELECT 1, 2) SELECT x, y FROM c",
        "SELECT v.a, v.b FROM VALUES (1, 2) AS v(a, b)",
        "SELECT * FROM t AS s(p, q)",
        # Spark's grammar, not SHOW FUNCTIONS
        "SELECT try_cast(a AS int) AS n FROM t",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a) AS m FROM t",
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY a) AS m FROM t",
        "SELECT timestampadd(DAY, 1, ts) AS d, timestampdiff(DAY, ts, ts) AS n FROM t",
        "SELECT identifier('a') AS a FROM t",
        "SELECT a, b, count(*) AS n FROM t GROUP BY cube(a, b)",
        "SELECT a, count(*) AS n FROM t GROUP BY rollup(a)",
        "SELECT a, count(*) AS n FROM t GROUP BY GROUPING SETS ((a), ())",
        # hints name no function
        "SELECT /*+ REPARTITION(3) */ a FROM t",
        "SELECT /*+ BROADCAST(u) */ t.a FROM t JOIN u ON t.a = u.a",
        # table functions, lambdas, window functions, literals that look like calls
        "SELECT * FROM range(3)",
        "SELECT explode(array(1, 2)) AS x",
        "SELECT transform(array(1, 2), x -> x + 1) AS y",
        "SELECT row_number() OVER (PARTITION BY a ORDER BY b) AS r FROM t",
        "SELECT DATE '2024-01-01' AS d, INTERVAL 1 DAY AS i, CAST(a AS decimal(10, 2)) AS c FROM t",
        "SELECT a IN (1, 2) AS i, EXISTS (SELECT 1) AS e, struct(a AS x) AS s FROM t",
    ],
)
def test_sparks_own_calls_and_a_querys_own_names_are_accepted(spark_sql: str) -> None:
    parse_query(spark_sql)


def test_the_lists_hold_sparks_everyday_functions_and_none_of_duckdbs_own() -> None:
    # The generated list is compared with Spark itself in tests/engines; this catches an edit.
    functions = spark_functions.SPARK_FUNCTIONS
    assert {"count", "sum", "date_format", "from_unixtime", "regexp_extract"} <= functions
    assert not {"setseed", "list_value", "string_agg", "strftime", "txid_current"} & functions
    assert {"range", "explode", "inline", "json_tuple", "stack"} <= SPARK_TABLE_FUNCTIONS
    assert "sql_keywords" not in SPARK_TABLE_FUNCTIONS  # Spark's, but no engine here gives it
    assert not SPARK_SYNTAX_FUNCTIONS & functions
