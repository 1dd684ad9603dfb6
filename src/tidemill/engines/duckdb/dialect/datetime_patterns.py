"""Spark's Java datetime patterns (`yyyy-MM-dd'T'HH:mm:ss.SSS`) as DuckDB SQL (fault kind 1).

Pure functions, no I/O. `letters` reads a pattern the way Spark 3.5's DateTimeFormatterHelper
does (source: Spark SQL reference, "Datetime Patterns"; counts and refusals measured against
pyspark 3.5.9); `format_sql` builds the DuckDB expression printing a TIMESTAMPTZ in that
pattern (date_format, from_unixtime); `parse_formats` gives the DuckDB strptime formats that
read text in that pattern (to_timestamp, to_date, unix_timestamp), one per way to fill the
pattern's optional sections. A pattern Spark rejects, or a letter DuckDB cannot honour, raises
`PatternError` naming it; the caller refuses the job at create (E18209).

sqlglot turns the patterns of some functions into strftime text while parsing (`yyyy` becomes
`%Y`); `java_pattern` turns that text back. The round trip loses how many letters a year or a
short day name had (`yyyy` comes back as `y`, `EEE` as `E`); both print the same for years
1000-9999, the only years a log holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.time import format_time
from sqlglot.trie import new_trie

_SPARK = Dialect.get_or_raise("spark")

# strftime → Java, the inverse of sqlglot's Spark mapping, with `%Y`/`%a` back to the letters
# that keep their meaning whatever count the user wrote (see the module docstring).
_INVERSE = {**_SPARK.INVERSE_TIME_MAPPING, "%Y": "y", "%a": "E"}
_INVERSE_TRIE = new_trie(_INVERSE)

# Spark's letters and the most of each it accepts (more is an error in Spark 3.5.9).
_MAX_COUNT = {
    "G": 4, "y": 6, "D": 3, "M": 4, "L": 4, "d": 2, "Q": 4, "q": 4, "E": 4, "F": 1, "a": 1,
    "h": 2, "K": 2, "k": 2, "H": 2, "m": 2, "s": 2, "S": 9, "V": 2, "z": 4, "O": 4, "X": 5,
    "x": 5, "Z": 5,
}  # fmt: skip
_WEEK_BASED = frozenset("YwWuec")


class PatternError(ValueError):
    """A datetime pattern Spark rejects or Tidemill cannot honour; the message names why."""


@dataclass(frozen=True, slots=True)
class Letter:
    """One pattern field: `letter` repeated `count` times (`MMM`)."""

    letter: str
    count: int


@dataclass(frozen=True, slots=True)
class Optional:
    """An optional section `[...]` of a pattern."""

    parts: tuple[Part, ...]


Part = Letter | str | Optional  # a str part is literal text


def java_pattern(text: str) -> str:
    """`text`, a pattern as sqlglot left it (strftime for some functions, Java for others), as
    the Java pattern the user wrote (see the module docstring for what the round trip loses)."""
    if text == "None":  # sqlglot's text for an empty pattern ('N' is no Spark letter)
        return ""
    if "%" not in text:
        return text
    # sqlglot's trie splits `yyyyy` into `yyyy` `y` and `yyyyyy` into `yyyy` `yy`
    text = text.replace("%Y%Y", "yyyyy").replace("%Y%y", "yyyyyy")
    return format_time(text, _INVERSE, _INVERSE_TRIE) or text


def letters(pattern: str) -> tuple[Part, ...]:
    """`pattern` split into fields, literal text and optional sections, as Spark reads it.

    Raises PatternError for what Spark 3.5 rejects: week-based letters (`Y w W u e c`), other
    unknown letters, too many of a letter (`MMMMM`), `{ } #`, a stray `]`, an unclosed quote.
    """
    parts, end = _parts(pattern, 0, nested=False)
    assert end == len(pattern)
    return parts


def _parts(pattern: str, start: int, *, nested: bool) -> tuple[tuple[Part, ...], int]:
    out: list[Part] = []
    i = start
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            close = i + 1
            text = []
            while True:
                if close >= len(pattern):
                    raise PatternError(f"pattern {pattern!r} has an unclosed quote")
                if pattern[close] == "'":
                    if close + 1 < len(pattern) and pattern[close + 1] == "'":
                        text.append("'")
                        close += 2
                        continue
                    break
                text.append(pattern[close])
                close += 1
            out.append("".join(text) if close > i + 1 else "'")  # '' is a quote
            i = close + 1
        elif char == "[":
            inner, i = _parts(pattern, i + 1, nested=True)
            out.append(Optional(inner))
        elif char == "]":
            if not nested:
                raise PatternError(f"pattern {pattern!r} closes a section it never opened")
            return tuple(out), i + 1
        elif char in "{}#":
            raise PatternError(f"pattern letter {char!r} is reserved")
        elif char.isascii() and char.isalpha():
            count = 1
            while i + count < len(pattern) and pattern[i + count] == char:
                count += 1
            out.append(_letter(char, count))
            i += count
        else:
            out.append(char)
            i += 1
    return tuple(out), i  # an optional section left open ends with the pattern


def _letter(char: str, count: int) -> Letter:
    if char in _WEEK_BASED:
        raise PatternError(f"week-based pattern letter {char!r} (Spark 3 rejects it too)")
    if char not in _MAX_COUNT:
        raise PatternError(f"pattern letter {char!r}")
    if (
        count > _MAX_COUNT[char]
        or (char == "V" and count != 2)
        or (char == "O" and count in (2, 3))
    ):
        raise PatternError(f"pattern field {char * count!r}")
    return Letter(char, count)


# --- formatting --------------------------------------------------------------------------------

# Letters DuckDB's strftime prints as Spark does, by (letter, count).
_STRFTIME = {
    ("y", 1): "%Y", ("y", 2): "%y", ("y", 3): "%Y", ("y", 4): "%Y",
    ("D", 1): "%-j", ("D", 3): "%j",
    ("M", 1): "%-m", ("M", 2): "%m", ("M", 3): "%b", ("M", 4): "%B",
    ("d", 1): "%-d", ("d", 2): "%d",
    ("E", 1): "%a", ("E", 2): "%a", ("E", 3): "%a", ("E", 4): "%A",
    ("a", 1): "%p", ("h", 1): "%-I", ("h", 2): "%I", ("H", 1): "%-H", ("H", 2): "%H",
    ("m", 1): "%-M", ("m", 2): "%M", ("s", 1): "%-S", ("s", 2): "%S",
    ("S", 3): "%g", ("S", 6): "%f",
}  # fmt: skip

# Java's zone names (short, long) for the zones a Tidemill service is likely set to, and the
# daylight-saving names where the zone had any since 1970; other zones print their id (a known
# difference, docs/decisions.md).
ZONE_NAMES = {
    "Asia/Shanghai": ("CST", "China Standard Time", "CDT", "China Daylight Time"),
    "Asia/Chongqing": ("CST", "China Standard Time", "CDT", "China Daylight Time"),
    "PRC": ("CST", "China Standard Time", "CDT", "China Daylight Time"),
    "Asia/Hong_Kong": ("HKT", "Hong Kong Standard Time", "HKST", "Hong Kong Summer Time"),
    "Asia/Tokyo": ("JST", "Japan Standard Time", "JDT", "Japan Daylight Time"),
    "Asia/Singapore": ("SGT", "Singapore Time", "SGT", "Singapore Time"),
    "UTC": ("UTC", "Coordinated Universal Time", "UTC", "Coordinated Universal Time"),
    "Etc/UTC": ("UTC", "Coordinated Universal Time", "UTC", "Coordinated Universal Time"),
    "GMT": ("GMT", "Greenwich Mean Time", "GMT", "Greenwich Mean Time"),
}


def format_sql(ts: exp.Expr, pattern: str) -> exp.Expr:
    """DuckDB SQL printing `ts` (a TIMESTAMPTZ expression, shown in the session zone) in the
    Java `pattern` as Spark's date_format does. Raises PatternError (see `letters`)."""
    pieces: list[str | exp.Expr] = []  # str: strftime text
    _format_parts(letters(pattern), ts, pieces)
    merged: list[str | exp.Expr] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    exprs = [
        exp.Anonymous(this="strftime", expressions=[ts.copy(), exp.Literal.string(p)])
        if isinstance(p, str)
        else p
        for p in merged
    ]
    if not exprs:
        exprs, merged = [exp.Literal.string("")], [exp.Literal.string("")]
    out = exprs[0]
    if len(exprs) == 1 and isinstance(merged[0], exp.Expr):  # stay NULL for a NULL ts
        return exp.Anonymous(
            this="if", expressions=[exp.Is(this=ts.copy(), expression=exp.Null()), exp.Null(), out]
        )
    for nxt in exprs[1:]:
        out = exp.DPipe(this=out, expression=nxt, safe=False)
    return out


