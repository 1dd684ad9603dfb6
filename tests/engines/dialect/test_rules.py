"""The pure pieces of the function rules: hints, JSON paths, Java regex and replacements."""

from __future__ import annotations

import pytest

from tidemill.engines.duckdb.dialect.hints import output_partitions
from tidemill.engines.duckdb.dialect.json_values import duckdb_path, spark_type
from tidemill.engines.duckdb.dialect.regex import re2_pattern, re2_replacement
from tidemill.errors import InvalidInputError


@pytest.mark.parametrize(
    ("spark_sql", "partitions"),
    [
        ("select /*+ COALESCE(2) */ 1", 2),
        ("select /*+ REPARTITION(4, a) */ 1 as a", 4),
        ("select /*+ REPARTITION(a) */ 1 as a", None),
        ("select /*+ BROADCAST(t) */ 1", None),
        ("select 1", None),
        ("select /*+ COALESCE(3) */ a from (select /*+ COALESCE(9) */ 1 as a) t", 3),
    ],
)
def test_output_partitions_reads_the_outer_hint(spark_sql: str, partitions: int | None) -> None:
    assert output_partitions(spark_sql) == partitions


@pytest.mark.parametrize(
    ("spark_path", "duckdb"),
    [
        ("$", "$"),
        ("$.a.b", '$."a"."b"'),
        ("$['a b'][0]", '$."a b"[0]'),
        ("$[2].k", '$[2]."k"'),
        ("a.b", None),
        ("$.", None),
    ],
)
def test_json_paths(spark_path: str, duckdb: str | None) -> None:
    assert duckdb_path(spark_path) == duckdb


def test_json_wildcards_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="wildcard"):
        duckdb_path("$.a[*]")


def test_ddl_column_list_is_a_struct() -> None:
    assert spark_type("a INT, b ARRAY<STRING>").sql(dialect="duckdb") == "STRUCT(a INT, b TEXT[])"
    assert spark_type("map<string,int>").sql(dialect="duckdb") == "MAP(TEXT, INT)"


@pytest.mark.parametrize(
    ("java", "re2"),
    [
        (r"(?<year>\d{4})", r"(?P<year>\d{4})"),
        (r"\Q1.5\E", r"1\.5"),
        (r"\p{L}+", r"\p{L}+"),
        (r"a\+b", r"a\+b"),
    ],
)
def test_java_patterns_for_re2(java: str, re2: str) -> None:
    assert re2_pattern(java) == re2


@pytest.mark.parametrize("java", [r"a(?=b)", r"(?<!x)a", r"(a)\1", r"(?>ab)", r"a*+", r"a{2}+"])
def test_what_re2_cannot_run_is_refused(java: str) -> None:
    with pytest.raises(InvalidInputError, match="Java regex"):
        re2_pattern(java)


@pytest.mark.parametrize(
    ("java", "re2"),
    [("$2-$1", r"\2-\1"), (r"\$", "$"), (r"a\\b", r"a\\b"), ("plain", "plain")],
)
def test_java_replacements_for_re2(java: str, re2: str) -> None:
    assert re2_replacement(java) == re2
