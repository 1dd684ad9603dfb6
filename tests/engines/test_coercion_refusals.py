"""Queries Spark 3.5 refuses for their types are refused at translation (JOB_SQL_INVALID), and
Spark refuses each of them too: members of a CASE/IF/COALESCE/NVL2, an IN list, array(),
greatest/least or a set operation column with no wider common type; arguments of a type a
function does not take (date_add's days, bool_and's values, a CAST to an array)."""

from __future__ import annotations

import pytest

from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.errors import Failure, InvalidInputError

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

T = "(SELECT 1 AS i, 'a' AS s, true AS b, DATE '2020-01-01' AS d, X'01' AS x) AS t"

# (query, what the refusal names)
REFUSED = [
    ("SELECT CASE WHEN true THEN 1 ELSE false END AS v", "CASE combines INT and BOOLEAN"),
    (f"SELECT CASE WHEN b THEN i ELSE d END AS v FROM {T}", "CASE combines INT and DATE"),
    (f"SELECT CASE i WHEN 1 THEN s ELSE x END AS v FROM {T}", "STRING and BINARY"),
    ("SELECT if(true, date '2017-12-11', 2) AS v", "IF combines DATE and INT"),
    ("SELECT if(true, timestamp '2017-12-11 09:30:00', 2.5) AS v", "TIMESTAMP and DECIMAL"),
    ("SELECT coalesce(true, 'a') AS v", "COALESCE/NVL combines STRING and BOOLEAN"),
    ("SELECT nvl(1, true) AS v", "INT and BOOLEAN"),
    ("SELECT nvl2(1, 2, true) AS v", "NVL2 combines INT and BOOLEAN"),
    ("SELECT 1 IN (true) AS v", "IN combines INT and BOOLEAN"),
    ("SELECT 'a' IN (true) AS v", "IN combines STRING and BOOLEAN"),
    (f"SELECT x IN ('1') AS v FROM {T}", "IN combines STRING and BINARY"),
    ("SELECT 1 IN (1, 'a', true) AS v", "BOOLEAN"),
    ("SELECT array(1, true) AS v", "array combines INT and BOOLEAN"),
    ("SELECT array(date '2020-01-01', 1) AS v", "array combines DATE and INT"),
    ("SELECT CASE WHEN true THEN array(1) ELSE array(true) END AS v", "ARRAY<INT>"),
    ("SELECT greatest(1, '2') AS v", "greatest combines"),
    ("SELECT least(date '2020-01-01', '2020-01-02') AS v", "least combines"),
    ("SELECT 1 AS c UNION SELECT true", "UNION combines INT and BOOLEAN"),
    ("SELECT date '2020-01-01' AS c EXCEPT SELECT 1.5", "EXCEPT combines"),
    (f"SELECT x AS c FROM {T} INTERSECT SELECT 'a'", "INTERSECT combines"),
    ("SELECT 1 AS c UNION ALL SELECT 2 UNION ALL SELECT false", "UNION combines INT and BOOLEAN"),
]

# what Spark still answers (the same constructs with types that have a wider common type)
ACCEPTED = [
    "SELECT CASE WHEN true THEN 1 ELSE '2' END AS v",
    "SELECT CASE 1 WHEN true THEN 1 ELSE 2 END AS v",
    "SELECT CASE true WHEN 'true' THEN 1 ELSE 2 END AS v",
    "SELECT if(true, date '2017-12-11', timestamp '2017-12-11 09:30:00') AS v",
    "SELECT if(true, date '2017-12-11', '2') AS v",
    "SELECT coalesce(1, 'a') AS v",
    "SELECT nvl2(1, 2, 'a') AS v",
    "SELECT 1 IN ('1') AS v",
    "SELECT array(1) IN (array('a')) AS v",
    "SELECT array(1, 'a') AS v",
    "SELECT greatest(1, 2.5, 3) AS v",
    "SELECT 1 AS c UNION SELECT 'a'",
    "SELECT 1 AS c UNION SELECT NULL",
]


@pytest.mark.parametrize(("sql", "named"), REFUSED, ids=[q for q, _ in REFUSED])
def test_refused_at_translation(sql: str, named: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        to_duckdb(sql)
    assert raised.value.failure is Failure.JOB_SQL_INVALID
    assert named in str(raised.value)
    assert "Spark refuses" in str(raised.value)


@pytest.mark.parametrize("sql", ACCEPTED)
def test_accepted_when_spark_widens(sql: str) -> None:
    assert to_duckdb(sql)


def test_spark_refuses_them_too_and_answers_the_rest(spark: object) -> None:
    from pyspark.errors import AnalysisException

    for sql, _ in REFUSED:
        with pytest.raises(AnalysisException, match=r"DATATYPE_MISMATCH|INCOMPATIBLE"):
            spark.sql(sql).collect()  # type: ignore[attr-defined]
    for sql in ACCEPTED:
        assert spark.sql(sql).collect(), sql  # type: ignore[attr-defined]