def _format_parts(parts: tuple[Part, ...], ts: exp.Expr, pieces: list[str | exp.Expr]) -> None:
    for part in parts:
        if isinstance(part, Optional):  # every field of a timestamp is there: print it
            _format_parts(part.parts, ts, pieces)
        elif isinstance(part, str):
            pieces.append(part.replace("%", "%%"))
        elif (_same_as(part.letter), part.count) in _STRFTIME:
            pieces.append(_STRFTIME[(_same_as(part.letter), part.count)])
        else:
            pieces.append(_format_letter(part, ts.copy()))


def _same_as(letter: str) -> str:
    return "M" if letter == "L" else letter  # English: stand-alone month names are the same


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _padded(value: exp.Expr, width: int) -> exp.Expr:
    return _call("format", exp.Literal.string("{:0" + str(width) + "d}"), value)


def _format_letter(part: Letter, ts: exp.Expr) -> exp.Expr:
    letter, count = part.letter, part.count
    lit = exp.Literal.string
    if letter == "y":  # 5 or 6: zero-padded
        return _padded(_call("year", ts), count)
    if letter == "D":  # DD: at least two digits
        return _padded(_call("dayofyear", ts), 2)
    if letter in "Qq":
        quarter = _call("quarter", ts)
        if count == 1:
            return exp.cast(quarter, "VARCHAR")
        if count == 2:
            return _padded(quarter, 2)
        if count == 3:
            return exp.DPipe(this=lit("Q"), expression=exp.cast(quarter, "VARCHAR"), safe=False)
        return _call("tidemill_quarter_name", quarter)
    if letter == "G":
        return _call("tidemill_era", ts, exp.Literal.number(count))
    if letter == "F":
        return exp.cast(_call("tidemill_aligned_day", ts), "VARCHAR")
    if letter in "Kk":
        hour = _call("hour", ts)
        value = (
            exp.Mod(this=hour, expression=exp.Literal.number(12))
            if letter == "K"
            else _call("tidemill_clock_hour", hour)
        )
        return _padded(value, count) if count == 2 else exp.cast(value, "VARCHAR")
    if letter == "S":  # fractions are truncated; past 6 digits Spark pads with zeros
        micros = _call("strftime", ts, lit("%f"))
        if count <= 6:
            return _call("left", micros, exp.Literal.number(count))
        return exp.DPipe(this=micros, expression=lit("0" * (count - 6)), safe=False)
    if letter == "V":
        return _call("current_setting", lit("TimeZone"))
    if letter == "z":
        daylight = _call("tidemill_is_daylight", ts)
        return _call("tidemill_zone_name", exp.Literal.number(1 if count < 4 else 2), daylight)
    # offsets: O X x Z
    return _call(
        "tidemill_offset_text", _call("date_part", lit("timezone"), ts), lit(letter * count)
    )


