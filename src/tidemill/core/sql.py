"""Users' Spark SQL (spec §6.1.3, design D-4): parse, check, list tables, name columns.

Everything here is sqlglot only and never executes. Each engine translates the parsed query
its own way (the DuckDB engine's translation is `tidemill.engines.duckdb.dialect`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.scope import build_scope
from sqlglot.tokenizer_core import Token, TokenType

from tidemill.core import spark_functions
from tidemill.errors import Failure, InvalidInputError

# The table-valued functions Spark has but `sql_keywords` (Spark's own keyword list, which no
# engine here gives). Anything else in FROM (DuckDB's read_csv, read_text, duckdb_settings ...)
# is not Spark SQL and is refused before any engine sees it.
SPARK_TABLE_FUNCTIONS = spark_functions.SPARK_TABLE_FUNCTIONS - {"sql_keywords"}

# Calls Spark's grammar reads itself (SqlBaseParser.g4, `primaryExpression` and `groupingSet`),
# which `SHOW FUNCTIONS` does not list: each runs in pyspark (tests/engines/test_spark_functions).
SPARK_SYNTAX_FUNCTIONS = frozenset(
    {
        "try_cast",  # try_cast(x AS int)
        "percentile_cont",  # percentile_cont(0.5) WITHIN GROUP (ORDER BY x)
        "percentile_disc",
        "timestampadd",  # timestampadd(DAY, 1, ts); also dateadd / date_add with a unit
        "timestampdiff",  # timestampdiff(DAY, a, b); also datediff / date_diff with a unit
        "identifier",  # identifier('column name')
        "cube",  # GROUP BY cube(a), rollup(a)
        "rollup",
    }
)
_SPARK_CALLABLE = (
    spark_functions.SPARK_FUNCTIONS | spark_functions.SPARK_TABLE_FUNCTIONS | SPARK_SYNTAX_FUNCTIONS
)

# Functions no Spark query needs that would show this server's configuration, files or state
# (DuckDB's `current_setting('home_directory')` names a server path). Refused wherever they
# appear, as a scalar or in FROM, with JOB_SQL_INVALID naming the function (issue 9, kind 10).
SERVER_FUNCTIONS = frozenset(
    {
        "current_setting",  # any engine setting: paths, memory, extension directories
        "getvariable",  # session variables
        "getenv",  # the server's environment (DuckDB's shell)
        "current_query",  # the translated statement as the engine sees it
        "json_execute_serialized_sql",  # runs arbitrary engine SQL
        "which_secret",
        "glob",  # lists server files
        "query",
        "query_table",
        "checkpoint",
        "force_checkpoint",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
    }
)
# Whole families: the engine's catalog and settings tables, pragmas, and file readers.
SERVER_FUNCTION_PREFIXES = ("duckdb_", "pragma_", "read_")

_SCHEMA_KEY_MAX = 128
_ILLEGAL_KEY_CHARS = re.compile(r"[^a-zA-Z0-9_]")

_SPARK = Dialect.get_or_raise("spark")
# Words sqlglot's Spark tokenizer reads as keywords and its parser as function names that are
# not Spark 3.5's (`truncate`, `current_time`, `unnest`, `xor`, `list`, `time` ...): a keyword
# followed by `(` escapes the name check of `_check_spark_functions`, so these are named here.
# Spark: UNRESOLVED_ROUTINE for each (tests/engines/test_spark_functions.py).
_KEYWORD_CALLS = frozenset(
    word
    for word in (
        {name.lower() for name in _SPARK.parser_class.FUNCTIONS}
        | {name.lower() for name in _SPARK.parser_class.FUNCTION_PARSERS}
    )
    & {name.lower() for name in _SPARK.tokenizer_class.KEYWORDS}
    if word.replace("_", "").isalpha()
) - {"and", "or", "not", "in", "exists", "cast", "values"}
_START = Token(TokenType.SEMICOLON, ";")  # before the first token
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*")
_NAMES = (exp.Identifier, exp.Star)  # what may follow a dot and not be a call


def parse_query(spark_sql: str) -> exp.Query | exp.Values:
    """The one query statement in `spark_sql`, or JOB_SQL_INVALID saying why there is none.

    A query is SELECT, WITH ... SELECT, a set operation (UNION, INTERSECT, EXCEPT), VALUES or a
    parenthesised query. Empty statements (stray semicolons, comments) are ignored.
    """
    return _parsed(spark_sql).copy()


@lru_cache(maxsize=256)
def _parsed(spark_sql: str) -> exp.Query | exp.Values:
    # Shared between callers (validation asks for the tables and the DuckDB text of the same
    # SQL): never mutate what this returns.
    try:
        tokens = _binary_literals(_SPARK.tokenize(spark_sql))
        statements = [s for s in _SPARK.parser().parse(tokens, spark_sql) if s is not None]
    except ParseError as exc:
        raise _invalid(_describe_parse_error(exc)) from exc
    except SqlglotError as exc:  # TokenError: an unterminated string or quoted name
        raise _invalid(f"SQL cannot be read: {exc}") from exc
    if not statements:
        raise _invalid("SQL is empty: write one SELECT statement")
    if len(statements) > 1:
        raise _invalid(f"SQL must be exactly one statement, found {len(statements)}")
    (statement,) = statements
    if not isinstance(statement, exp.Query | exp.Values):
        kind = statement.key.upper() if not isinstance(statement, exp.Command) else statement.name
        raise _invalid(f"SQL must be a query (SELECT ...), not {kind}")
    _check_table_functions(statement)
    _check_server_functions(statement)
    _check_qualified_calls(statement)
    _check_spark_functions(statement, tokens)
    _check_like_calls(tokens)
    _check_spark_3_syntax(tokens)
    return statement


def _check_spark_3_syntax(tokens: list[Token]) -> None:
    """JOB_SQL_INVALID for syntax sqlglot reads that Spark 3.5 does not: the `x::type` cast
    (Spark 4; PARSE_SYNTAX_ERROR in 3.5). sqlglot also makes a `::` of a suffixed number
    (`128Y`, `1.5BD`): that one spans the number's own characters."""
    for before, token in zip([_START, *tokens], tokens, strict=False):
        if token.token_type is TokenType.DCOLON and token.start != before.start:
            raise _invalid(f"`::` at line {token.line} is not Spark 3.5 SQL: write CAST(x AS type)")


