"""Magic variables (spec §3.4, §3.5, §9): syntax, validation, resolution order and rendering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tidemill.core.variables import (
    PLACEHOLDER,
    SYSTEM_VARIABLES,
    TimeExpression,
    UserVariable,
    is_system,
    parse_time_expression,
    referenced_names,
    render,
    resolve,
    system_values,
    system_variable_public,
    undefined_names,
    validate_variable,
)
from tidemill.errors import Failure, InvalidInputError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
MOMENT = datetime(2017, 1, 2, 3, 4, 5, 678901, tzinfo=SHANGHAI)
NOW_FORMAT = "yyyy-MM-dd HH:mm:ss"


# --- placeholders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("select 1", [], id="none"),
        pytest.param("where d = '$(date)'", ["date"], id="one"),
        pytest.param("$(a)$(b)$(a) $(c)", ["a", "b", "c"], id="unique-in-order"),
        pytest.param("$(_x1) $(X_y)", ["_x1", "X_y"], id="underscore-and-case"),
        pytest.param("$(1a) $( now) $(now ) $now $(a-b) $()", [], id="not-placeholders"),
        pytest.param("$$(now)", ["now"], id="dollar-before"),
        pytest.param("$(a$(b))", ["b"], id="nested-takes-inner"),
        pytest.param("$(年)", [], id="non-ascii-name"),
    ],
)
def test_referenced_names(text: str, expected: list[str]) -> None:
    assert referenced_names(text) == expected


def test_placeholder_regex_is_the_spec_one() -> None:
    assert PLACEHOLDER.pattern == r"\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)"


@pytest.mark.parametrize(
    ("text", "known", "expected"),
    [
        pytest.param("select 1", [], [], id="none"),
        pytest.param("$(now) $(year) $(date)", [], [], id="system-always-known"),
        pytest.param("$(p) $(v) $(x)", ["p", "v"], ["x"], id="one-unknown"),
        pytest.param("$(x) $(y) $(x)", set(), ["x", "y"], id="unique-in-order"),
        pytest.param("$(Now)", [], ["Now"], id="case-sensitive"),
    ],
)
def test_undefined_names(text: str, known: list[str], expected: list[str]) -> None:
    assert undefined_names(text, known) == expected


# --- system variables -----------------------------------------------------------------------


def test_system_variables_in_spec_order_with_formats() -> None:
    assert list(SYSTEM_VARIABLES.items()) == [
        ("year", "yyyy"),
        ("mon", "MM"),
        ("day", "dd"),
        ("hour", "HH"),
        ("min", "mm"),
        ("sec", "ss"),
        ("date", "yyyy-MM-dd"),
        ("now", "yyyy-MM-dd HH:mm:ss"),
    ]


def test_system_variables_are_read_only() -> None:
    with pytest.raises(TypeError):
        SYSTEM_VARIABLES["year"] = "yy"  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("year", True), ("now", True), ("date", True), ("Now", False), ("month", False), ("x", False)],
)
def test_is_system(name: str, expected: bool) -> None:
    assert is_system(name) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("year", {"name": "year", "type": "time", "value": "$(year)", "format": "yyyy"}),
        ("now", {"name": "now", "type": "time", "value": "$(now)", "format": NOW_FORMAT}),
    ],
)
def test_system_variable_public(name: str, expected: dict[str, str]) -> None:
    assert system_variable_public(name) == expected


def test_system_variable_public_of_other_name_is_key_error() -> None:
    with pytest.raises(KeyError):
        system_variable_public("v")


def test_system_values() -> None:
    assert system_values(MOMENT) == {
        "year": "2017",
        "mon": "01",
        "day": "02",
        "hour": "03",
        "min": "04",
        "sec": "05",
        "date": "2017-01-02",
        "now": "2017-01-02 03:04:05",
    }


# --- time expressions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("$(now)", TimeExpression("now"), id="bare"),
        pytest.param("$(now)-5h", TimeExpression("now", timedelta(hours=-5)), id="minus-hours"),
        pytest.param("$(now) - 5d", TimeExpression("now", timedelta(days=-5)), id="spaced-days"),
        pytest.param("$(now)-1d", TimeExpression("now", timedelta(days=-1)), id="sdk-test"),
        pytest.param("$(now)+30m", TimeExpression("now", timedelta(minutes=30)), id="plus-min"),
        pytest.param("  $(now)\t+\t2h  ", TimeExpression("now", timedelta(hours=2)), id="ws"),
        pytest.param("$(now)-0h", TimeExpression("now", timedelta(0)), id="zero"),
        pytest.param("$(now)-007m", TimeExpression("now", timedelta(minutes=-7)), id="zeros"),
        pytest.param("$(date)-1d", TimeExpression("date", timedelta(days=-1)), id="date-base"),
        pytest.param("$(year)", TimeExpression("year"), id="year-base"),
        pytest.param(
            "$(now)-3652058d", TimeExpression("now", timedelta(days=-3652058)), id="largest"
        ),
    ],
)
def test_parse_time_expression(value: str, expected: TimeExpression) -> None:
    assert parse_time_expression(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("", "use $(now)", id="empty"),
        pytest.param("now-5h", "use $(now)", id="no-placeholder"),
        pytest.param("$(now)-5", "use $(now)", id="no-unit"),
        pytest.param("$(now)-h", "use $(now)", id="no-count"),
        pytest.param("$(now)-5M", "use $(now)", id="upper-unit"),
        pytest.param("$(now)-5s", "use $(now)", id="seconds-unit"),
        pytest.param("$(now)-5w", "use $(now)", id="weeks-unit"),
        pytest.param("$(now)-5 h", "use $(now)", id="space-before-unit"),
        pytest.param("$(now)*5h", "use $(now)", id="bad-operator"),
        pytest.param("$(now)--5h", "use $(now)", id="double-sign"),
        pytest.param("$(now)-1d-1h", "use $(now)", id="two-offsets"),
        pytest.param("$(now)-1.5h", "use $(now)", id="fraction"),
        pytest.param("$(now)-\uff15h", "use $(now)", id="non-ascii-digit"),
        pytest.param("5h-$(now)", "use $(now)", id="reversed"),
        pytest.param("$( now )", "use $(now)", id="space-inside"),
        pytest.param("$(now)x", "use $(now)", id="trailing-text"),
        pytest.param("$(v)-1h", "$(v) is not a system time variable", id="user-base"),
        pytest.param("$(NOW)", "$(NOW) is not a system time variable", id="case-sensitive"),
        pytest.param("$(now)-3652059d", "the offset is too large", id="beyond-datetime-range"),
        pytest.param("$(now)-" + "9" * 200 + "m", "the offset is too large", id="huge"),
    ],
)
def test_invalid_time_expression_is_var_value_invalid(value: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_time_expression(value)

    assert caught.value.failure is Failure.VAR_VALUE_INVALID
    assert caught.value.message.startswith(f"invalid time expression {value!r}: ")
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("expression", "moment", "expected"),
    [
        pytest.param(
            TimeExpression("now", timedelta(hours=-5)),
            datetime(2017, 1, 2, 3, tzinfo=SHANGHAI),
            datetime(2017, 1, 1, 22, tzinfo=SHANGHAI),
            id="hours",
        ),
        pytest.param(
            TimeExpression("now", timedelta(days=-1)),
            datetime(2025, 3, 10, 12, tzinfo=NEW_YORK),
            datetime(2025, 3, 9, 12, tzinfo=NEW_YORK),
            id="days-are-calendar-days-across-dst",
        ),
        pytest.param(
            TimeExpression("now", timedelta(hours=-24)),
            datetime(2025, 3, 10, 12, tzinfo=NEW_YORK),
            datetime(2025, 3, 9, 12, tzinfo=NEW_YORK),
            id="whole-days-in-hours-are-calendar-days",
        ),
        pytest.param(
            TimeExpression("now", timedelta(hours=-12)),
            datetime(2025, 3, 9, 12, tzinfo=NEW_YORK),
            datetime(2025, 3, 8, 23, tzinfo=NEW_YORK),
            id="hours-are-elapsed-across-dst",
        ),
        pytest.param(
            TimeExpression("now", timedelta(days=-1)),
            datetime(2025, 3, 10, 2, 30, tzinfo=NEW_YORK),
            datetime(2025, 3, 9, 3, 30, tzinfo=NEW_YORK),
            id="day-landing-in-dst-gap-moves-forward",
        ),
        pytest.param(
            TimeExpression("now", timedelta(minutes=90)),
            datetime(2017, 1, 2, 3, 4),
            datetime(2017, 1, 2, 4, 34),
            id="naive-is-wall-clock",
        ),
    ],
)
def test_time_expression_apply(
    expression: TimeExpression, moment: datetime, expected: datetime
) -> None:
    shifted = expression.apply(moment)

    assert shifted == expected
    assert shifted.utcoffset() == expected.utcoffset()


# --- validate_variable ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "value", "format_", "expected"),
    [
        pytest.param("time", "$(now)-5h", NOW_FORMAT, ("time", "$(now)-5h", NOW_FORMAT), id="time"),
        pytest.param("TIME", "$(now)", "yyyy", ("time", "$(now)", "yyyy"), id="type-any-case"),
        pytest.param(
            "time", " $(now) - 1d ", "yyyyMMdd", ("time", " $(now) - 1d ", "yyyyMMdd"), id="ws"
        ),
        pytest.param("string", "2017-01-01", "", ("string", "2017-01-01", ""), id="string"),
        pytest.param("String", "x", None, ("string", "x", ""), id="string-no-format"),
        pytest.param("string", "x", "EEE", ("string", "x", ""), id="string-format-ignored"),
        pytest.param("string", "a$b(c)$", "", ("string", "a$b(c)$", ""), id="dollar-alone"),
        pytest.param("string", "x" * 128, "", ("string", "x" * 128, ""), id="128-chars"),
        pytest.param("string", " ", "", ("string", " ", ""), id="space-is-a-value"),
    ],
)
def test_validate_variable(
    type_: str, value: str, format_: str | None, expected: tuple[str, str, str]
) -> None:
    assert validate_variable(type_, value, format_) == expected


@pytest.mark.parametrize(
    ("type_", "value", "format_", "failure", "message"),
    [
        pytest.param(
            None, "x", "", Failure.VAR_TYPE_INVALID, "must be 'time' or 'string'", id="no-type"
        ),
        pytest.param("", "x", "", Failure.VAR_TYPE_INVALID, "not ''", id="empty-type"),
        pytest.param("date", "x", "", Failure.VAR_TYPE_INVALID, "not 'date'", id="bad-type"),
        pytest.param(
            "time", None, NOW_FORMAT, Failure.VAR_VALUE_INVALID, "value is required", id="none"
        ),
        pytest.param("string", "", "", Failure.VAR_VALUE_INVALID, "must not be empty", id="empty"),
        pytest.param(
            "string", "x" * 129, "", Failure.REQ_TOO_LONG, "129 characters", id="129-chars"
        ),
        pytest.param(
            "time",
            "$(now)-" + "1" * 121 + "h",
            NOW_FORMAT,
            Failure.REQ_TOO_LONG,
            "the limit is 128",
            id="long-time-value",
        ),
        pytest.param(
            "string", "$(now)", "", Failure.VAR_VALUE_INVALID, "must not contain '$('", id="ref"
        ),
        pytest.param(
            "string", "a$(b", "", Failure.VAR_VALUE_INVALID, "must not contain '$('", id="open"
        ),
        pytest.param(
            "time", "yesterday", NOW_FORMAT, Failure.VAR_VALUE_INVALID, "use $(now)", id="expr"
        ),
        pytest.param(
            "time", "$(now)-1h", None, Failure.VAR_FORMAT_INVALID, "needs a format", id="no-format"
        ),
        pytest.param(
            "time", "$(now)-1h", "", Failure.VAR_FORMAT_INVALID, "needs a format", id="empty-fmt"
        ),
        pytest.param(
            "time", "$(now)", "yyyy-MMM", Failure.VAR_FORMAT_INVALID, "'MMM'", id="bad-format"
        ),
        # Check order: type, then value, then format.
        pytest.param("x", "", "EEE", Failure.VAR_TYPE_INVALID, "not 'x'", id="type-first"),
        pytest.param("time", "", "EEE", Failure.VAR_VALUE_INVALID, "required", id="value-second"),
        pytest.param(
            "time", "x" * 129, "EEE", Failure.REQ_TOO_LONG, "129", id="length-before-format"
        ),
    ],
)
def test_invalid_variable(
    type_: str | None, value: str | None, format_: str | None, failure: Failure, message: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_variable(type_, value, format_)

    assert caught.value.failure is failure
    assert message in caught.value.message


# --- resolution and rendering ---------------------------------------------------------------

USER = {
    "ago": UserVariable("ago", "time", "$(now)-5h", "yyyy-MM-dd HH"),
    "tomorrow": UserVariable("tomorrow", "time", "$(date) + 1d", "yyyyMMdd"),
    "stamp": UserVariable("stamp", "time", "$(now)", "HH:mm:ss.SSS"),
    "city": UserVariable("city", "string", "beijing", ""),
    "shadow": UserVariable("shadow", "string", "from-user", ""),
    "year": UserVariable("year", "string", "user-year", ""),
}
PARAMS = {"p": "param", "shadow": "from-param"}
RUNTIME = {"p": "runtime", "r": "$(now)"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("r", "$(now)", id="runtime-taken-literally"),
        pytest.param("p", "runtime", id="runtime-beats-param"),
        pytest.param("shadow", "from-param", id="param-beats-user"),
        pytest.param("year", "user-year", id="user-beats-system"),
        pytest.param("city", "beijing", id="user-string"),
        pytest.param("ago", "2017-01-01 22", id="user-time-minus-hours"),
        pytest.param("tomorrow", "20170103", id="user-time-plus-day"),
        pytest.param("stamp", "03:04:05.678", id="user-time-format"),
        pytest.param("now", "2017-01-02 03:04:05", id="system"),
        pytest.param("mon", "01", id="system-mon"),
    ],
)
def test_resolve_order(name: str, expected: str) -> None:
    values = resolve([name], runtime=RUNTIME, params=PARAMS, user=USER, moment=MOMENT)
    assert values == {name: expected}


def test_resolve_many_names_once_each() -> None:
    values = resolve(
        ["date", "city", "date", "p"], runtime={}, params=PARAMS, user=USER, moment=MOMENT
    )
    assert values == {"date": "2017-01-02", "city": "beijing", "p": "param"}


def test_resolve_nothing() -> None:
    assert resolve([], runtime={}, params={}, user={}, moment=MOMENT) == {}


def test_resolve_undefined_is_job_sql_undef_var() -> None:
    with pytest.raises(InvalidInputError) as caught:
        resolve(["now", "x", "y"], runtime={}, params={}, user=USER, moment=MOMENT)

    assert caught.value.failure is Failure.JOB_SQL_UNDEF_VAR
    assert caught.value.message == "undefined variable $(x)"
    assert caught.value.details == {"name": "x"}


def test_resolve_time_variable_uses_the_moments_zone() -> None:
    utc_moment = MOMENT.astimezone(UTC)
    values = resolve(["ago", "now"], runtime={}, params={}, user=USER, moment=utc_moment)
    assert values == {"ago": "2017-01-01 14", "now": "2017-01-01 19:04:05"}


def test_resolve_time_variable_out_of_range_is_var_value_invalid() -> None:
    user = {"old": UserVariable("old", "time", "$(now)-3000000d", "yyyy")}
    with pytest.raises(InvalidInputError) as caught:
        resolve(["old"], runtime={}, params={}, user=user, moment=MOMENT)

    assert caught.value.failure is Failure.VAR_VALUE_INVALID
    assert caught.value.message.startswith(
        "variable $(old) = '$(now)-3000000d' falls outside years 1-9999"
    )


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        pytest.param("select 1", {}, "select 1", id="no-placeholders"),
        pytest.param(
            "where create_date = $(createYear)",
            {"createYear": "2017"},
            "where create_date = 2017",
            id="spec-example-unquoted",
        ),
        pytest.param("$(a)/$(b)/$(a)", {"a": "1", "b": "2"}, "1/2/1", id="every-occurrence"),
        pytest.param("$(a)", {"a": "$(b)", "b": "no"}, "$(b)", id="single-pass"),
        pytest.param("$$(a)$", {"a": "x"}, "$x$", id="dollars-around"),
        pytest.param("$(a) $( b)", {"a": "x"}, "x $( b)", id="non-placeholder-untouched"),
        pytest.param("$(a)", {"a": ""}, "", id="empty-value"),
        pytest.param("$(a)", {"a": "\\1 \\g<0>"}, "\\1 \\g<0>", id="backslashes-literal"),
    ],
)
def test_render(text: str, values: Mapping[str, str], expected: str) -> None:
    assert render(text, values) == expected


def test_render_missing_value_is_job_sql_undef_var() -> None:
    with pytest.raises(InvalidInputError) as caught:
        render("select $(a), $(b)", {"a": "1"})

    assert caught.value.failure is Failure.JOB_SQL_UNDEF_VAR
    assert caught.value.message == "undefined variable $(b)"


def test_resolve_then_render() -> None:
    sql = "select * from t where d = '$(date)' and h >= '$(ago)' and c = '$(city)'"
    values = resolve(referenced_names(sql), runtime={}, params={}, user=USER, moment=MOMENT)

    assert render(sql, values) == (
        "select * from t where d = '2017-01-02' and h >= '2017-01-01 22' and c = 'beijing'"
    )
