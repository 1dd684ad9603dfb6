"""The `maxConcurrent` member of a job (issue 14, item 3): a Tidemill extension of the job body
that the Go SDK's decoding ignores. Enforced by the runner's claim (core.caps)."""

from __future__ import annotations

from tidemill.core import fields
from tidemill.core.models import JSON
from tidemill.errors import Failure, InvalidInputError

MAX_CONCURRENT_LIMIT = 1000  # the largest maxConcurrent a job may ask for
DEFAULT_MAX_CONCURRENT = 1  # spec §7.6


def check_max_concurrent(body: JSON) -> JSON:
    """The `maxConcurrent` member of a job body as the definition keeps it ({} when absent).

    An integer from 1 to MAX_CONCURRENT_LIMIT, else JOB_SPEC_INVALID (REQ_MALFORMED when it is
    not a JSON integer)."""
    value = fields.opt_int(body, "maxConcurrent")
    if value is None:
        return {}
    if not 1 <= value <= MAX_CONCURRENT_LIMIT:
        raise InvalidInputError(
            Failure.JOB_SPEC_INVALID,
            f"maxConcurrent is {value}: it must be between 1 and {MAX_CONCURRENT_LIMIT} "
            "(batches of this job running at once; 1 is one at a time, spec §7.6)",
        )
    return {"maxConcurrent": value}


def max_concurrent(definition: JSON) -> int:
    """Batches of the job that may execute at once (its stored `maxConcurrent`, default 1)."""
    value = definition.get("maxConcurrent")
    return value if isinstance(value, int) and value >= 1 else DEFAULT_MAX_CONCURRENT
