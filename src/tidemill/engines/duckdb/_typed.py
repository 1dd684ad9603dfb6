"""SQL macros that read a source's text values as their valtypes (for `reading`).

They are among `dialect.MACROS` (`dialect.macros_for` finds those a SELECT calls): a run's
database is opened with those its engine's runs used (off a batch's path), and a source's
SELECT calls one by name instead of spelling its expression out:
DuckDB 2.0's parser spends ~0.3 ms on each spelled-out column of a batch's query, where the
call costs a few µs (docs/performance.md, "session 7, duckpath"). A macro is expanded where
it is called: the query binds, and checks, exactly the expression it stands for.

`read(valtype, required, text, file, column)` is the SQL of one column: `text` (VARCHAR SQL)
converted to the valtype, failing on what does not fit with `bad_value`'s error, whose payload
`_locate` parses (VALUE_MARK, then a JSON object: file, column, valtype, value).
"""

from __future__ import annotations

from tidemill.engines.duckdb._locate import VALUE_MARK
from tidemill.engines.duckdb._records import RFC3339


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _converted(valtype: str, v: str, refused: str) -> str:
    """SQL: the VARCHAR `v` as `valtype`, `refused` where it does not fit. Each conversion tries
    the common case first; only a value it refuses reaches `refused`."""
    return {
        # DuckDB's cast rounds 1.5 and 1e-3: a long has neither a point nor an exponent.
        "long": f"COALESCE(CASE WHEN NOT (contains({v}, '.') OR contains({v}, 'e')"
        f" OR contains({v}, 'E')) THEN TRY_CAST({v} AS BIGINT) END, {refused})",
        "float": f"COALESCE(TRY_CAST({v} AS DOUBLE), {refused})",
        "boolean": f"CASE {v} WHEN 'true' THEN true WHEN 'false' THEN false ELSE"
        f" CASE lower({v}) WHEN 'true' THEN true WHEN 'false' THEN false"
        f" ELSE {refused} END END",
        # DuckDB's cast once the value ends with a zone (it would take a zone-less time as
        # local time), else the exact RFC 3339 shape in any letter case.
        "date": f"COALESCE(CASE WHEN suffix({v}, 'Z') OR {v} LIKE '%+__:__'"
        f" OR {v} LIKE '%-__:__' THEN TRY_CAST({v} AS TIMESTAMPTZ) END,"
        f" CASE WHEN regexp_full_match({v}, {_literal(RFC3339.pattern)})"
        f" THEN TRY_CAST(upper({v}) AS TIMESTAMPTZ) END, {refused})",
        "string": v,
    }[valtype]


def _macros() -> tuple[str, ...]:
    made = [
        "CREATE MACRO tidemill_bad_value(v, f, c, t) AS error("
        f"{_literal(VALUE_MARK)} || json_object('file', f, 'column', c, 'valtype', t,"
        " 'value', CAST(v AS VARCHAR)))"
    ]
    for valtype in ("long", "float", "boolean", "date", "string"):
        for required in (False, True):
            if valtype == "string" and not required:
                continue  # the text itself
            null = f"tidemill_bad_value(NULL, f, c, '{valtype}')" if required else "NULL"
            refused = (
                f"CASE WHEN v IS NULL THEN {null} ELSE tidemill_bad_value(v, f, c, '{valtype}') END"
            )
            body = _converted(valtype, "v", refused)
            if valtype == "string":  # required: NULL is refused, any text is a string
                body = f"COALESCE(v, {null})"
            made.append(f"CREATE MACRO {_name(valtype, required)}(v, f, c) AS {body}")
    return tuple(made)


def _name(valtype: str, required: bool) -> str:
    return f"tidemill_read_{valtype}" + ("_required" if required else "")


# What `open_engine` creates in every database, in one call with its other statements.
MACROS = _macros()


def read(valtype: str, required: bool, text: str, file: str, column: str) -> str:
    """SQL: the VARCHAR expression `text` of a record read from the file named by the column
    `file` (SQL), converted to `valtype` (to be cast to its DuckDB type), failing with
    `bad_value`'s error on a value that is not one, and on NULL when `required`; `column` is
    the declared key (plain text) the error names."""
    if valtype == "string" and not required:
        return text
    return f"{_name(valtype, required)}({text}, {file}, {_literal(column)})"


def bad_value(value: str, file: str, column: str, valtype: str) -> str:
    """SQL: the error of a value (SQL, NULL for a missing one) of `file`'s `column` that is not a
    `valtype`: `_locate` finds its record from the payload."""
    return f"tidemill_bad_value({value}, {file}, {_literal(column)}, {_literal(valtype)})"
