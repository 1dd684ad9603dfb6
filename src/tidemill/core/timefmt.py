"""Java `SimpleDateFormat`-style time patterns, restricted to the letters of spec §3.5.

A pattern is a run of tokens. A run of one ASCII letter is a field (`yyyy`, `MM`, `HH` ...);
text between single quotes is literal; `''` is one quote, inside or outside quoted text; every
other character is literal. Only the field runs in `FIELDS` are supported: any other run of ASCII
letters (`MMM`, `a`, `EEE`, `Y`) is `VAR_FORMAT_INVALID`, so a pattern never means something
other than what Java would print. Letters outside ASCII (`年`, `月`) are literal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType

from tidemill.errors import Failure, InvalidInputError

Field = Callable[[datetime], str]

FIELDS: Mapping[str, Field] = MappingProxyType(
    {
        "yyyy": lambda t: f"{t.year:04d}",
        "yy": lambda t: f"{t.year % 100:02d}",
        "MM": lambda t: f"{t.month:02d}",
        "M": lambda t: str(t.month),
        "dd": lambda t: f"{t.day:02d}",
        "d": lambda t: str(t.day),
        "HH": lambda t: f"{t.hour:02d}",
        "H": lambda t: str(t.hour),
        "hh": lambda t: f"{t.hour % 12 or 12:02d}",
        "mm": lambda t: f"{t.minute:02d}",
        "ss": lambda t: f"{t.second:02d}",
        "SSS": lambda t: f"{t.microsecond // 1000:03d}",
    }
)

_SUPPORTED = " ".join(FIELDS)

Token = str | Field  # a str is literal text


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _invalid(pattern: str, why: str) -> InvalidInputError:
    return InvalidInputError(
        Failure.VAR_FORMAT_INVALID, f"invalid time format {pattern!r}: {why}", format=pattern
    )


@lru_cache(maxsize=256)
def _compile(pattern: str) -> tuple[Token, ...]:
    """The tokens of `pattern`, adjacent literals merged. Raises VAR_FORMAT_INVALID."""
    tokens: list[Token] = []
    literal: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "'":
            if pattern.startswith("''", i):
                literal.append("'")
                i += 2
                continue
            i += 1
            while True:
                end = pattern.find("'", i)
                if end < 0:
                    raise _invalid(pattern, "a quote (') is not closed; write '' for a quote")
                literal.append(pattern[i:end])
                if pattern.startswith("''", end):  # '' inside quoted text is one quote
                    literal.append("'")
                    i = end + 2
                    continue
                i = end + 1
                break
        elif _is_ascii_letter(char):
            j = i
            while j < n and pattern[j] == char:
                j += 1
            run = pattern[i:j]
            field = FIELDS.get(run)
            if field is None:
                raise _invalid(
                    pattern,
                    f"{run!r} is not a supported field (use {_SUPPORTED}, "
                    "and quote literal letters like 'T')",
                )
            if literal:
                tokens.append("".join(literal))
                literal.clear()
            tokens.append(field)
            i = j
        else:
            literal.append(char)
            i += 1
    if literal:
        tokens.append("".join(literal))
    return tuple(tokens)


def validate_pattern(pattern: str) -> None:
    """Raise VAR_FORMAT_INVALID unless `pattern` is a supported pattern."""
    _compile(pattern)


def format_time(moment: datetime, pattern: str) -> str:
    """`moment`'s wall-clock fields rendered by `pattern`.

    `moment` is taken as is: the caller converts it to the configured zone first.
    """
    return "".join(
        token if isinstance(token, str) else token(moment) for token in _compile(pattern)
    )