def _zone_name_macro() -> str:
    cases = " ".join(
        f"WHEN '{zone}' THEN CASE WHEN daylight THEN CASE WHEN style = 1 THEN '{dshort}' "
        f"ELSE '{dfull}' END WHEN style = 1 THEN '{short}' ELSE '{full}' END"
        for zone, (short, full, dshort, dfull) in ZONE_NAMES.items()
    )
    return (
        "CREATE MACRO tidemill_zone_name(style, daylight) AS CASE current_setting('TimeZone') "
        f"{cases} ELSE current_setting('TimeZone') END"
    )


# DuckDB macros `format_sql` output calls. Offsets are seconds east of UTC; `style` is the
# Java field (`XXX`), a constant, so DuckDB folds the CASE.
MACROS: tuple[str, ...] = (
    # Spark reads `yy` as 2000-2099; strptime as 1969-2068
    """CREATE MACRO tidemill_century(t) AS
        CASE WHEN year(t) < 2000 THEN t + INTERVAL 100 YEAR ELSE t END""",
    """CREATE MACRO tidemill_quarter_name(q) AS
        CASE q WHEN 1 THEN '1st quarter' WHEN 2 THEN '2nd quarter' WHEN 3 THEN '3rd quarter'
        ELSE '4th quarter' END""",
    """CREATE MACRO tidemill_era(t, n) AS CASE WHEN year(t) > 0
        THEN CASE WHEN n = 4 THEN 'Anno Domini' ELSE 'AD' END
        ELSE CASE WHEN n = 4 THEN 'Before Christ' ELSE 'BC' END END""",
    "CREATE MACRO tidemill_aligned_day(t) AS (day(t) - 1) % 7 + 1",
    "CREATE MACRO tidemill_clock_hour(h) AS CASE WHEN h = 0 THEN 24 ELSE h END",
    _zone_name_macro(),
    # daylight saving: the offset is more than in January and July both (northern and southern)
    """CREATE MACRO tidemill_is_daylight(t) AS date_part('timezone', t) > least(
        date_part('timezone', make_timestamptz(year(t), 1, 15, 12, 0, 0)),
        date_part('timezone', make_timestamptz(year(t), 7, 15, 12, 0, 0)))""",
    """CREATE MACRO tidemill_offset_hm(o, colon, minutes) AS
        CASE WHEN o < 0 THEN '-' ELSE '+' END
        || format('{:02d}', abs(o) // 3600)
        || CASE WHEN minutes OR abs(o) % 3600 != 0
           THEN colon || format('{:02d}', abs(o) % 3600 // 60) ELSE '' END""",
    """CREATE MACRO tidemill_offset_text(o, style) AS CASE
        WHEN style IN ('X', 'XX', 'XXX', 'XXXX', 'XXXXX') AND o = 0 THEN 'Z'
        WHEN style IN ('X', 'x') THEN tidemill_offset_hm(o, '', false)
        WHEN style IN ('XX', 'XXXX', 'xx', 'xxxx', 'Z', 'ZZ', 'ZZZ')
            THEN tidemill_offset_hm(o, '', true)
        WHEN style IN ('XXX', 'xxx', 'XXXXX', 'xxxxx') THEN tidemill_offset_hm(o, ':', true)
        WHEN style = 'ZZZZZ' THEN CASE WHEN o = 0 THEN 'Z' ELSE tidemill_offset_hm(o, ':', true) END
        WHEN o = 0 THEN 'GMT'
        WHEN style IN ('ZZZZ', 'OOOO') THEN 'GMT' || tidemill_offset_hm(o, ':', true)
        ELSE 'GMT' || CASE WHEN o < 0 THEN '-' ELSE '+' END || CAST(abs(o) // 3600 AS VARCHAR)
            || CASE WHEN abs(o) % 3600 != 0
               THEN ':' || format('{:02d}', abs(o) % 3600 // 60) ELSE '' END
        END""",
)


