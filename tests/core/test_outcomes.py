"""How an attempt's end becomes the batch's status (core.outcomes.settle): the whole table."""

from __future__ import annotations

import pytest

from tidemill.core import outcomes as o
from tidemill.core.batches import MOVES, BatchStatus
from tidemill.core.outcomes import Ending, Outcome, Verdict, settle

S = BatchStatus
E = Ending

# (outcome, status the batch is in) -> (status, message, rows, retryable)
TABLE: list[tuple[Outcome, BatchStatus, tuple[BatchStatus, str, int | None, bool]]] = [
    (Outcome(E.SUCCEEDED, rows=7), S.RUNNING, (S.SUCCESSFUL, "success", 7, False)),
    (Outcome(E.SUCCEEDED, rows=0), S.RUNNING, (S.SUCCESSFUL, "success", 0, False)),
    (Outcome(E.SUCCEEDED, rows=5, note="2 bad lines skipped"), S.RUNNING,
     (S.SUCCESSFUL, "success; 2 bad lines skipped", 5, False)),
    (Outcome(E.SUCCEEDED, "export e failed", 5, note="2 bad lines skipped"), S.RUNNING,
     (S.FAILED, "export e failed", 5, True)),
    (Outcome(E.SUCCEEDED, "export e failed: 503", 7), S.RUNNING,
     (S.FAILED, "export e failed: 503", 7, True)),
    (Outcome(E.REFUSED, "column x not found"), S.RUNNING,
     (S.FAILED, "column x not found", None, False)),
    (Outcome(E.ERROR, "S3 answered 500"), S.RUNNING, (S.FAILED, "S3 answered 500", None, True)),
    (Outcome(E.MEMORY, "the batch exceeded the container's memory (600 MiB of data)"),
     S.RUNNING,
     (S.FAILED, "the batch exceeded the container's memory (600 MiB of data)", None, False)),
    (Outcome(E.CRASHED), S.RUNNING, (S.FAILED, o.CRASHED, None, True)),
    (Outcome(E.KILLED), S.RUNNING, (S.FAILED, o.KILLED, None, True)),
    (Outcome(E.SHUT_DOWN), S.RUNNING, (S.FAILED, o.SHUT_DOWN, None, True)),
    (Outcome(E.LEASE_LOST, "lost its lease"), S.RUNNING,
     (S.FAILED, "lost its lease", None, True)),
    (Outcome(E.ABANDONED), S.RUNNING, (S.FAILED, o.ABANDONED, None, True)),
    (Outcome(E.UNRECORDED, "disk full"), S.RUNNING,
     (S.FAILED, f"{o.UNRECORDED}: disk full", None, True)),
    # A batch being stopped is Canceled however its attempt ended, and is never retried.
    *[(Outcome(ending, rows=3 if ending is E.SUCCEEDED else None), S.CANCELLING,
       (S.CANCELED, o.STOPPED, None, False)) for ending in E if ending is not E.UNRECORDED],
    (Outcome(E.UNRECORDED, "disk full"), S.CANCELLING,
     (S.CANCELED, f"{o.STOPPED}; {o.UNRECORDED}: disk full", None, False)),
]  # fmt: skip


@pytest.mark.parametrize(("outcome", "current", "expected"), TABLE)
def test_the_table(
    outcome: Outcome, current: BatchStatus, expected: tuple[BatchStatus, str, int | None, bool]
) -> None:
    verdict = settle(outcome, current)

    assert verdict == Verdict(*expected)
    assert verdict.status in MOVES[current]  # the store will take it
    assert verdict.succeeded == (verdict.status is S.SUCCESSFUL)


def test_every_ending_from_running_is_in_the_table() -> None:
    assert {outcome.ending for outcome, current, _ in TABLE if current is S.RUNNING} == set(E)


@pytest.mark.parametrize("current", [s for s in S if s not in (S.RUNNING, S.CANCELLING)])
@pytest.mark.parametrize("ending", list(E))
def test_a_batch_no_longer_executing_is_left_as_it_is(current: BatchStatus, ending: Ending) -> None:
    assert settle(Outcome(ending, "x", 1), current) is None
