"""The batch state machine, enforced by the store (issue 11, item 5): on both backends, every
status move outside core.batches.MOVES is refused before anything is written, and every move
in it is stored."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa

from tidemill.core.batches import BORN, MOVES, Batch, BatchStatus
from tidemill.errors import StateError
from tidemill.store import accounts
from tidemill.store import batches as store
from tidemill.store.db import open_database

S = BatchStatus
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
PAIRS = [(a, b) for a in S for b in S]
LEGAL = [(a, b) for a, b in PAIRS if b in MOVES[a]]
ILLEGAL = [(a, b) for a, b in PAIRS if b not in MOVES[a]]


def path_to(status: BatchStatus) -> list[BatchStatus]:
    """The shortest chain of allowed moves from a new batch to `status` (read off MOVES)."""
    paths: dict[BatchStatus, list[BatchStatus]] = {BORN: []}
    waiting = deque([BORN])
    while waiting:
        here = waiting.popleft()
        for there in sorted(MOVES[here]):
            if there not in paths:
                paths[there] = [*paths[here], there]
                waiting.append(there)
    return paths[status]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = open_database(url)
    yield db
    db.dispose()


def batch_in(conn: sa.Connection, account: int, run_id: int, status: BatchStatus) -> None:
    """A new batch `run_id` of job j, brought to `status` by allowed moves only."""
    store.insert_batch(conn, account, Batch("j", run_id, NOW, BORN), NOW)
    current = BORN
    for step in path_to(status):
        assert store.move(conn, account, "j", run_id, [current], status=step)
        current = step


def status_of(conn: sa.Connection, account: int, run_id: int) -> BatchStatus:
    batch = store.get_batch(conn, account, "j", run_id)
    assert batch is not None
    return batch.status


def test_every_status_is_reachable_from_a_new_batch() -> None:
    assert {s for s in S if s is BORN or path_to(s)} == set(S)


def test_every_move_outside_the_table_is_refused_and_nothing_is_written(
    engine: sa.Engine,
) -> None:
    run_ids = count(1)
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
    refused = []
    for current, target in ILLEGAL:
        run_id = next(run_ids)
        with engine.begin() as conn:
            batch_in(conn, account, run_id, current)
        with pytest.raises(StateError) as caught, engine.begin() as conn:
            store.move(conn, account, "j", run_id, [current], status=target, message="changed")
        assert f"from {current.value} to {target.value}" in caught.value.message
        assert f"batch {run_id} of job 'j'" in caught.value.message
        with engine.connect() as conn:
            after = store.get_batch(conn, account, "j", run_id)
        assert after is not None and (after.status, after.message) == (current, "")
        refused.append((current, target))
    assert len(refused) == len(S) ** 2 - sum(len(t) for t in MOVES.values())


def test_every_move_in_the_table_is_stored(engine: sa.Engine) -> None:
    run_ids = count(1)
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
        for current, target in LEGAL:
            run_id = next(run_ids)
            batch_in(conn, account, run_id, current)
            assert store.move(conn, account, "j", run_id, [current], status=target)
            assert status_of(conn, account, run_id) is target


def test_a_move_allowed_from_only_some_expected_statuses_is_refused(engine: sa.Engine) -> None:
    # Running -> Canceled is not a move (a stop goes through Cancelling), even when the batch
    # happens to be Cancelling: the check does not depend on which row is there.
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
        batch_in(conn, account, 1, S.CANCELLING)
    with pytest.raises(StateError, match="from Running to Canceled"), engine.begin() as conn:
        store.move(conn, account, "j", 1, [S.CANCELLING, S.RUNNING], status=S.CANCELED)
    with engine.connect() as conn:
        assert status_of(conn, account, 1) is S.CANCELLING


def test_a_move_from_a_status_the_batch_is_not_in_changes_nothing(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
        batch_in(conn, account, 1, S.SUCCESSFUL)
        assert not store.move(conn, account, "j", 1, [S.RUNNING], status=S.FAILED)
        assert status_of(conn, account, 1) is S.SUCCESSFUL


def test_a_batch_is_born_ready(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
    for run_id, status in enumerate((s for s in S if s is not BORN), start=1):
        with pytest.raises(StateError, match="a new batch is Ready"), engine.begin() as conn:
            store.insert_batch(conn, account, Batch("j", run_id, NOW, status), NOW)
        with engine.connect() as conn:
            assert store.get_batch(conn, account, "j", run_id) is None


SRC = Path(__file__).resolve().parents[2] / "src" / "tidemill"


def test_only_the_batch_store_updates_batches_and_only_move_changes_a_status() -> None:
    # The one place: a status written anywhere else would bypass the check above.
    updates = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "update(batches)" in path.read_text() or "update(tables.batches)" in path.read_text()
    }
    assert updates == {"store/batches.py"}
    source = (SRC / "store" / "batches.py").read_text()
    writers = [chunk.split("(", 1)[0] for chunk in source.split("\ndef ")[1:]
               if "sa.update(batches)" in chunk]  # fmt: skip
    assert sorted(writers) == ["hold_execution", "hold_lease", "move", "renew_lease"]
    for name in ("hold_execution", "hold_lease", "renew_lease"):  # leases: never a status
        body = source.split(f"\ndef {name}(", 1)[1].split("\ndef ", 1)[0]
        assert "status=" not in body.split(".values(", 1)[1]
