"""The pure rules of retries and alerts (core.retries, core.notify): delays, words, signature."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from tidemill.core.notify import delivery_delay, signature
from tidemill.core.retries import RetryPolicy, decide, delay, format_duration, parse_duration

NOW = datetime(2025, 1, 1, tzinfo=UTC)
POLICY = RetryPolicy(5, timedelta(seconds=30), timedelta(minutes=2))


@pytest.mark.parametrize(
    ("retry", "full"), [(1, 30), (2, 60), (3, 120), (4, 120), (40, 120)]
)  # fmt: skip
def test_delay_doubles_up_to_the_ceiling_with_equal_jitter(retry: int, full: int) -> None:
    low, high = delay(POLICY, retry, lambda: 0.0), delay(POLICY, retry, lambda: 1.0)

    assert (low, high) == (timedelta(seconds=full / 2), timedelta(seconds=full))
    assert low <= delay(POLICY, retry) <= high


def test_a_huge_backoff_never_overflows() -> None:
    big = RetryPolicy(20, timedelta(hours=1), timedelta(hours=24))
    assert delay(big, 20, lambda: 1.0) == timedelta(hours=24)


def test_decide_names_the_attempt_and_when() -> None:
    due = decide(POLICY, 0, "boom", True, NOW, lambda: 0.5)
    last = decide(POLICY, 4, "boom", True, NOW)
    permanent = decide(POLICY, 1, "bad SQL", False, NOW)
    single = decide(RetryPolicy(), 0, "boom", True, NOW)

    assert due.retry_at == NOW + timedelta(seconds=23)  # 22.5 s rounded up to whole seconds
    assert due.message == "attempt 1 of 5 failed: boom; retrying at 2025-01-01T00:00:23+00:00"
    assert (last.retry_at, last.message) == (None, "attempt 5 of 5 failed: boom; no attempts left")
    assert permanent.retry_at is None
    assert (
        permanent.message == "attempt 2 of 5 failed: bad SQL; not retried: the failure is permanent"
    )
    assert (single.retry_at, single.message) == (None, "boom")


@pytest.mark.parametrize(
    ("text", "delta"),
    [("500ms", timedelta(milliseconds=500)), ("30s", timedelta(seconds=30)),
     ("10m", timedelta(minutes=10)), ("2h", timedelta(hours=2))],
)  # fmt: skip
def test_durations_round_trip(text: str, delta: timedelta) -> None:
    assert parse_duration(text, "x") == delta
    assert format_duration(delta) == text
    assert format_duration(timedelta(seconds=90)) == "90s"


def test_alert_delivery_backs_off_to_ten_minutes() -> None:
    waits = [delivery_delay(n).total_seconds() for n in range(1, 9)]
    assert waits == [10, 20, 40, 80, 160, 320, 600, 600]


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"event":"failed"}'
    expected = hmac.new(b"key-0123456789abcdef", b"1700000000." + body, hashlib.sha256)

    assert signature("key-0123456789abcdef", 1700000000, body) == (
        f"t=1700000000,v1={expected.hexdigest()}"
    )
    assert signature("key-0123456789abcdef", 1700000001, body) != signature(
        "key-0123456789abcdef", 1700000000, body
    )