# --- parsing -----------------------------------------------------------------------------------

# Letters DuckDB's strptime reads as Spark does, by (letter, count); a count not listed for a
# letter listed uses the letter's entry for count 0.
_STRPTIME = {
    ("y", 0): "%Y", ("y", 2): "%y", ("M", 0): "%m", ("M", 3): "%b", ("M", 4): "%B",
    ("d", 0): "%d", ("D", 0): "%j", ("H", 0): "%H", ("h", 0): "%I", ("a", 0): "%p",
    ("m", 0): "%M", ("s", 0): "%S", ("S", 0): "%f", ("E", 0): "%a", ("E", 4): "%A",
    ("X", 0): "%z", ("x", 0): "%z", ("Z", 0): "%z", ("V", 0): "%Z",
}  # fmt: skip

# Optional sections are read by trying each way to fill them; past this many the pattern is
# refused rather than tried 2**n ways.
_MAX_OPTIONAL = 4


@dataclass(frozen=True, slots=True)
class ParseFormats:
    """How to read text in a Java pattern with DuckDB's strptime.

    formats: strptime formats to try in order (one per way to fill the optional sections).
    default_year: the pattern has no year: prefix the text with `1970 ` and the formats with
        `%Y ` (Spark's default year is 1970; strptime's is 1900).
    two_digit_year: the pattern reads `yy`: Spark puts such years in 2000-2099 (strptime in
        1969-2068), so years before 2000 move on a century.
    """

    formats: tuple[str, ...]
    default_year: bool
    two_digit_year: bool