def _check_like_calls(tokens: list[Token]) -> None:
    """JOB_SQL_INVALID for `like(s, p, c)` / `ilike(s, p, c)`: Spark's functions take two
    arguments (WRONG_NUM_ARGS), while sqlglot reads the call as `s LIKE p ESCAPE c`. The
    escape character is written `s LIKE p ESCAPE 'c'`."""
    for at, token in enumerate(tokens[:-1]):
        if token.token_type not in (TokenType.LIKE, TokenType.ILIKE):
            continue
        if tokens[at + 1].token_type is not TokenType.L_PAREN:
            continue
        depth, commas = 0, 0
        for inner in tokens[at + 1 :]:
            if inner.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
                depth += 1
            elif inner.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
                depth -= 1
                if depth == 0:
                    break
            elif inner.token_type is TokenType.COMMA and depth == 1:
                commas += 1
        if commas > 1:
            name = token.text.lower()
            raise _invalid(
                f"{name}() takes 2 arguments, found {commas + 1}: write s {name.upper()} "
                "pattern ESCAPE 'c' for another escape character"
            )


def _binary_literals(tokens: list[Token]) -> list[Token]:
    """`tokens` with each `X '...'` (a name X, any case, then a string: Spark's typed literal,
    SqlBaseParser.g4 `typeConstructor`, AstBuilder's "X" case) made one binary literal, as
    `X'...'` is; sqlglot reads only the form without a space. A digit that is not hexadecimal
    is JOB_SQL_INVALID, as Spark's INVALID_TYPED_LITERAL."""
    merged: list[Token] = []
    for token in tokens:
        before = merged[-1] if merged else None
        if (
            token.token_type is TokenType.STRING
            and before is not None
            and before.token_type is TokenType.VAR
            and before.text.upper() == "X"
        ):
            if _HEX_DIGITS.fullmatch(token.text) is None:
                raise _invalid(
                    f"binary literal X'{token.text}' at line {token.line}: write hexadecimal "
                    "digits (0-9, a-f) only"
                )
            merged[-1] = Token(
                TokenType.HEX_STRING, token.text, token.line, token.col, before.start,
                token.end, [*before.comments, *token.comments],
            )  # fmt: skip
            continue
        merged.append(token)
    return merged


