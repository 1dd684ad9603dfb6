"""`core.spark_functions` and `core.sql`'s function check, side by side with real Spark: the
written lists are Spark's own, every call the check accepts by Spark's grammar runs in Spark,
and every name it refuses Spark refuses too (UNRESOLVED_ROUTINE)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from tidemill.core import spark_functions
from tidemill.core.sql import SPARK_SYNTAX_FUNCTIONS, parse_query
from tidemill.errors import InvalidInputError

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

T = "(SELECT 1 AS a, 2 AS b, TIMESTAMP '2024-05-01 08:30:00' AS ts) AS t"

# one query per name of SPARK_SYNTAX_FUNCTIONS
SYNTAX = {
    "try_cast": f"SELECT try_cast(a AS int) AS n FROM {T}",
    "percentile_cont": f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a) AS m FROM {T}",
    "percentile_disc": f"SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY a) AS m FROM {T}",
    "timestampadd": f"SELECT timestampadd(DAY, 1, ts) AS d FROM {T}",
    "timestampdiff": f"SELECT timestampdiff(DAY, ts, ts) AS n FROM {T}",
    "identifier": f"SELECT identifier('a') AS a FROM {T}",
    "cube": f"SELECT a, b, count(*) AS n FROM {T} GROUP BY cube(a, b)",
    "rollup": f"SELECT a, count(*) AS n FROM {T} GROUP BY rollup(a)",
}

# names the check refuses (tests/core/test_spark_functions.py), each an engine's own
REFUSED = ["setseed", "current_query_id", "txid_current", "list_value", "string_agg", "strftime"]


def _script() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "scripts" / "spark_functions.py"
    spec = importlib.util.spec_from_file_location("spark_functions_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_written_lists_are_sparks_own(spark: object) -> None:
    import pyspark
    from pyspark.sql import SparkSession

    assert isinstance(spark, SparkSession)
    assert pyspark.__version__ == spark_functions.SPARK_VERSION  # else run the script again
    words, tables = _script().names_in(spark)  # read as the script reads them
    assert words == spark_functions.SPARK_FUNCTIONS
    assert tables == spark_functions.SPARK_TABLE_FUNCTIONS


def test_every_call_accepted_by_sparks_grammar_runs_in_spark(spark: object) -> None:
    assert set(SYNTAX) == SPARK_SYNTAX_FUNCTIONS
    for name, sql in SYNTAX.items():
        parse_query(sql)  # accepted here ...
        assert spark.sql(sql).collect(), name  # type: ignore[attr-defined]  # ... and in Spark


@pytest.mark.parametrize("name", REFUSED)
def test_a_name_refused_here_is_one_spark_does_not_resolve(spark: object, name: str) -> None:
    from pyspark.errors import AnalysisException

    sql = f"SELECT {name}(a, ',') AS x FROM {T}"
    with pytest.raises(InvalidInputError, match="not a Spark SQL function"):
        parse_query(sql)
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.sql(sql).collect()  # type: ignore[attr-defined]


def test_no_example_of_sparks_own_function_docs_is_refused_as_not_spark(spark: object) -> None:
    # DESCRIBE FUNCTION EXTENDED gives each function's examples (`> SELECT ...;`): 868 in
    # Spark 3.5.9, each valid Spark SQL. None may be refused as calling a non-Spark function.
    examples = []
    for name in sorted(spark_functions.SPARK_FUNCTIONS):
        rows = spark.sql(f"DESCRIBE FUNCTION EXTENDED `{name}`").collect()  # type: ignore[attr-defined]
        text = "\n".join(row[0] for row in rows)
        examples += re.findall(r"^\s*> (SELECT .*?);\s*$", text, re.MULTILINE)
    assert len(examples) > 800
    refused = []
    for sql in examples:
        try:
            parse_query(sql)
        except InvalidInputError as exc:
            if "not a Spark SQL function" in exc.message:
                refused.append((sql, exc.message))
    assert refused == []


@pytest.mark.parametrize(
    "call",
    [
        "default.upper(s)",
        "system.builtin.upper(s)",
        "spark_catalog.default.upper(s)",
        "t.upper(s)",
        "`default`.upper(s)",
        "t.percentile_cont(0.5) WITHIN GROUP (ORDER BY length(s))",
    ],
)
def test_a_qualified_call_refused_here_is_one_spark_refuses(spark: object, call: str) -> None:
    from pyspark.errors import AnalysisException

    sql = f"SELECT {call} AS u FROM (SELECT 'a' AS s) AS t"
    with pytest.raises(InvalidInputError, match="is qualified: Spark calls only"):
        parse_query(sql)
    with pytest.raises(
        AnalysisException,
        match=r"UNRESOLVED_ROUTINE|REQUIRES_SINGLE_PART_NAMESPACE|PARSE_SYNTAX_ERROR",
    ):
        spark.sql(sql).collect()  # type: ignore[attr-defined]


def test_a_binary_literal_with_a_space_is_read_as_spark_reads_it(spark: object) -> None:
    # Spark's typed literal X '...' (any case, comments between), odd digits padded
    sql = "SELECT X '1010' AS a, x /* c */ '0A' AS b, X '' AS c, X '101' AS d"
    (row,) = spark.sql(sql).collect()  # type: ignore[attr-defined]
    assert row.asDict() == {"a": b"\x10\x10", "b": b"\n", "c": b"", "d": b"\x01\x01"}
    parsed = parse_query(sql)
    assert [e.this.sql(dialect="spark") for e in parsed.expressions] == [
        "X'1010'", "X'0A'", "X''", "X'101'",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "call",
    ["truncate(525, -1)", "current_time()", "unnest(array(1))", "xor(true, false)", "list(1)"],
)
def test_a_keyword_call_sqlglot_reads_is_refused_as_spark_refuses_it(
    spark: object, call: str
) -> None:
    # sqlglot's tokenizer makes these names keywords, and its parser functions of other engines
    from pyspark.errors import AnalysisException

    sql = f"SELECT {call} AS x"
    with pytest.raises(InvalidInputError, match="not a Spark SQL function"):
        parse_query(sql)
    with pytest.raises(AnalysisException, match="UNRESOLVED_ROUTINE"):
        spark.sql(sql).collect()  # type: ignore[attr-defined]


def test_the_double_colon_cast_is_refused_as_spark_3_refuses_it(spark: object) -> None:
    from pyspark.errors import ParseException

    sql = "SELECT '1' :: int AS x"
    with pytest.raises(InvalidInputError, match=r"is not Spark 3\.5 SQL: write CAST"):
        parse_query(sql)
    with pytest.raises(ParseException, match="PARSE_SYNTAX_ERROR"):
        spark.sql(sql).collect()  # type: ignore[attr-defined]
