"""Automatic retries of failed batches (issue 14, item 2). Pure: the field, the delays, the words.

A job may carry the extension field

    "retry": {"attempts": 3, "backoff": "30s", "maxBackoff": "10m"}

`attempts` counts every attempt of a batch, the first included (1: never retried), 1..20.
`backoff` is the delay before the first retry and doubles for each further one, up to
`maxBackoff`: durations such as "500ms", "30s", "10m", "1h" (backoff 1s..1h, maxBackoff
backoff..24h; defaults 30s and 10m). Each delay has jitter: a uniform draw between half the
exponential delay and all of it ("equal jitter"), so batches failing together do not retry
together. Errors: JOB_SPEC_INVALID (E18207) naming the member and the rule.

Which failures are retried is `core.outcomes.Verdict.retryable`: backends that may come back
(storage, the metadata store, an export's target), a worker that died, a service shut down or
killed. Permanent — never retried, the same input fails the same way: SQL the engine refuses or
cannot analyse, a source or schema refused (missing datasource, unreadable or mistyped input
file), a plan that cannot be made (upstream without a successful batch), the container's memory
exceeded. A stop is never retried.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tidemill.core.models import JSON
from tidemill.errors import Failure, InvalidInputError

MAX_ATTEMPTS = 20
DEFAULT_BACKOFF = timedelta(seconds=30)
DEFAULT_MAX_BACKOFF = timedelta(minutes=10)
MIN_BACKOFF = timedelta(seconds=1)
MAX_BACKOFF = timedelta(hours=1)
MAX_MAX_BACKOFF = timedelta(hours=24)
_UNITS = {"ms": timedelta(milliseconds=1), "s": timedelta(seconds=1),
          "m": timedelta(minutes=1), "h": timedelta(hours=1),
          "d": timedelta(days=1)}  # fmt: skip
_DURATION = re.compile(r"(\d{1,9})(ms|s|m|h|d)")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 1
    backoff: timedelta = DEFAULT_BACKOFF
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.JOB_SPEC_INVALID, message)


def parse_duration(value: Any, where: str) -> timedelta:
    """`"30s"` -> 30 seconds: an integer and one unit of ms, s, m, h, d (the limits are told in
    days: lateAfter up to "7d"). JOB_SPEC_INVALID else."""
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise _invalid(f'{where} {value!r} is not a duration: use e.g. "30s", "10m" or "1h"')
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(delta: timedelta) -> str:
    """The shortest exact spelling: 90s -> "90s", 600s -> "10m", 1.5s -> "1500ms"."""
    ms = int(delta / timedelta(milliseconds=1))
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0 and ms:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def retry_field(body: JSON) -> JSON:
    """{"retry": normalised} for a job body carrying `retry`, else {} (what the job definition
    stores and GetJob echoes). JOB_SPEC_INVALID for a bad member (module docstring)."""
    raw = body.get("retry")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _invalid('retry must be an object such as {"attempts": 3, "backoff": "30s"}')
    unknown = sorted(set(raw) - {"attempts", "backoff", "maxBackoff"})
    if unknown:
        raise _invalid(f"retry.{unknown[0]} is not a member: use attempts, backoff, maxBackoff")
    attempts = raw.get("attempts")
    if (
        isinstance(attempts, bool)
        or not isinstance(attempts, int)
        or not (1 <= attempts <= MAX_ATTEMPTS)
    ):
        raise _invalid(
            f"retry.attempts must be an integer from 1 to {MAX_ATTEMPTS} (every attempt, the "
            f"first included), not {attempts!r}"
        )
    backoff = DEFAULT_BACKOFF
    if raw.get("backoff") is not None:
        backoff = parse_duration(raw["backoff"], "retry.backoff")
    if not MIN_BACKOFF <= backoff <= MAX_BACKOFF:
        raise _invalid(f"retry.backoff must be from 1s to 1h, not {raw['backoff']!r}")
    ceiling = max(DEFAULT_MAX_BACKOFF, backoff)
    if raw.get("maxBackoff") is not None:
        ceiling = parse_duration(raw["maxBackoff"], "retry.maxBackoff")
    if not backoff <= ceiling <= MAX_MAX_BACKOFF:
        raise _invalid(
            f"retry.maxBackoff must be from retry.backoff ({format_duration(backoff)}) to 24h, "
            f"not {raw['maxBackoff']!r}"
        )
    return {"retry": {"attempts": attempts, "backoff": format_duration(backoff),
                      "maxBackoff": format_duration(ceiling)}}  # fmt: skip


def policy_of(definition: Mapping[str, Any]) -> RetryPolicy:
    """The stored job definition's policy (one attempt when it carries no `retry`)."""
    raw = definition.get("retry")
    if not isinstance(raw, dict):
        return RetryPolicy()
    return RetryPolicy(
        int(raw["attempts"]),
        parse_duration(raw["backoff"], "retry.backoff"),
        parse_duration(raw["maxBackoff"], "retry.maxBackoff"),
    )


def delay(policy: RetryPolicy, retry: int, draw: Callable[[], float] = random.random) -> timedelta:
    """The wait before retry number `retry` (1 = the first): backoff * 2^(retry-1), at most
    maxBackoff, then equal jitter (half of it plus `draw()` (0..1) times the other half)."""
    full = min(policy.backoff * (1 << min(retry - 1, 20)), policy.max_backoff)
    return full / 2 + full / 2 * draw()


@dataclass(frozen=True, slots=True)
class Decision:
    """What to store for a failed attempt: its history `message`, and when the batch runs
    again (None: it stays Failed)."""

    message: str
    retry_at: datetime | None = None


def decide(
    policy: RetryPolicy, retries: int, message: str, retryable: bool, now: datetime,
    draw: Callable[[], float] = random.random,
) -> Decision:  # fmt: skip
    """The decision for attempt `retries + 1` of a batch that failed with `message`.

    Without a policy (one attempt) the message is unchanged. Otherwise it names the attempt:
    "attempt 1 of 3 failed: <why>; retrying at <UTC time>", "...; no attempts left", or
    "...; not retried: the failure is permanent".
    """
    if policy.attempts <= 1:
        return Decision(message)
    attempt = retries + 1
    head = f"attempt {attempt} of {policy.attempts} failed: {message}"
    if not retryable:
        return Decision(f"{head}; not retried: the failure is permanent")
    if attempt >= policy.attempts:
        return Decision(f"{head}; no attempts left")
    due = now + delay(policy, attempt, draw)
    if due.microsecond:  # whole seconds, so the time the message names is the due time
        due = due.replace(microsecond=0) + timedelta(seconds=1)
    return Decision(f"{head}; retrying at {due.isoformat(timespec='seconds')}", due)


def success_message(message: str, policy: RetryPolicy, retries: int) -> str:
    """A success after retries says on which attempt it succeeded."""
    if retries <= 0:
        return message
    return f"{message} (attempt {retries + 1} of {policy.attempts})"
