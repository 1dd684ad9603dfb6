"""An export's retention (spec §8.10) deletes the objects an attempt wrote once they are older
than the retention. A later attempt of the same batch (a rerun, or an automatic retry after an
attempt whose undo failed: its objects were left to the retention sweep at once) writes the
same keys (part keys are fixed by the spec), but the sweep deleted them by the earlier
attempt's journal: a rerun's fresh export vanished at the first attempt's expiry, and a
retry's Successful export vanished at the next sweep. Keys a later attempt of the batch wrote
are its own now: the earlier attempt's expiry leaves them (the later one's deletes them)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from tests.exporters.support import ZONE, context, make_result
from tidemill.config import Settings
from tidemill.core.batches import Batch, BatchStatus
from tidemill.exporters import run_exports
from tidemill.exporters.base import ExportPlan
from tidemill.runner.exports import record_outcomes, sweep_expired, undo_attempt
from tidemill.runtime import build_runtime
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope
from tidemill.store import export_outcomes

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=ZONE)
# A manual job's one-file export: its key is keyPrefix, the same for every attempt (D-21).
SPEC = {"bucket": "outb", "keyPrefix": "day/out.json", "fileCount": 1, "retention": 1}


def test_a_reruns_export_is_kept_past_the_first_attempts_retention(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", access_key="ak", secret_key="sk")
    rt = build_runtime(settings)
    storage = open_kodo(settings)
    store = storage.for_account(AccountScope("default"))
    batch = Batch("j", 1, T0, BatchStatus.SUCCESSFUL, {}, uid="b" * 32)
    result = make_result(tmp_path / "w")
    previous: tuple[dict[str, object], ...] = ()
    for attempt, moment in ((0, T0), (1, T0 + timedelta(hours=20))):  # a rerun 20 h later
        ctx = context(result, store, tmp_path / f"scratch{attempt}", now=moment, attempt=attempt)
        plan = ExportPlan("day", "kodo", SPEC, manual=True, previous=previous)
        outcomes = run_exports(ctx, [plan])
        assert [o.status for o in outcomes] == ["Successful"], outcomes
        with rt.db.begin() as conn:
            record_outcomes(conn, 1, batch, attempt, outcomes, moment)
        previous = (dict(outcomes[0].written),)

    def keys() -> list[str]:
        return [o.key for o in store.list("outb", "day/")]

    written = keys()
    assert len(written) == 1
    sweep_expired(rt.db, storage, T0 + timedelta(days=1, seconds=1))  # the first one's expiry
    assert keys() == written  # the rerun's, 4 hours old
    sweep_expired(rt.db, storage, T0 + timedelta(hours=44, seconds=1))  # the rerun's expiry
    assert keys() == []
    rt.close()


def test_a_retrys_export_outlives_the_failed_attempts_undo_left_to_the_sweep(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", access_key="ak", secret_key="sk")
    rt = build_runtime(settings)
    storage = open_kodo(settings)
    store = storage.for_account(AccountScope("default"))
    batch = Batch("j", 1, T0, BatchStatus.SUCCESSFUL, {}, uid="c" * 32)
    result = make_result(tmp_path / "w")
    plan = ExportPlan("day", "kodo", {**SPEC, "retention": 7}, manual=True)
    ctx = context(result, store, tmp_path / "scratch0", now=T0, attempt=0)
    first = run_exports(ctx, [plan])
    with rt.db.begin() as conn:  # attempt 0 failed later; its undo could not delete: swept
        record_outcomes(conn, 1, batch, 0, first, T0)
        export_outcomes.retry_later(conn, batch.uid, "day", 0, T0)
    retry = T0 + timedelta(minutes=1)
    ctx = context(result, store, tmp_path / "scratch1", now=retry, attempt=1)
    second = run_exports(ctx, [replace(plan, previous=(dict(first[0].written),))])
    assert [o.status for o in second] == ["Successful"], second
    with rt.db.begin() as conn:
        record_outcomes(conn, 1, batch, 1, second, retry)

    sweep_expired(rt.db, storage, retry + timedelta(seconds=1))  # attempt 0's undo, swept
    assert [o.key for o in store.list("outb", "day/")] == ["day/out.json"]
    rt.close()


def test_a_late_undo_of_an_attempt_leaves_a_later_attempts_objects(tmp_path: Path) -> None:
    """The undo of an attempt that did not succeed runs after its batch's status is recorded;
    a rerun (or a retry) started meanwhile writes the same keys, which the undo deleted."""
    settings = Settings(data_dir=tmp_path / "data", access_key="ak", secret_key="sk")
    rt = build_runtime(settings)
    storage = open_kodo(settings)
    store = storage.for_account(AccountScope("default"))
    batch = Batch("j", 1, T0, BatchStatus.SUCCESSFUL, {}, uid="d" * 32)
    result = make_result(tmp_path / "w")
    plan = ExportPlan("day", "kodo", SPEC, manual=True)
    first = run_exports(context(result, store, tmp_path / "s0", now=T0, attempt=0), [plan])
    with rt.db.begin() as conn:
        record_outcomes(conn, 1, batch, 0, first, T0)
    later = T0 + timedelta(seconds=1)
    rerun = replace(plan, previous=(dict(first[0].written),))
    second = run_exports(context(result, store, tmp_path / "s1", now=later, attempt=1), [rerun])
    with rt.db.begin() as conn:
        record_outcomes(conn, 1, batch, 1, second, later)

    undo_attempt(rt.db, settings, storage, batch.uid, 0, later, rt.storages)
    assert [o.key for o in store.list("outb", "day/")] == ["day/out.json"]
    rt.close()