def referenced_tables(spark_sql: str) -> set[str]:
    """Names of the tables the query reads, as written (CTE names and table functions excluded).

    A qualified name keeps its qualifiers (`db.t`), so it never matches a job's table.
    Compare the names case-insensitively: Spark and DuckDB both resolve them that way.
    """
    root = build_scope(_parsed(spark_sql))
    if root is None:  # a bare VALUES list reads no table
        return set()
    # `sources`, not `selected_sources`: the table of a LEFT SEMI / LEFT ANTI JOIN is read
    # although none of its columns can be selected.
    return {
        ".".join(part.name for part in source.parts)
        for scope in root.traverse()
        for source in scope.sources.values()
        if isinstance(source, exp.Table)
        and isinstance(source.this, exp.Identifier)
        # a PIVOT's source is listed as a table (under its own key) even when a CTE names it
        and not (len(source.parts) == 1 and source.name in scope.cte_sources)
    }


def schema_keys(names: Iterable[str]) -> list[str]:
    """Result column names made into distinct schema keys (spec §6.9, §3.1).

    Illegal characters become `_`, a leading digit gets a `_` prefix, names are cut to 128
    characters, and repeats get `_1`, `_2`, ... Repeats are found ignoring case, because Spark
    and DuckDB cannot tell `a` from `A` when the result is read as a table downstream.
    """
    keys: list[str] = []
    taken: set[str] = set()
    for name in names:
        key = _ILLEGAL_KEY_CHARS.sub("_", name) or "_"
        if key[0].isdigit():
            key = "_" + key
        key = key[:_SCHEMA_KEY_MAX]
        candidate, n = key, 0
        while candidate.lower() in taken:
            n += 1
            suffix = f"_{n}"
            candidate = key[: _SCHEMA_KEY_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        keys.append(candidate)
    return keys


def _check_table_functions(statement: exp.Expr) -> None:
    for table in statement.find_all(exp.Table):
        function = table.this
        if not isinstance(function, exp.Func):
            continue
        name = (
            function.name if isinstance(function, exp.Anonymous) else function.sql_name()
        ).lower()
        if name not in SPARK_TABLE_FUNCTIONS:
            raise _invalid(f"table function {name}() is not available; read the job's tables")


def _check_server_functions(statement: exp.Expr) -> None:
    """JOB_SQL_INVALID for a call of a SERVER_FUNCTIONS member or prefix family, anywhere."""
    for function in statement.find_all(exp.Anonymous):
        name = function.name.lower()
        if name in SERVER_FUNCTIONS or name.startswith(SERVER_FUNCTION_PREFIXES):
            raise _invalid(
                f"function {name}() is not available: it would expose the server's "
                "configuration or files; job SQL may read only its tables"
            )


def _check_qualified_calls(statement: exp.Expr) -> None:
    """JOB_SQL_INVALID for a function called with a qualifier (`default.upper(a)`,
    `system.builtin.upper(a)`, `FROM default.range(3)`): Spark 3.5 resolves only a bare name
    among its built-in functions and fails a qualified one (UNRESOLVED_ROUTINE,
    REQUIRES_SINGLE_PART_NAMESPACE); sqlglot reads it as a call of the bare name."""
    for dot in statement.find_all(exp.Dot):  # `a.b` is a field; `a.f(x)`, a call
        if not isinstance(dot.expression, _NAMES) and not dot.find_ancestor(exp.Hint):
            raise _qualified(dot.this.sql(dialect=_SPARK), dot.expression)
    for column in statement.find_all(exp.Column):  # `d.percentile_cont(..) WITHIN GROUP (..)`
        if not isinstance(column.this, _NAMES) and column.table:
            qualifier = ".".join(part.name for part in column.parts[:-1])
            raise _qualified(qualifier, column.this)
    for table in statement.find_all(exp.Table):
        if isinstance(table.this, exp.Func) and (table.args.get("db") or table.args.get("catalog")):
            qualifier = ".".join(part.name for part in table.parts[:-1])
            raise _qualified(qualifier, table.this)


def _qualified(qualifier: str, call: exp.Expr) -> InvalidInputError:
    function = call if isinstance(call, exp.Func) else call.find(exp.Func)
    name = "" if function is None else function.name
    if function is not None and not isinstance(function, exp.Anonymous):
        name = function.sql_name()
    return _invalid(
        f"function {qualifier}.{name.lower()}() is qualified: Spark calls only its built-in "
        f"functions, by their bare name; write {name.lower()}(...)"
    )


def _check_spark_functions(statement: exp.Expr, tokens: list[Token]) -> None:
    """JOB_SQL_INVALID for a call of a function Spark does not have (`spark_functions`, Spark's
    `SHOW FUNCTIONS`), where Spark fails the query with UNRESOLVED_ROUTINE: an engine's own
    function (DuckDB's `setseed`, `list_value`, `string_agg` ...) would otherwise run, with
    an answer Spark never gives or state that outlives the batch.

    sqlglot parses some engines' names into its own nodes (`string_agg` is a GroupConcat), so
    the names are read from the tokens as written: a name followed by `(` is a call unless it
    names a CTE or a table alias with its column list (`WITH c(a) AS`, `AS v(a, b)`)."""
    known = _SPARK_CALLABLE
    for call in statement.find_all(exp.Anonymous):
        if call.name.lower() not in known and not call.find_ancestor(exp.Hint):
            raise _not_spark(call.name)
    aliases = {alias.name.lower() for alias in statement.find_all(exp.TableAlias)}
    tokens = [_START, *tokens]
    for before, name, after in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if (
            after.token_type is TokenType.L_PAREN
            and before.text.upper() != "WITHIN"  # percentile_cont(..) WITHIN GROUP (..)
            and (
                name.token_type in (TokenType.VAR, TokenType.IDENTIFIER)
                or name.text.lower() in _KEYWORD_CALLS
            )
            and name.text.lower() not in known
            and name.text.lower() not in aliases
        ):
            raise _not_spark(name.text)


def _not_spark(name: str) -> InvalidInputError:
    return _invalid(
        f"unknown function {name}(): not a Spark SQL function (Spark "
        f"{spark_functions.SPARK_VERSION}'s built-in functions are the ones available)"
    )


def _describe_parse_error(exc: ParseError) -> str:
    first = exc.errors[0] if exc.errors else {}
    description = str(first.get("description") or "syntax error")
    # sqlglot describes unexpected tokens with their repr; keep the message short and human.
    description = re.sub(r"<Token token_type: TokenType\.(\w+).*?>", r"\1", description)
    description = re.sub(r"<class '(?:\w+\.)*(\w+)'>", r"\1", description)
    line, col = first.get("line"), first.get("col")
    where = f" at line {line}, column {col}" if line and col else ""
    highlight = first.get("highlight")
    near = f" (near {highlight!r})" if highlight else ""
    return f"SQL syntax error{where}{near}: {description}"


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.JOB_SQL_INVALID, message)
