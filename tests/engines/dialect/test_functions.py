"""Spark's function definitions on the DuckDB engine: each answer below was checked against
Spark 3.5.9 (ANSI off, session zone Asia/Shanghai) with the corpus in tests/fidelity/corpus."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tidemill.engines.duckdb.database import connect
from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.errors import InvalidInputError


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return connect(time_zone="Asia/Shanghai")


def _one(con: duckdb.DuckDBPyConnection, spark_expression: str) -> Any:
    row = con.execute(to_duckdb(f"select {spark_expression} as r")).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(
    ("spark_expression", "spark_result"),
    [
        # positions and numbering (fault kind 4)
        ("substr('2009-07-30 10:15:30', 0, 10)", "2009-07-30"),
        ("substr('abc', -5, 3)", "a"),
        ("substr('abc', 2, -1)", ""),
        ("substr(cast(null as string), 2, -1)", None),
        ("locate('l', 'hello', 0)", 0),
        ("locate('l', 'hello', 4)", 4),
        ("locate('', 'hello', 3)", 1),
        ("lpad('abc', 8, '')", "abc"),
        ("lpad('abcdef', 2, '*')", "ab"),
        ("rpad('abc', -1, 'x')", ""),
        ("split('a,b,,c', ',', 2)", ["a", "b,,c"]),
        ("split('a,b,,c', ',', 0)", ["a", "b", "", "c"]),
        ("split('x,y', cast(null as string))", None),
        ("left('abc', -1)", ""),
        ("right('abc', -1)", ""),
        ("chr(-1)", ""),
        ("chr(321)", "A"),
        ("levenshtein('héllo wörld', 'hello')", 7),
        ("octet_length('é')", 2),
        ("format_string('%s-%d', cast(null as string), 2)", "null-2"),
        ("printf('[%5s|%-4d]', 'ab', 3)", "[   ab|3   ]"),
        ("replace('hello', 'l')", "heo"),
        ("elt(2, 'a', 'b')", "b"),
        ("elt(3, 'a', 'b')", None),
        ("find_in_set('b', 'a,b,c')", 2),
        ("find_in_set('b,c', 'a,b,c')", 0),
        ("size(cast(null as array<int>))", -1),
        ("array(1, 2)[-1]", None),
        ("transform(array('a', 'b'), (x, i) -> i)", [0, 1]),
        ("filter(array(1, 2, 3), (x, i) -> i % 2 = 0)", [1, 3]),
        # NULL instead of an error (fault kind 6) and edge inputs (12)
        ("get_json_object('{\"user\": {\"id\": 8', '$.user.id')", None),
        ("get_json_object('{\"a\": [{\"b\": 1}]}', '$.a[0].b')", "1"),
        ('get_json_object(\'{"a b": "x"}\', "$[\'a b\']")', "x"),
        ("json_array_length('{\"a\": 1}')", None),
        ("json_array_length('not json')", None),
        ("from_json('{\"n\": 1.5}', 'n INT').n", None),
        ("from_json('{\"n\": 1.5}', 'n DOUBLE').n", 1.5),
        ("from_json('{\"user\": {\"id\": 7}}', 'user STRUCT<id: BIGINT>').user.id", 7),
        ("to_json(named_struct('a', 1, 'b', cast(null as string)))", '{"a":1}'),
        ('schema_of_json(\'{"b": ["x"], "a": 1}\')', "STRUCT<a: BIGINT, b: ARRAY<STRING>>"),
        ("array_contains(array(1, null), 2)", None),
        ("array_position(array('a'), 'z')", 0),
        ("array_distinct(array('c', 'a', 'c', 'b'))", ["c", "a", "b"]),
        ("exists(array(1, null), x -> x > 1)", None),
        ("forall(array(1, null), x -> x > 0)", None),
        ("aggregate(array(1, 2, 3), 0, (acc, x) -> acc + x, acc -> acc * 10)", 60),
        ("zip_with(array(1, 2), array(10), (a, b) -> a + b)", [11, None]),
        # regex (Java syntax)
        ("regexp_replace('user@example', '(\\\\w+)@(\\\\w+)', '$2 at $1')", "example at user"),
        ("regexp_extract('2026-11-30', '(?<year>\\\\d{4})-', 1)", "2026"),
        ("regexp_substr('abc', '[0-9]+')", None),
        ("'GET /a' rlike '^(?!GET)'", False),
        ("regexp_extract('ann@example.com', '(\\\\w+)(?=@)', 1)", "ann"),
        # URLs
        (
            "parse_url('https://u:p@www.example.com:8443/a.html?x=1&y=2#f', 'HOST')",
            "www.example.com",
        ),
        ("parse_url('https://u:p@www.example.com:8443/a.html?x=1&y=2#f', 'QUERY', 'y')", "2"),
        (
            "parse_url('https://u:p@www.example.com:8443/a.html?x=1&y=2#f', 'FILE')",
            "/a.html?x=1&y=2",
        ),
        ("parse_url('https://u:p@www.example.com:8443/a.html?x=1&y=2#f', 'USERINFO')", "u:p"),
        ("parse_url('http://example.com', 'QUERY')", None),
        ("parse_url('http://bad host/x', 'HOST')", None),
        ("parse_url('mailto:a@example.com', 'PATH')", None),
        ("url_encode('a b*~')", "a+b*%7E"),
        ("url_decode('a+b%2Bc')", "a b+c"),
    ],
)
def test_spark_function_gives_sparks_answer(
    con: duckdb.DuckDBPyConnection, spark_expression: str, spark_result: Any
) -> None:
    assert _one(con, spark_expression) == spark_result


def test_outer_explode_keeps_rows_with_empty_or_null_arrays(con: duckdb.DuckDBPyConnection) -> None:
    sql = to_duckdb(
        "select id, c from (select 1 as id, array(1, 2) as a union all select 2, array()"
        " union all select 3, null) t lateral view outer explode(a) x as c order by id, c"
    )
    assert con.execute(sql).fetchall() == [(1, 1), (1, 2), (2, None), (3, None)]


def test_plain_explode_drops_them(con: duckdb.DuckDBPyConnection) -> None:
    sql = to_duckdb(
        "select id, explode(a) from (select 1 as id, array(1, 2) as a union all"
        " select 2, array()) t order by id, col"
    )
    cur = con.execute(sql)
    assert [d[0] for d in cur.description] == ["id", "col"]
    assert cur.fetchall() == [(1, 1), (1, 2)]


def test_posexplode_of_a_map_names_pos_key_value(con: duckdb.DuckDBPyConnection) -> None:
    cur = con.execute(to_duckdb("select posexplode(map('a', 1, 'b', 2))"))
    assert [d[0] for d in cur.description] == ["pos", "key", "value"]
    assert sorted(cur.fetchall()) == [(0, "a", 1), (1, "b", 2)]


def test_json_tuple_and_stack_name_their_columns_as_spark(con: duckdb.DuckDBPyConnection) -> None:
    cur = con.execute(to_duckdb("select json_tuple('{\"a\": 1, \"b\": \"x\"}', 'a', 'b')"))
    assert [d[0] for d in cur.description] == ["c0", "c1"]
    assert cur.fetchall() == [("1", "x")]
    cur = con.execute(to_duckdb("select stack(2, 1, 2, 3)"))
    assert [d[0] for d in cur.description] == ["col0", "col1"]
    assert cur.fetchall() == [(1, 2), (3, None)]


def test_explode_of_an_aggregate_expands_the_aggregated_row(
    con: duckdb.DuckDBPyConnection,
) -> None:
    sql = to_duckdb(
        "select explode(sort_array(collect_list(id))) as i"
        " from (select 2 as id union all select 1) t order by i"
    )
    assert con.execute(sql).fetchall() == [(1,), (2,)]


@pytest.mark.parametrize(
    "hint",
    ["COALESCE(1)", "REPARTITION(3, id)", "REPARTITION_BY_RANGE(2, id)", "REBALANCE",
     "BROADCAST(t)", "MERGE(t)", "SHUFFLE_HASH(t)", "SHUFFLE_REPLICATE_NL(t)", "NOT_A_HINT(x)"],
)  # fmt: skip
def test_hints_are_accepted(con: duckdb.DuckDBPyConnection, hint: str) -> None:
    sql = to_duckdb(f"select /*+ {hint} */ id from (select 1 as id) t")
    assert con.execute(sql).fetchall() == [(1,)]


@pytest.mark.parametrize(
    ("spark_sql", "spark_answer"),
    [  # Spark 3.5.9's answers (tests/fidelity/corpus/regex.py has these features over tables)
        ("select 'aa' rlike 'a(?!a)'", True),
        ("select 'aa' rlike '(a)\\\\1'", True),
        ("select regexp_replace('ab', 'x*', '-')", "-a-b-"),
        ("select regexp_replace('a', '|a', '-')", "-a-"),
        ("select split('a1b2', '(?=[0-9])')", ["a", "1b", "2"]),
        ("select regexp_extract_all('x=1;y=22', '(?<==)(\\\\d+)', 1)", ["1", "22"]),
    ],
)
def test_java_regex_features_re2_lacks_run(
    con: duckdb.DuckDBPyConnection, spark_sql: str, spark_answer: object
) -> None:
    (value,) = con.execute(to_duckdb(spark_sql)).fetchone() or (None,)
    assert value == spark_answer


@pytest.mark.parametrize(
    ("spark_sql", "construct"),
    [
        ("select soundex('Robert')", "soundex"),
        ("select hash('a')", "hash"),
        ("select 'aa' rlike '(?!a)[a-z&&[^b]]'", "intersection (&&)"),
        ("select regexp_extract('ab', '(?<=\\\\p{InGreek})b', 0)", "\\p{InGreek}"),
        ("select count_if(1 in (select 1)) n", "an IN subquery inside count_if"),
        ("select get_json_object('{}', '$.a[*]')", "wildcard"),
        ("select arrays_zip(array(1), array(2))", "arrays_zip"),
        ("select map_zip_with(map(1, 1), map(1, 2), (k, a, b) -> a + b)", "map_zip_with"),
        ("select from_json('{}', 'a TIMESTAMP')", "from_json field type TIMESTAMP"),
    ],
)
def test_what_duckdb_cannot_answer_as_spark_is_refused_by_name(
    spark_sql: str, construct: str
) -> None:
    with pytest.raises(InvalidInputError, match="not supported on the DuckDB engine") as caught:
        to_duckdb(spark_sql)
    assert construct in str(caught.value)