def parse_formats(pattern: str) -> ParseFormats:
    """How to read text in the Java `pattern` as Spark's to_timestamp does. Raises PatternError
    for a pattern Spark rejects or a letter strptime cannot read as Spark does (G Q q F k K L z
    O), naming it."""
    parts = letters(pattern)
    found: set[str] = set()
    variants = [""]
    optional = 0

    def walk(parts: tuple[Part, ...], variants: list[str]) -> list[str]:
        nonlocal optional
        for part in parts:
            if isinstance(part, Optional):
                optional += 1
                if optional > _MAX_OPTIONAL:
                    raise PatternError(f"pattern {pattern!r} with more than {_MAX_OPTIONAL} [...]")
                variants = walk(part.parts, list(variants)) + variants
            elif isinstance(part, str):
                variants = [v + part.replace("%", "%%") for v in variants]
            else:
                key = (part.letter, part.count)
                if key not in _STRPTIME:
                    key = (part.letter, 0)
                if key not in _STRPTIME:
                    raise PatternError(
                        f"reading text with pattern field {part.letter * part.count!r}"
                    )
                found.add(part.letter if part.count != 2 or part.letter != "y" else "yy")
                variants = [v + _STRPTIME[key] for v in variants]
        return variants

    variants = walk(parts, variants)
    default_year = not found & {"y", "yy"}
    if default_year:
        variants = ["%Y " + v for v in variants]
    return ParseFormats(
        formats=tuple(dict.fromkeys(variants)),
        default_year=default_year,
        two_digit_year="yy" in found,
    )


def parse_sql(text: exp.Expr, pattern: str) -> exp.Expr:
    """DuckDB SQL reading the VARCHAR `text` in the Java `pattern`: a TIMESTAMPTZ (text without
    an offset is in the session zone), NULL where it does not match. Raises PatternError."""
    how = parse_formats(pattern)
    if how.default_year:
        text = exp.DPipe(this=exp.Literal.string("1970 "), expression=text, safe=False)
    zoned = [f for f in how.formats if _ZONED.search(f)]
    local = [f for f in how.formats if not _ZONED.search(f)]
    reads: list[exp.Expr] = []
    for formats, cast in ((local, True), (zoned, False)):
        if not formats:
            continue
        fmt: exp.Expr = (
            exp.Literal.string(formats[0])
            if len(formats) == 1
            else exp.Array(expressions=[exp.Literal.string(f) for f in formats])
        )
        read: exp.Expr = _call("try_strptime", text.copy(), fmt)
        reads.append(exp.cast(read, "TIMESTAMPTZ") if cast else read)
    out = reads[0] if len(reads) == 1 else exp.Coalesce(this=reads[0], expressions=reads[1:])
    return _call("tidemill_century", out) if how.two_digit_year else out


_ZONED = re.compile(r"(?<!%)%[zZ]")
