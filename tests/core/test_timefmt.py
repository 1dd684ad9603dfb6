"""Java-style time patterns (spec §3.5): what each supported letter prints, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tidemill.core.timefmt import format_time, validate_pattern
from tidemill.errors import Failure, InvalidInputError

SHANGHAI = timezone(timedelta(hours=8))
MOMENT = datetime(2017, 1, 2, 3, 4, 5, 678901, tzinfo=SHANGHAI)
AFTERNOON = datetime(2009, 11, 30, 15, 40, 9, 7000, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "pattern", "expected"),
    [
        pytest.param(MOMENT, "yyyy-MM-dd HH:mm:ss", "2017-01-02 03:04:05", id="now-format"),
        pytest.param(MOMENT, "yyyy", "2017", id="yyyy"),
        pytest.param(MOMENT, "yy", "17", id="yy"),
        pytest.param(MOMENT, "MM", "01", id="MM"),
        pytest.param(MOMENT, "M", "1", id="M"),
        pytest.param(MOMENT, "dd", "02", id="dd"),
        pytest.param(MOMENT, "d", "2", id="d"),
        pytest.param(MOMENT, "HH", "03", id="HH"),
        pytest.param(MOMENT, "H", "3", id="H"),
        pytest.param(MOMENT, "hh", "03", id="hh-morning"),
        pytest.param(MOMENT, "mm", "04", id="mm"),
        pytest.param(MOMENT, "ss", "05", id="ss"),
        pytest.param(MOMENT, "SSS", "678", id="SSS-truncates-microseconds"),
        pytest.param(AFTERNOON, "M/d H hh", "11/30 15 03", id="two-digit-and-12-hour"),
        pytest.param(AFTERNOON, "SSS", "007", id="SSS-padded"),
        pytest.param(MOMENT.replace(hour=0), "hh", "12", id="hh-midnight-is-12"),
        pytest.param(MOMENT.replace(hour=12), "hh", "12", id="hh-noon-is-12"),
        pytest.param(MOMENT.replace(hour=23), "hh", "11", id="hh-23-is-11"),
        pytest.param(MOMENT.replace(year=5), "yyyy yy", "0005 05", id="year-padding"),
        pytest.param(MOMENT.replace(year=2000), "yy", "00", id="yy-2000"),
        pytest.param(MOMENT, "yyyyMMddHHmmss", "20170102030405", id="adjacent-fields"),
        pytest.param(MOMENT, "yyyy/MM/dd", "2017/01/02", id="slashes-literal"),
        pytest.param(MOMENT, "yyyy年MM月dd日", "2017年01月02日", id="non-ascii-letters-literal"),
        pytest.param(MOMENT, "yyyy-MM-dd'T'HH", "2017-01-02T03", id="quoted-letter"),
        pytest.param(MOMENT, "'at' HH", "at 03", id="quoted-word"),
        pytest.param(MOMENT, "HH 'o''clock'", "03 o'clock", id="quote-inside-quoted"),
        pytest.param(MOMENT, "''HH''", "'03'", id="quote-outside-quoted"),
        pytest.param(MOMENT, "''''", "''", id="two-quotes"),
        pytest.param(MOMENT, "'yyyy'", "yyyy", id="quoted-field-letters"),
        pytest.param(MOMENT, "''", "'", id="just-a-quote"),
        pytest.param(MOMENT, "'a'''", "a'", id="quoted-then-quote"),
        pytest.param(MOMENT, "''''''", "'''", id="three-quotes"),
        pytest.param(MOMENT, "12:00 _-.", "12:00 _-.", id="digits-and-punctuation"),
        pytest.param(MOMENT, "", "", id="empty"),
        pytest.param(MOMENT, "  ", "  ", id="spaces"),
    ],
)
def test_format_time(moment: datetime, pattern: str, expected: str) -> None:
    validate_pattern(pattern)
    assert format_time(moment, pattern) == expected


def test_format_uses_the_moments_own_wall_clock() -> None:
    # The caller converts to the configured zone; formatting never converts.
    assert format_time(MOMENT.astimezone(UTC), "yyyy-MM-dd HH") == "2017-01-01 19"
    assert format_time(MOMENT, "yyyy-MM-dd HH") == "2017-01-02 03"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        pytest.param("EEE", "'EEE' is not a supported field", id="weekday"),
        pytest.param("yyyy-MM-dd a", "'a' is not a supported field", id="am-pm"),
        pytest.param("YYYY", "'YYYY' is not a supported field", id="week-year"),
        pytest.param("y", "'y' is not a supported field", id="y"),
        pytest.param("yyy", "'yyy' is not a supported field", id="yyy"),
        pytest.param("yyyyy", "'yyyyy' is not a supported field", id="yyyyy"),
        pytest.param("MMM", "'MMM' is not a supported field", id="month-name"),
        pytest.param("ddd", "'ddd' is not a supported field", id="ddd"),
        pytest.param("HHH", "'HHH' is not a supported field", id="HHH"),
        pytest.param("h", "'h' is not a supported field", id="h"),
        pytest.param("m", "'m' is not a supported field", id="m"),
        pytest.param("s", "'s' is not a supported field", id="s"),
        pytest.param("S", "'S' is not a supported field", id="S"),
        pytest.param("SS", "'SS' is not a supported field", id="SS"),
        pytest.param("SSSS", "'SSSS' is not a supported field", id="SSSS"),
        pytest.param("D", "'D' is not a supported field", id="day-in-year"),
        pytest.param("HH:mm:ss Z", "'Z' is not a supported field", id="zone-offset"),
        pytest.param("yyyy-MM-ddTHH", "'T' is not a supported field", id="unquoted-T"),
        pytest.param("x", "'x' is not a supported field", id="lowercase-other"),
        pytest.param("'open", "a quote (') is not closed", id="unterminated"),
        pytest.param("yyyy'T", "a quote (') is not closed", id="unterminated-after-field"),
        pytest.param("'a''", "a quote (') is not closed", id="unterminated-after-escape"),
    ],
)
def test_invalid_pattern_is_var_format_invalid(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_pattern(pattern)

    assert caught.value.failure is Failure.VAR_FORMAT_INVALID
    assert caught.value.message.startswith(f"invalid time format {pattern!r}: {reason}")
    assert caught.value.details == {"format": pattern}


def test_format_time_refuses_an_invalid_pattern() -> None:
    with pytest.raises(InvalidInputError) as caught:
        format_time(MOMENT, "yyyy-MMM")

    assert caught.value.failure is Failure.VAR_FORMAT_INVALID


def test_unsupported_field_message_lists_the_supported_letters() -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_pattern("EEE")

    assert "use yyyy yy MM M dd d HH H hh mm ss SSS" in caught.value.message
