from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tidemill.core.batches import (
    MOVES,
    Batch,
    BatchStatus,
    batch_public,
    can_rerun,
    can_stop,
    check_move,
    parse_history_query,
    parse_run_id,
)
from tidemill.errors import InvalidInputError, StateError

S = BatchStatus
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def stamp(moment: object) -> str:
    return moment.isoformat() if isinstance(moment, datetime) else ""


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.READY, S.RUNNING), (S.RUNNING, S.SUCCESSFUL), (S.RUNNING, S.FAILED),
     (S.RUNNING, S.CANCELLING), (S.CANCELLING, S.CANCELED), (S.FAILED, S.RESTARTING),
     (S.SUCCESSFUL, S.RESTARTING), (S.CANCELED, S.RESTARTING), (S.RESTARTING, S.RUNNING),
     (S.READY, S.CANCELED)],
)  # fmt: skip
def test_allowed_moves(current, target) -> None:
    check_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.SUCCESSFUL, S.RUNNING), (S.READY, S.SUCCESSFUL), (S.CANCELED, S.RUNNING),
     (S.CANCELLING, S.RUNNING), (S.FAILED, S.SUCCESSFUL), (S.RESTARTING, S.SUCCESSFUL)],
)  # fmt: skip
def test_forbidden_moves(current, target) -> None:
    with pytest.raises(StateError):
        check_move(current, target)


def test_every_status_has_a_row() -> None:
    assert set(MOVES) == set(S)


@pytest.mark.parametrize("status", list(S))
def test_only_running_stops_and_only_finished_reruns(status) -> None:
    assert can_stop(status) == (status is S.RUNNING)
    assert can_rerun(status) == (status in (S.SUCCESSFUL, S.FAILED, S.CANCELED))


def test_public_ready_batch_has_empty_times() -> None:
    body = batch_public(Batch("j", 1, T0, S.READY), T0, stamp)

    assert body == {"runId": 1, "batchTime": T0.isoformat(), "startTime": "", "endTime": "",
                    "duration": 0, "status": "Ready", "message": ""}  # fmt: skip


def test_public_running_batch_ends_now() -> None:
    batch = Batch("j", 2, T0, S.RUNNING, start_time=T0)

    body = batch_public(batch, T0 + timedelta(seconds=90, milliseconds=600), stamp)

    assert body["duration"] == 90
    assert body["endTime"] == (T0 + timedelta(seconds=90, milliseconds=600)).isoformat()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, (None, None, "runId", True, None, None)),
        ({"page": "2"}, (2, None, "runId", True, None, None)),
        ({"size": "5", "sortBy": "endTime"}, (None, 5, "endTime", False, None, None)),
        (
            {"sortBy": "-duration", "status": "failed"},
            (None, None, "duration", True, S.FAILED, None),
        ),
        ({"runId": "-1"}, (None, None, "runId", True, None, -1)),
    ],
)
def test_history_query(query, expected) -> None:
    q = parse_history_query(query)

    assert (q.page, q.size, q.sort_by, q.descending, q.status, q.run_id) == expected


@pytest.mark.parametrize(
    ("page", "size", "limits"),
    [(None, None, None), (1, None, (0, 20)), (None, 5, (0, 5)), (3, 10, (20, 10))],
)
def test_history_limits(page, size, limits) -> None:
    query = {k: str(v) for k, v in (("page", page), ("size", size)) if v is not None}

    assert parse_history_query(query).limits == limits


@pytest.mark.parametrize(
    "query",
    [{"page": "0"}, {"page": "-1"}, {"size": "0"}, {"size": "1001"}, {"sortBy": "name"},
     {"sortBy": "--runId"}, {"status": "Done"}, {"runId": "x"}, {"runId": "-2"}],
)  # fmt: skip
def test_bad_history_queries(query) -> None:
    with pytest.raises(InvalidInputError):
        parse_history_query(query)


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"jobName": "j", "runId": 3}, ("j", 3)), ({"jobName": "j", "runId": "3"}, ("j", 3)),
     ({"jobName": "j", "runId": -1}, ("j", -1)), ({"jobName": "j", "runId": 4.0}, ("j", 4))],
)  # fmt: skip
def test_run_id_accepts_integers_and_numeric_strings(body, expected) -> None:
    assert parse_run_id(body) == expected


@pytest.mark.parametrize(
    "body",
    [{"jobName": "j"}, {"runId": 1}, {"jobName": "j", "runId": True},
     {"jobName": "j", "runId": "3a"}, {"jobName": "j", "runId": 2.5}, {"jobName": 5, "runId": 1},
     {"jobName": "j", "runId": [1]}],
)  # fmt: skip
def test_bad_run_ids_are_malformed(body) -> None:
    with pytest.raises(InvalidInputError):
        parse_run_id(body)
