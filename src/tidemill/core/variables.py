"""Magic variables `$(name)`: syntax, validation and evaluation (spec §3.4, §3.5, §9).

Substitution is plain text replacement, done once: a substituted value is never scanned again.
A name resolves, in order, to the run's start value, the job's param default, a user variable,
then a system variable (§3.4). Time values are the reference moment (the batch time, already in
the configured zone) shifted by a time expression and rendered by a `timefmt` pattern.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from tidemill.core.timefmt import format_time, validate_pattern
from tidemill.errors import Failure, InvalidInputError

PLACEHOLDER = re.compile(r"\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)")

# name -> format, in the order of the §3.4 table (which is also the listing order, §9.4).
SYSTEM_VARIABLES: Mapping[str, str] = MappingProxyType(
    {
        "year": "yyyy",
        "mon": "MM",
        "day": "dd",
        "hour": "HH",
        "min": "mm",
        "sec": "ss",
        "date": "yyyy-MM-dd",
        "now": "yyyy-MM-dd HH:mm:ss",
    }
)

VARIABLE_TYPES = ("time", "string")
MAX_VALUE_LENGTH = 128

_TIME_EXPRESSION = re.compile(
    r"\s*\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)\s*(?:([+-])\s*([0-9]+)([dhm]))?\s*"
)
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60}
_DAY = timedelta(days=1)
# No shift wider than the whole datetime range can ever be evaluated.
_MAX_OFFSET_SECONDS = (datetime.max - datetime.min) // timedelta(seconds=1)
_EXPRESSION_HELP = (
    "use $(now) optionally followed by + or - and a count in d, h or m, e.g. $(now)-5h"
)


@dataclass(frozen=True)
class UserVariable:
    """A stored user variable, already validated by `validate_variable`."""

    name: str
    type: str  # "time" or "string"
    value: str
    format: str  # "" for string variables


@dataclass(frozen=True)
class TimeExpression:
    """A parsed time expression: a system time variable shifted by `offset`."""

    base: str
    offset: timedelta = timedelta(0)

    def apply(self, moment: datetime) -> datetime:
        """`moment` shifted by the offset, in `moment`'s zone.

        Whole days are calendar days (the wall-clock time is kept across a DST change);
        hours and minutes are elapsed time. Raises OverflowError outside years 1-9999.
        """
        if not self.offset:
            return moment
        zone = moment.tzinfo
        if moment.utcoffset() is None or zone is None:
            return moment + self.offset
        if self.offset % _DAY == timedelta(0):
            return (moment + self.offset).astimezone(UTC).astimezone(zone)
        return (moment.astimezone(UTC) + self.offset).astimezone(zone)


def referenced_names(text: str) -> list[str]:
    """The variable names `text` references, each once, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def undefined_names(text: str, known: Collection[str]) -> list[str]:
    """The names `text` references that are neither in `known` nor system variables."""
    return [n for n in referenced_names(text) if n not in known and n not in SYSTEM_VARIABLES]


def is_system(name: str) -> bool:
    return name in SYSTEM_VARIABLES


def system_variable_public(name: str) -> dict[str, str]:
    """The wire form of system variable `name` (§9.4). Raises KeyError for other names."""
    return {"name": name, "type": "time", "value": f"$({name})", "format": SYSTEM_VARIABLES[name]}


def parse_time_expression(value: str) -> TimeExpression:
    """Parse `$(now)`, `$(now)-5h`, `$(now) + 1d` ... (§3.5). Raises VAR_VALUE_INVALID."""
    match = _TIME_EXPRESSION.fullmatch(value)
    if match is None:
        raise _invalid_value(f"invalid time expression {value!r}: {_EXPRESSION_HELP}")
    base, sign, count, unit = match.groups()
    if base not in SYSTEM_VARIABLES:
        raise _invalid_value(
            f"invalid time expression {value!r}: $({base}) is not a system time variable "
            f"(use one of {', '.join(SYSTEM_VARIABLES)})"
        )
    if sign is None:
        return TimeExpression(base)
    digits = count.lstrip("0")
    seconds = int(digits or "0") * _UNIT_SECONDS[unit] if len(digits) <= 12 else None
    if seconds is None or seconds > _MAX_OFFSET_SECONDS:
        raise _invalid_value(f"invalid time expression {value!r}: the offset is too large")
    return TimeExpression(base, timedelta(seconds=-seconds if sign == "-" else seconds))


