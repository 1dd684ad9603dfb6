"""Rewrites where sqlglot's own Spark → DuckDB translation is missing or wrong, node by node.

A late pass of the pipeline (`tidemill.engines.duckdb.dialect.translate`): Spark's `range()` column,
base64 of strings, and the cast functions sqlglot leaves as unknown calls. (Dates, trunc units
and unix_timestamp are the `datetimes` pass's.)
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from tidemill.engines.duckdb.dialect.context import Context

# Spark's cast functions that sqlglot leaves as unknown calls (it already turns int(), string(),
# double(), float(), boolean(), date() and timestamp() into casts).
_CAST_FUNCTIONS = frozenset({"tinyint", "smallint", "bigint", "decimal", "binary"})

_SPARK = Dialect.get_or_raise("spark")

# Spark functions DuckDB lacks, under their Spark names (sqlglot passes them through unchanged).
# Arguments are cast where Spark casts them.
MACROS: tuple[str, ...] = (
    """CREATE MACRO substring_index(str, delim, count) AS CASE
        WHEN str IS NULL OR delim IS NULL OR count IS NULL THEN NULL
        WHEN delim = '' OR count = 0 THEN ''
        WHEN count > 0 THEN array_to_string(
            string_split(CAST(str AS VARCHAR), delim)[1:count], delim)
        ELSE array_to_string(string_split(CAST(str AS VARCHAR), delim)[count:], delim)
    END""",
    'CREATE MACRO "isnull"(x) AS (x IS NULL)',  # quoted: ISNULL is a DuckDB keyword
    'CREATE MACRO "isnotnull"(x) AS (x IS NOT NULL)',
    # n = -1 as 1: the same answer (0), without DuckDB's overflow of the smallest BIGINT % -1.
    """CREATE MACRO pmod(a, n) AS CASE
        WHEN a % (CASE WHEN n = -1 THEN 1 ELSE n END) < 0 THEN (a % n + n) % n
        ELSE a % (CASE WHEN n = -1 THEN 1 ELSE n END) END""",
    "CREATE MACRO nanvl(a, b) AS CASE WHEN isnan(a) THEN b ELSE a END",
    "CREATE MACRO btrim(s) AS trim(s), (s, chars) AS trim(s, chars)",
    "CREATE MACRO timestamp_seconds(n) AS to_timestamp(n)",
    "CREATE MACRO raise_error(msg) AS error(CAST(msg AS VARCHAR))",
    "CREATE MACRO assert_true(c) AS CASE WHEN c THEN NULL ELSE error('assertion failed') END",
    # `text`: a DECIMAL or integer as DuckDB writes it ('-1234.5'), grouped by thousands, with
    # `d` digits after the point (zeros added) and a '-' when `negative`
    """CREATE MACRO tidemill_format_digits(text, negative, d) AS
        (CASE WHEN negative THEN '-' ELSE '' END)
        || format('{:,}', CAST(split_part(ltrim(text, '-'), '.', 1) AS HUGEINT))
        || CASE WHEN d = 0 THEN '' ELSE '.' || rpad(split_part(text, '.', 2), d, '0') END""",
    # Spark formats with java.text.DecimalFormat, HALF_EVEN, on the exact value: a DECIMAL or an
    # integer is rounded and written as text here (through a DOUBLE, 5.025 became 5.03 and
    # 9007199254740993 lost its last digit); a DOUBLE's exact binary value is what fmt rounds.
    # The sign stays on a value that rounds to zero ('-0.00'), as DecimalFormat's.
    """CREATE MACRO format_number(x, d) AS CASE
        WHEN d < 0 THEN NULL
        WHEN typeof(x) LIKE 'DECIMAL%' THEN tidemill_format_digits(
            CAST(round_even(x, d) AS VARCHAR), x < 0, d)
        WHEN typeof(x) IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT')
        THEN tidemill_format_digits(CAST(x AS VARCHAR), x < 0, d)
        ELSE format('{:,.{}f}', CAST(x AS DOUBLE), d) END""",
)


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with every node `_fill_gaps` knows rewritten (a copy; `query` is untouched)."""
    return query.transform(_fill_gaps)


# What Spark's session answers (a fresh session: database `default` of catalog `spark_catalog`);
# DuckDB's own calls would answer `memory` / `main`.
_SESSION_NAMES: dict[type[exp.Expr], str] = {
    exp.CurrentDatabase: "default",
    exp.CurrentSchema: "default",
    exp.CurrentCatalog: "spark_catalog",
}
# Calls whose Spark answer names Spark's build or the machine's user: refused.
_ENGINE_ANSWERS = {
    "version": "version() (Spark's answer names its build)",
    "user": "user() (Spark's answer is the user running Spark)",
}


def _fill_gaps(node: exp.Expr) -> exp.Expr:
    """Rewrite one node where sqlglot's Spark → DuckDB translation is missing or wrong."""
    if type(node) in _SESSION_NAMES:
        return exp.Literal.string(_SESSION_NAMES[type(node)])
    if isinstance(node, exp.CurrentUser | exp.SessionUser):
        raise _unsupported("current_user() (Spark's answer is the user running Spark)")
    if isinstance(node, exp.Anonymous) and node.name.lower() in _ENGINE_ANSWERS:
        raise _unsupported(_ENGINE_ANSWERS[node.name.lower()])
    if _is_spark_range(node):
        return _range_with_id(node)
    if isinstance(node, exp.ToBase64):  # Spark encodes a string's UTF-8 bytes
        return exp.Anonymous(
            this="to_base64", expressions=[exp.Anonymous(this="encode", expressions=[node.this])]
        )
    if (
        isinstance(node, exp.Anonymous)
        and node.name.lower() in _CAST_FUNCTIONS
        and len(node.expressions) == 1
    ):
        return exp.cast(node.expressions[0], exp.DataType.build(node.name, dialect=_SPARK))
    return node


def _is_spark_range(node: exp.Expr) -> bool:
    return (
        isinstance(node, exp.Table)
        and isinstance(node.this, exp.Anonymous)
        and node.this.name.lower() == "range"
        and not node.meta.get("tidemill_range")
    )


def _range_with_id(table: exp.Expr) -> exp.Expr:
    """Spark's range() has one BIGINT column `id`; DuckDB's calls it `range`."""
    inner = table.copy()
    inner.set("alias", None)
    inner.meta["tidemill_range"] = True
    select = exp.select(exp.alias_(exp.column("range"), "id")).from_(inner)
    alias = table.args.get("alias")
    name = alias.name if isinstance(alias, exp.TableAlias) and alias.name else "range"
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(name)))


def _unsupported(construct: str) -> Exception:
    from tidemill.engines.duckdb.dialect.translate import unsupported

    return unsupported(construct)
