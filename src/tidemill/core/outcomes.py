"""How the end of a batch attempt becomes the batch's next status (spec §7.2): one pure function.

Whoever ends an executing batch — the runner recording its worker's answer, the runner failing
to plan it or to record the answer, the reaper settling a batch whose runner is gone — describes
how the attempt ended as an `Outcome`, and `settle` says what to store. The retry decision of a
later issue (retries with back-off) is made from the same verdict: `Verdict.retryable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tidemill.core.batches import BatchStatus

S = BatchStatus


class Ending(StrEnum):
    """How one attempt of a batch ended."""

    SUCCEEDED = "succeeded"  # the result is committed; `message`: the exports that failed, if any
    REFUSED = "refused"  # the SQL, a source or the plan was refused: it fails again the same way
    ERROR = "error"  # a backend (storage, engine, metadata) failed: another attempt may pass
    MEMORY = "memory"  # the attempt needed more memory than its container has
    CRASHED = "crashed"  # the worker process died without answering
    KILLED = "killed"  # the runner ended the worker for a stop
    SHUT_DOWN = "shut down"  # the service was shut down while the attempt ran
    LEASE_LOST = "lease lost"  # the worker found its lease taken over and stopped publishing
    ABANDONED = "abandoned"  # its runner is gone (lease lapsed, or the single node restarted)
    UNRECORDED = "unrecorded"  # the outcome could not be stored; `message` says why


@dataclass(frozen=True, slots=True)
class Outcome:
    ending: Ending
    message: str = ""  # the worker's error, the failed exports, why it could not be recorded
    rows: int | None = None  # result rows, when the result was committed
    note: str = ""  # on success: what the result's message adds (bad CDN log lines skipped)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to store: the batch's status, its history `message` (§7.1) and result rows."""

    status: BatchStatus
    message: str
    rows: int | None = None
    retryable: bool = False  # another attempt could end otherwise (never for a stop)

    @property
    def succeeded(self) -> bool:
        return self.status is S.SUCCESSFUL


SUCCESS = "success"
STOPPED = "stopped by user"
CRASHED = (
    "the worker process died while running the batch (it may have exceeded the container's memory)"
)
KILLED = "the worker process was ended while running the batch"
SHUT_DOWN = "Tidemill was shut down while this batch was running; rerun the batch"
ABANDONED = (
    "Tidemill stopped while this batch was running (the service was killed or crashed); "
    "rerun the batch"
)
UNRECORDED = "Tidemill could not record this batch's outcome"

_FAILED_WITH = {  # ending -> (message when the outcome has none, retryable)
    Ending.REFUSED: ("the batch was refused", False),
    Ending.ERROR: ("the batch failed", True),
    Ending.MEMORY: ("the batch exceeded the container's memory", False),
    Ending.CRASHED: (CRASHED, True),
    Ending.KILLED: (KILLED, True),
    Ending.SHUT_DOWN: (SHUT_DOWN, True),
    Ending.LEASE_LOST: ("this attempt lost its lease", True),
    Ending.ABANDONED: (ABANDONED, True),
    Ending.UNRECORDED: (UNRECORDED, True),
}


def settle(outcome: Outcome, current: BatchStatus) -> Verdict | None:
    """The status to store for a batch in `current` whose attempt ended with `outcome`.

    None when `current` is not executing (Running or Cancelling): the batch was settled or
    rerun by someone else, and this attempt's end changes nothing. A batch being stopped
    (Cancelling) becomes Canceled however its attempt ended. A Running one becomes Successful
    when its result was committed and every export succeeded, else Failed with the reason; the
    result rows are kept whenever the result was committed. Spec §7.2 for the moves.
    """
    if current is S.CANCELLING:
        if outcome.ending is Ending.UNRECORDED and outcome.message:
            return Verdict(S.CANCELED, f"{STOPPED}; {UNRECORDED}: {outcome.message}")
        return Verdict(S.CANCELED, STOPPED)
    if current is not S.RUNNING:
        return None
    if outcome.ending is Ending.SUCCEEDED:
        if not outcome.message:
            message = f"{SUCCESS}; {outcome.note}" if outcome.note else SUCCESS
            return Verdict(S.SUCCESSFUL, message, outcome.rows)
        # The result stands but an export failed: its target may come back (an HTTP endpoint,
        # a database), and the exports are redone in full by the next attempt.
        return Verdict(S.FAILED, outcome.message, outcome.rows, retryable=True)
    default, retryable = _FAILED_WITH[outcome.ending]
    message = outcome.message or default
    if outcome.ending is Ending.UNRECORDED and outcome.message:
        message = f"{UNRECORDED}: {outcome.message}"
    return Verdict(S.FAILED, message, retryable=retryable)