def validate_variable(
    type_: str | None, value: str | None, format_: str | None
) -> tuple[str, str, str]:
    """The normalised `(type, value, format)` of a user variable body (§9.1).

    Checks in field order: type, value, format. The type is stored in lower case; a string
    variable's format is ignored and stored as "".
    """
    kind = (type_ or "").lower()
    if kind not in VARIABLE_TYPES:
        raise InvalidInputError(
            Failure.VAR_TYPE_INVALID, f"variable type must be 'time' or 'string', not {type_!r}"
        )
    if not value:
        raise _invalid_value("variable value is required and must not be empty")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidInputError(
            Failure.REQ_TOO_LONG,
            f"variable value is {len(value)} characters long; the limit is {MAX_VALUE_LENGTH}",
        )
    if kind == "string":
        if "$(" in value:
            raise _invalid_value(
                "a string variable's value must not contain '$('; "
                "use a time variable to refer to $(now) and the other system variables"
            )
        return kind, value, ""
    parse_time_expression(value)
    if not format_:
        raise InvalidInputError(
            Failure.VAR_FORMAT_INVALID,
            "a time variable needs a format, such as yyyy-MM-dd HH:mm:ss",
        )
    validate_pattern(format_)
    return kind, value, format_


def system_values(moment: datetime) -> dict[str, str]:
    """Every system variable at `moment` (already in the configured zone)."""
    return {name: format_time(moment, pattern) for name, pattern in SYSTEM_VARIABLES.items()}


def resolve(
    names: Iterable[str],
    *,
    runtime: Mapping[str, str],
    params: Mapping[str, str],
    user: Mapping[str, UserVariable],
    moment: datetime,
) -> dict[str, str]:
    """The value of each name: start value, then param default, user variable, system variable.

    `moment` is the reference time in the configured zone. Raises JOB_SQL_UNDEF_VAR for a name
    defined nowhere, and VAR_VALUE_INVALID for a time variable that cannot be evaluated.
    """
    values: dict[str, str] = {}
    for name in names:
        if name in values:
            continue
        if name in runtime:
            values[name] = runtime[name]
        elif name in params:
            values[name] = params[name]
        elif name in user:
            values[name] = _user_value(user[name], moment)
        elif name in SYSTEM_VARIABLES:
            values[name] = format_time(moment, SYSTEM_VARIABLES[name])
        else:
            raise _undefined(name)
    return values


def render(text: str, values: Mapping[str, str]) -> str:
    """`text` with every `$(name)` replaced by `values[name]`, in one pass.

    Raises JOB_SQL_UNDEF_VAR if `text` references a name missing from `values`.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise _undefined(name)
        return values[name]

    return PLACEHOLDER.sub(substitute, text)


def fill(
    text: str,
    *,
    moment: datetime,
    user: Mapping[str, UserVariable],
    runtime: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> str:
    """`text` with its `$(variables)` resolved at `moment` (the order of `resolve`) and put in."""
    names = referenced_names(text)
    if not names:
        return text
    values = resolve(names, runtime=runtime or {}, params=params or {}, user=user, moment=moment)
    return render(text, values)


def _user_value(variable: UserVariable, moment: datetime) -> str:
    if variable.type != "time":
        return variable.value
    expression = parse_time_expression(variable.value)
    try:
        shifted = expression.apply(moment)
    except OverflowError:
        raise _invalid_value(
            f"variable $({variable.name}) = {variable.value!r} falls outside years 1-9999 "
            f"at {moment.isoformat()}"
        ) from None
    return format_time(shifted, variable.format)


def _invalid_value(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.VAR_VALUE_INVALID, message)


def _undefined(name: str) -> InvalidInputError:
    return InvalidInputError(Failure.JOB_SQL_UNDEF_VAR, f"undefined variable $({name})", name=name)
