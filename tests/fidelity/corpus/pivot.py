"""PIVOT as Spark 3.5 runs it: one or several FOR columns, aliased and unaliased values and
aggregates, Spark's output names, implicit grouping columns, NULL values, values of other types
(cast to the FOR column's type), duplicate values, empty cells (NULL, even from count(), when
every aggregate is numeric; 0 from count() otherwise)."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "pivot_sales": Table(
        columns=(
            ("year", "long"),
            ("course", "string"),
            ("earnings", "long"),
            ("teacher", "string"),
            ("rating", "float"),
        ),
        rows=(
            (2012, "dotNET", 10000, "ann", 4.5),
            (2012, "Java", 20000, "bob", 3.0),
            (2012, "dotNET", 5000, "cy", None),
            (2013, "dotNET", 48000, "ann", 5.0),
            (2013, "Java", 30000, None, 2.5),
            (None, "Java", 700, "bob", 1.0),
            (2014, None, 100, "cy", 4.0),
            (2014, "Scala", None, "ann", 3.5),
        ),
    ),
}

_VALUES = "VALUES ('a', 1, 10), ('b', 2, 20), ('a', 2, 5), (NULL, 1, 7) AS t(c, s, e)"


def _case(slug: str, sql: str, *, ordered: bool = False, differs: str = "") -> Case:
    return Case(f"pivot/{slug}", sql, ordered=ordered, differs=differs)


CASES: list[Case] = [
    _case(
        "tuple-aliased",
        "SELECT * FROM VALUES ('a', 1, 10), ('b', 2, 20) AS t(c, s, e)"
        " PIVOT (sum(e) FOR (c, s) IN (('a', 1) AS x, ('b', 2) AS y))",
    ),
    _case(
        "tuple-unaliased",
        f"SELECT * FROM {_VALUES} PIVOT (sum(e) FOR (c, s) IN (('a', 1), ('b', 2), ('a', 2)))",
    ),
    _case(
        "tuple-null-field",
        "SELECT * FROM VALUES ('a', 1, 10), ('a', NULL, 20), (NULL, 1, 7) AS t(c, s, e)"
        " PIVOT (sum(e) FOR (c, s) IN ((CAST(NULL AS STRING), 1), ('a', CAST(NULL AS INT))))",
    ),
    _case(
        "several-aggregates",
        "SELECT * FROM VALUES ('a', 1, 10) AS t(c, y, e) PIVOT (sum(e), avg(e) FOR c IN ('a'))",
    ),
    _case(
        "several-aggregates-aliased",
        "SELECT * FROM pivot_sales PIVOT (sum(earnings) AS total, avg(earnings) AS mean"
        " FOR course IN ('dotNET' AS net, 'Java'))",
    ),
    _case(
        "several-aggregates-count",
        "SELECT * FROM (SELECT year, course, earnings FROM pivot_sales)"
        " PIVOT (count(*), max(earnings), count(DISTINCT earnings)"
        " FOR course IN ('dotNET', 'Java'))",
    ),
    _case(
        "implicit-grouping",
        "SELECT * FROM pivot_sales PIVOT (sum(earnings) FOR course IN ('dotNET', 'Java', 'Scala'))",
    ),
    _case(
        "subquery-grouping",
        "SELECT * FROM (SELECT year, course, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings) FOR course IN ('dotNET', 'Java'))",
    ),
    _case(
        "number-values",
        "SELECT * FROM (SELECT year, course, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings) FOR year IN (2012, 2013, 2015))",
    ),
    _case(
        "null-value",
        "SELECT * FROM (SELECT year, course, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings) FOR course IN (NULL, 'Java'))",
    ),
    _case(
        "null-year",
        "SELECT * FROM (SELECT year, course, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings) FOR year IN (NULL AS none, 2012 AS y12))",
    ),
    _case(
        "count-empty-cell-numeric",
        "SELECT * FROM (SELECT year, course FROM pivot_sales)"
        " PIVOT (count(*) FOR course IN ('dotNET', 'Scala'))",
    ),
    _case(
        "count-empty-cell-with-string-aggregate",
        "SELECT * FROM (SELECT year, course, teacher FROM pivot_sales)"
        " PIVOT (count(teacher) AS n, max(teacher) AS t FOR course IN ('dotNET', 'Scala'))",
    ),
    _case(
        "string-aggregate",
        "SELECT * FROM (SELECT year, course, teacher FROM pivot_sales)"
        " PIVOT (min(teacher) FOR course IN ('dotNET', 'Java'))",
    ),
    _case(
        "duplicate-values",
        "SELECT * FROM (SELECT year, course, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings) FOR course IN ('Java', 'Java'))",
    ),
    _case(
        "string-values-for-number-column",
        "SELECT * FROM (SELECT course, year, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings) FOR year IN ('2012', '2013.0', 'x'))",
    ),
    _case(
        "number-values-for-string-column",
        "SELECT * FROM VALUES ('1', 10), ('2', 20), ('x', 5) AS t(c, e)"
        " PIVOT (sum(e) FOR c IN (1, CAST(2 AS BIGINT), 2.5))",
    ),
    _case(
        "date-values",
        "SELECT * FROM VALUES (DATE '2020-01-01', 1), (DATE '2020-01-02', 2) AS t(d, e)"
        " PIVOT (sum(e) FOR d IN (DATE '2020-01-01', '2020-01-02'))",
    ),
    _case(
        "negative-and-decimal-values",
        "SELECT * FROM VALUES (-1, 1.5, 10), (2, 2.50, 20) AS t(k, d, e)"
        " PIVOT (sum(e) FOR k IN (-1, 2))",
    ),
    _case(
        "decimal-column",
        "SELECT * FROM VALUES (1.5, 10), (2.50, 20) AS t(d, e)"
        " PIVOT (sum(e) FOR d IN (1.5, 2.5, 3))",
    ),
    _case(
        "boolean-column",
        "SELECT * FROM VALUES (true, 10), (false, 20), (NULL, 1) AS t(b, e)"
        " PIVOT (sum(e) FOR b IN (true, false, NULL))",
    ),
    _case(
        "aggregate-in-expression",
        "SELECT * FROM (SELECT year, course, earnings FROM pivot_sales)"
        " PIVOT (coalesce(sum(earnings), 0) AS s, round(avg(earnings) / 3, 2) AS a"
        " FOR course IN ('Java', 'Scala'))",
    ),
    _case(
        "double-aggregate",
        "SELECT * FROM (SELECT year, course, rating FROM pivot_sales)"
        " PIVOT (avg(rating) FOR course IN ('dotNET', 'Java'))",
    ),
    _case(
        "named-output-where",
        "SELECT year, dotNET, Java FROM (SELECT year, course, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings) FOR course IN ('dotNET', 'Java')) WHERE year > 2012"
        " ORDER BY year",
        ordered=True,
    ),
    _case(
        "backquoted-output",
        "SELECT `dotNET_sum(earnings)` AS n FROM (SELECT course, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings), min(earnings) FOR course IN ('dotNET'))",
    ),
    _case(
        "no-grouping-column",
        "SELECT * FROM (SELECT course, earnings FROM pivot_sales)"
        " PIVOT (sum(earnings) FOR course IN ('dotNET', 'Java', 'Perl'))",
    ),
    _case(
        "empty-input",
        "SELECT * FROM (SELECT course, earnings FROM pivot_sales WHERE earnings < 0)"
        " PIVOT (sum(earnings), count(earnings) FOR course IN ('dotNET'))",
    ),
    _case(
        "empty-input-grouped",
        "SELECT * FROM (SELECT year, course, earnings FROM pivot_sales WHERE earnings < 0)"
        " PIVOT (sum(earnings) FOR course IN ('dotNET'))",
    ),
    _case(
        "upper-case-names",
        "SELECT * FROM (SELECT Year, COURSE, earnings FROM pivot_sales)"
        " PIVOT (SUM(Earnings), MAX(EARNINGS) FOR Course IN ('Java'))",
    ),
    # a PIVOT of a CTE reads the CTE, not a table of that name
    _case(
        "of-a-cte",
        "WITH s AS (SELECT year, course, earnings FROM pivot_sales)"
        " SELECT * FROM s PIVOT (sum(earnings) FOR course IN ('dotNET', 'Java'))",
    ),
]
