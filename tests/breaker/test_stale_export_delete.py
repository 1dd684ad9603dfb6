"""A kodo export publishes its part files one at a time, each under the lease. An attempt that
lost its lease after publishing some (paused past its lease: a long GC, a frozen VM, a network
partition from the database) failed at the next one, and then deleted the keys it had
published, without the lease: by then the batch's live attempt had written the same keys (the
part keys are fixed by the export's spec), so the stale attempt deleted the live attempt's
exported files, after or while it was recorded Successful. The clean-up is now fenced too: it
runs under the lease, and a lost lease leaves the keys to whoever holds the batch now (its
undo of this attempt, or the new attempt's own files)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.exporters.support import context, make_result
from tests.runner.test_upload_outside_lease import S, fence, with_batch
from tidemill.config import Settings
from tidemill.exporters import run_exports
from tidemill.exporters.base import ExportPlan
from tidemill.runner.fence import LeaseFence
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage import open_kodo
from tidemill.storage.base import AccountScope, Buckets
from tidemill.storage.registry import open_storages
from tidemill.store import batches as store

LIVE = b"the live attempt's part file"


class TakenOverAfterFirstPublish:
    """The attempt's real fence; the batch is taken over (a later attempt runs and exports the
    same keys) while this attempt is between its first and second publish."""

    def __init__(self, rt: Runtime, objects: Buckets, real: LeaseFence) -> None:
        self.rt, self.objects, self.real = rt, objects, real
        self.published = 0

    def note(self, export: str, type_: str, written: Any) -> None:
        self.real.note(export, type_, written)

    def check(self) -> None:
        self.real.check()

    def publishing(self) -> AbstractContextManager[None]:
        return self._publishing()

    @contextmanager
    def _publishing(self) -> Iterator[None]:
        self.published += 1
        if self.published == 2:  # the takeover, and the live attempt's files
            with self.rt.db.begin() as conn:
                assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)
            for key in [o.key for o in self.objects.list("outb", "p/")]:
                self.objects.write("outb", key, LIVE)
        with self.real.publishing():
            yield


def test_a_stale_attempt_does_not_delete_the_keys_the_live_attempt_wrote(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", access_key="ak", secret_key="sk")
    rt = with_batch(build_runtime(settings))
    objects = open_kodo(settings).for_account(AccountScope("default"))
    objects.create_bucket("outb")
    ctx = context(make_result(tmp_path / "w"), objects, tmp_path / "scratch")
    ctx = replace(ctx, batch_uid="u1", fence=TakenOverAfterFirstPublish(rt, objects, fence(rt)))
    plan = ExportPlan("files", "kodo", {"bucket": "outb", "keyPrefix": "p/", "fileCount": 2})

    (outcome,) = run_exports(ctx, [plan])
    assert outcome.status == "Failed" and "lease" in outcome.message, outcome
    kept = [o.key for o in objects.list("outb", "p/")]
    assert len(kept) == 1, kept  # the first part: the stale attempt published only that one
    assert objects.read("outb", kept[0]) == LIVE
    rt.close()


class _TakenOverOnHdfs(TakenOverAfterFirstPublish):
    def __init__(self, rt: Runtime, files: Any, base: str, real: LeaseFence) -> None:
        self.rt, self.files, self.base, self.real = rt, files, base, real
        self.published = 0

    @contextmanager
    def _publishing(self) -> Iterator[None]:
        self.published += 1
        if self.published == 2:
            with self.rt.db.begin() as conn:
                assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)
            for info in list(self.files.list(self.base)):
                self.files.put(info.uri, LIVE)
        with self.real.publishing():
            yield


@pytest.mark.hdfs
def test_a_stale_hdfs_export_renamed_file_by_file_is_not_deleted_without_the_lease(
    hdfs_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", access_key="ak", secret_key="sk")
    rt = with_batch(build_runtime(settings))
    files = open_storages(settings)
    # The account's HDFS root itself: no work directory beside it, so renamed file by file.
    base = f"{hdfs_url}/t-{uuid.uuid4().hex[:12]}/"
    store_ = open_kodo(settings).for_account(AccountScope("default"))
    ctx = context(make_result(tmp_path / "w"), store_, tmp_path / "scratch", files=files)
    taken = _TakenOverOnHdfs(rt, files, base, fence(rt))
    ctx = replace(ctx, batch_uid="u1", fence=taken, hdfs_roots=(base,))
    plan = ExportPlan("e", "hdfs", {"path": base, "fileCount": 2})

    (outcome,) = run_exports(ctx, [plan])
    assert outcome.status == "Failed" and "lease" in outcome.message, outcome
    kept = [i.uri for i in files.list(base)]
    assert len(kept) == 1, kept
    assert files.read(kept[0]) == LIVE
    rt.close()
