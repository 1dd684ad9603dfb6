"""Retention (spec §8.10): exported objects older than `retention` days are deleted by the
sweep, with the time injected; objects without retention, or not yet due, stay."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from tests.exporters.support import ZONE, context, make_result
from tidemill.config import Settings
from tidemill.core.batches import Batch, BatchStatus
from tidemill.exporters import run_exports
from tidemill.exporters.base import ExportPlan
from tidemill.runner.exports import record_outcomes, sweep_expired
from tidemill.runtime import build_runtime
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=ZONE)


def test_sweep_deletes_exported_objects_once_their_retention_has_run_out(tmp_path: Path) -> None:
    # the bootstrap key makes account 1, "default", whose objects the sweep deletes
    settings = Settings(data_dir=tmp_path / "data", access_key="ak", secret_key="sk")
    rt = build_runtime(settings)
    storage = open_kodo(settings)
    store = storage.for_account(AccountScope("default"))
    ctx = context(make_result(tmp_path / "w"), store, tmp_path / "scratch", now=T0)
    plans = [
        ExportPlan("keep", "kodo", {"bucket": "outb", "keyPrefix": "keep/", "fileCount": 1}),
        ExportPlan(
            "week", "kodo", {"bucket": "outb", "keyPrefix": "week/", "fileCount": 2, "retention": 7}
        ),
        ExportPlan(
            "day", "kodo", {"bucket": "outb", "keyPrefix": "day/", "fileCount": 1, "retention": 1}
        ),
    ]
    outcomes = run_exports(ctx, plans)
    batch = Batch("j", 1, T0, BatchStatus.SUCCESSFUL, {})
    with rt.db.begin() as conn:
        record_outcomes(conn, 1, batch, 0, outcomes, T0)

    def keys() -> list[str]:
        return sorted(o.key.split("/")[0] for o in store.list("outb"))

    before = keys()
    early = sweep_expired(rt.db, storage, T0 + timedelta(hours=23))
    one_day = sweep_expired(rt.db, storage, T0 + timedelta(days=1, seconds=1))
    after_day = keys()
    again = sweep_expired(rt.db, storage, T0 + timedelta(days=2))
    week = sweep_expired(rt.db, storage, T0 + timedelta(days=8))
    rt.close()

    assert before == ["day", "keep", "week", "week"]
    assert (early, one_day, again, week) == (0, 1, 0, 2)
    assert after_day == ["keep", "week", "week"]
    assert keys() == ["keep"]
