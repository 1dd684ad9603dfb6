"""Spark's casts between text, dates and timestamps, as DuckDB macros (fault kinds 3 and 12).

Spark 3.5 (ANSI off) reads text as a timestamp or date leniently (`stringToTimestamp`,
`stringToDate`: surrounding whitespace, one-digit fields, `T` or space, an optional zone) and
gives NULL for anything else; it prints a timestamp in the session zone without an offset and
with the fraction's trailing zeros cut (`2009-07-30 10:15:30.12`). The macros dispatch on the
argument's DuckDB type with `typeof`, which DuckDB folds while planning, so a column of one type
costs only its own branch. Timestamps are TIMESTAMPTZ (the `date` valtype) in the session zone.
"""

from __future__ import annotations

# Spark's text forms: [+-]yyyy[-[m]m[-[d]d[( |T)[h]h[:[m]m[:[s]s[.fraction]]]]]] [zone],
# zone = Z | UTC/GMT/UT [offset] | offset (+h, +hh, +hh:mm, +hhmm).
_TS_RE = (
    r"^\s*\+?(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T](\d{1,2})(?::(\d{1,2})"
    r"(?::(\d{1,2})(?:\.(\d*))?)?)?)?)?)?"
    r"\s*(Z|(?:UTC|GMT|UT)?[+-]\d{1,2}(?::?\d{2})?|UTC|GMT|UT)?\s*$"
)
# Dates: [+-]yyyy[-[m]m[-[d]d[( |T)anything]]]
_DATE_RE = r"^\s*\+?(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:[ T].*)?)?)?\s*$"

_NUMERIC = (
    "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'FLOAT', 'DOUBLE', "
    "'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT')"
)

TEXT_TO_TIMESTAMP = "tidemill_text_timestamp"
TEXT_TO_DATE = "tidemill_text_date"
TO_TIMESTAMP = "tidemill_timestamp"
TO_DATE = "tidemill_date"
TO_TEXT = "tidemill_text"

MACROS: tuple[str, ...] = (
    # the local time a match holds, as a TIMESTAMP (NULL for 30 February or 24 o'clock)
    """CREATE MACRO tidemill_naive_of_parts(p) AS CASE WHEN p.h < '24' OR length(p.h) < 2
        THEN TRY_CAST(
        p.y || '-' || coalesce(nullif(p.mo, ''), '1') || '-' || coalesce(nullif(p.d, ''), '1')
        || ' ' || coalesce(nullif(p.h, ''), '0') || ':' || coalesce(nullif(p.mi, ''), '0')
        || ':' || coalesce(nullif(p.se, ''), '0') || '.' || left(p.f || '000000', 6)
        AS TIMESTAMP) END""",
    # seconds east of UTC of a zone text the regular expression above matched
    """CREATE MACRO tidemill_zone_seconds(z) AS CASE
        WHEN regexp_matches(z, '^(Z|UTC|GMT|UT)$') THEN 0
        ELSE (CASE WHEN contains(z, '-') THEN -1 ELSE 1 END) * (
            CAST(regexp_extract(z, '[+-](\\d{1,2})', 1) AS INTEGER) * 3600
            + coalesce(TRY_CAST(regexp_extract(z, '[+-]\\d{1,2}:?(\\d{2})$', 1) AS INTEGER), 0)
              * 60) END""",
    """CREATE MACRO tidemill_ts_of_parts(p) AS CASE
        WHEN p.y = '' THEN NULL
        WHEN p.z = '' THEN CAST(tidemill_naive_of_parts(p) AS TIMESTAMPTZ)
        ELSE timezone('UTC', tidemill_naive_of_parts(p) - to_seconds(tidemill_zone_seconds(p.z)))
        END""",
    f"""CREATE MACRO tidemill_text_parts(s) AS regexp_extract(
        s, '{_TS_RE}', ['y', 'mo', 'd', 'h', 'mi', 'se', 'f', 'z'])""",
    # the common shape `yyyy-MM-dd HH:mm:ss[.ffffff]` skips the regular expression (25 times
    # slower); DuckDB's cast reads that shape as Spark does
    f"""CREATE MACRO {TEXT_TO_TIMESTAMP}(s) AS CASE
        WHEN s[5] = '-' AND s[8] = '-' AND s[11] IN (' ', 'T') AND s[14] = ':' AND s[17] = ':'
            AND s[12:13] < '24'  -- DuckDB reads 24:00:00 as the next day; Spark gives NULL
            AND (length(s) = 19 OR (length(s) BETWEEN 21 AND 26 AND s[20] = '.'
                                    AND regexp_full_match(s[21:], '[0-9]+')))
            THEN CAST(TRY_CAST(s AS TIMESTAMP) AS TIMESTAMPTZ)
        ELSE tidemill_ts_of_parts(tidemill_text_parts(s)) END""",
    f"""CREATE MACRO {TEXT_TO_DATE}(s) AS CASE
        WHEN length(s) >= 10 AND s[5] = '-' AND s[8] = '-'
            AND (length(s) = 10 OR s[11] IN (' ', 'T')) THEN TRY_CAST(s[1:10] AS DATE)
        WHEN regexp_matches(s, '{_DATE_RE}')
        THEN TRY_CAST(regexp_extract(s, '{_DATE_RE}', 1) || '-'
            || coalesce(nullif(regexp_extract(s, '{_DATE_RE}', 2), ''), '1') || '-'
            || coalesce(nullif(regexp_extract(s, '{_DATE_RE}', 3), ''), '1') AS DATE) END""",
    # Spark's cast to TIMESTAMP: text as above, numbers as seconds since the epoch
    f"""CREATE MACRO {TO_TIMESTAMP}(x) AS CASE
        WHEN typeof(x) = 'VARCHAR' THEN {TEXT_TO_TIMESTAMP}(CAST(x AS VARCHAR))
        WHEN typeof(x) IN {_NUMERIC} OR typeof(x) LIKE 'DECIMAL%'
            THEN to_timestamp(TRY_CAST(x AS DOUBLE))
        ELSE TRY_CAST(x AS TIMESTAMPTZ) END""",
    # Spark's cast to DATE: text as above, a timestamp's day in the session zone
    f"""CREATE MACRO {TO_DATE}(x) AS CASE
        WHEN typeof(x) = 'VARCHAR' THEN {TEXT_TO_DATE}(CAST(x AS VARCHAR))
        ELSE TRY_CAST(x AS DATE) END""",
    # Spark's text of a value: timestamps in the session zone, no offset, fraction trimmed
    f"""CREATE MACRO {TO_TEXT}(x) AS CASE
        WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE'
            THEN CAST(TRY_CAST(x AS TIMESTAMP) AS VARCHAR)
        ELSE CAST(x AS VARCHAR) END""",
)
