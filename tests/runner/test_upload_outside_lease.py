"""Long uploads run outside the batch's lease (docs/decisions.md, "Uploads outside the lease"):
only the step that makes an object visible holds it. Real SQLite metadata, a real SeaweedFS
reached through a slow link (tests/throttle.py), so each upload takes seconds; a real HDFS
(MiniDFSCluster) for the hidden-name-then-rename path."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from tests.exporters.support import ZONE
from tests.throttle import Throttle, throttled
from tidemill.config import S3Settings, Settings
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, Limits
from tidemill.engines.base import UNFENCED
from tidemill.errors import TidemillError
from tidemill.exporters import run_exports, undo
from tidemill.exporters.base import ExportContext, ExportOutcome, ExportPlan, Targets
from tidemill.runner.fence import LeaseFence, LeaseLostError
from tidemill.runner.uploads import drop_result_uploads
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage.hdfs import HdfsFiles
from tidemill.storage.local import LocalFiles
from tidemill.storage.registry import open_storages
from tidemill.storage.s3 import MiB, S3Store
from tidemill.storage.s3_buckets import GrantedS3Buckets
from tidemill.storage.s3_files import S3Files
from tidemill.storage.staging import publish_copy, publish_file, stage_file, stage_object
from tidemill.store import accounts
from tidemill.store import batches as store
from tidemill.store.export_outcomes import BatchKey

S = BatchStatus
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OWNER = "node-a"
RATE = 3 * MiB  # bytes/s through the slow link: a 10 MB object takes ~3 s
ROWS = 150_000  # ~9.6 MB of CSV: above S3's 5 MiB minimum part, so a multipart upload
SMALL_ROWS = 55_000  # ~3.5 MB of CSV, ~3.7 MB of Parquet: below it (an upload of one part)


@pytest.fixture
def rt(tmp_path: Path) -> Runtime:
    return with_batch(build_runtime(Settings(data_dir=tmp_path / "data")))


def with_batch(runtime: Runtime) -> Runtime:
    """`runtime` with batch j/1 (uid u1) Running, leased to OWNER."""
    with runtime.db.begin() as conn:
        assert accounts.ensure_account(conn, "default", NOW) == 1
        store.insert_batch(conn, 1, Batch("j", 1, NOW, S.READY, {}, uid="u1"), NOW)
        assert store.move(conn, 1, "j", 1, [S.READY], status=S.RUNNING, owner=OWNER)
    return runtime


@pytest.fixture
def slow(
    s3_settings: S3Settings, request: pytest.FixtureRequest
) -> Iterator[tuple[Throttle, S3Store]]:
    """The S3 endpoint through a slow link: RATE, or MiB/s for a test of SMALL_ROWS (so its
    upload too lasts seconds)."""
    callspec = getattr(request.node, "callspec", None)
    small = callspec is not None and callspec.params.get("rows") == SMALL_ROWS
    with throttled(s3_settings.endpoint, MiB if small else RATE) as proxy:
        secret = s3_settings.secret_key.get_secret_value()
        yield proxy, S3Store(proxy.endpoint, s3_settings.access_key, secret, read_timeout=60)


def fence(rt: Runtime) -> LeaseFence:
    return LeaseFence(rt.db, BatchKey("u1", 1, "j", 1), OWNER, 0)


def big_file(
    directory: Path, name: str = "result.parquet", fmt: str = "parquet", rows: int = ROWS
) -> Path:
    """`rows` rows of 64 hexadecimal digits (incompressible enough to stay ~64 bytes a row)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT md5(range::VARCHAR) || md5((range + 7)::VARCHAR) AS s FROM range(?))"
        f" TO '{path}' (FORMAT {fmt})",
        [rows],
    )
    con.close()
    return path


def wait_for_transfer(proxy: Throttle, worker: threading.Thread) -> None:
    """Until a megabyte has crossed the slow link (the long transfer is under way)."""
    deadline = time.monotonic() + 30
    while proxy.sent < MiB:
        assert worker.is_alive() and time.monotonic() < deadline, "the upload never started"
        time.sleep(0.02)


def kodo_export(
    rt: Runtime, s3: S3Store, tmp_path: Path, rows: int = ROWS
) -> tuple[ExportContext, ExportPlan, GrantedS3Buckets]:
    """An export of `rows` rows as one CSV object to a new granted bucket, fenced by `rt`."""
    bucket = f"out-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(bucket)
    objects = GrantedS3Buckets(s3, AccountScope("default", frozenset({bucket})))
    (tmp_path / "scratch").mkdir()
    ctx = ExportContext(
        account=1, tenant="default", job="j", run_id=1, attempt=0,
        result=big_file(tmp_path / "w", rows=rows), rows=rows, zone=ZONE, store=objects,
        files=LocalFiles(), targets=Targets(), scratch=tmp_path / "scratch", now=lambda: NOW,
        batch_uid="u1", fence=fence(rt),
    )  # fmt: skip
    plan = ExportPlan("files", "kodo", {
        "bucket": bucket, "keyPrefix": "o/", "fileCount": 1, "format": "csv",
    })  # fmt: skip
    return ctx, plan, objects


@pytest.mark.s3
@pytest.mark.parametrize("rows", [ROWS, SMALL_ROWS], ids=["multipart", "small"])
def test_a_kodo_export_on_s3_leaves_the_database_writable_while_it_uploads(
    rt: Runtime, slow: tuple[Throttle, S3Store], tmp_path: Path, rows: int
) -> None:
    proxy, s3 = slow
    ctx, plan, objects = kodo_export(rt, s3, tmp_path, rows)
    bucket = str(plan.spec["bucket"])
    outcomes: list[ExportOutcome] = []
    worker = threading.Thread(target=lambda: outcomes.extend(run_exports(ctx, [plan])))
    worker.start()
    try:
        wait_for_transfer(proxy, worker)
        # Another writer of the metadata (the API, another batch's end) within 2 s: before the
        # fix the export's lease transaction held SQLite's write lock for the whole upload.
        database = sqlite3.connect(str(rt.db.url.database), timeout=2, isolation_level=None)
        started = time.monotonic()
        database.execute("BEGIN IMMEDIATE")
        database.execute("COMMIT")
        database.close()
        waited = time.monotonic() - started
        assert worker.is_alive(), "the upload ended before the other write: nothing shown"
    finally:
        worker.join()
    assert waited < 1, f"another write waited {waited:.1f} s for the upload"
    assert [o.status for o in outcomes] == ["Successful"], outcomes
    (key,) = [o.key for o in objects.list(bucket)]
    assert objects.read(bucket, key).count(b"\n") == rows
    assert s3.pending_uploads(bucket, key) == ()


@pytest.mark.s3
@pytest.mark.parametrize("rows", [ROWS, SMALL_ROWS], ids=["multipart", "small"])
def test_a_takeover_during_a_result_upload_is_not_held_up_and_wins(
    rt: Runtime, slow: tuple[Throttle, S3Store], tmp_path: Path, rows: int
) -> None:
    proxy, s3 = slow
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(bucket)
    uri = f"s3://{bucket}/1/j/1/result.parquet"
    failures: list[BaseException] = []

    def publish() -> None:
        try:
            publish_file(S3Files(s3), uri, big_file(tmp_path / "w", rows=rows), fence(rt))
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=publish)
    worker.start()
    try:
        wait_for_transfer(proxy, worker)
        started = time.monotonic()
        with rt.db.begin() as conn:  # a stop of the batch, mid-upload
            assert store.move(conn, 1, "j", 1, [S.RUNNING], status=S.CANCELLING)
        waited = time.monotonic() - started
        assert worker.is_alive(), "the upload ended before the takeover: nothing shown"
    finally:
        worker.join()
    assert waited < 1, f"the takeover waited {waited:.1f} s for the upload"
    assert len(failures) == 1 and isinstance(failures[0], LeaseLostError)
    assert s3.stat(bucket, "1/j/1/result.parquet") is None  # the stale attempt published nothing
    assert s3.pending_uploads(bucket, "1/j/1/result.parquet") == ()  # nor left its parts


@pytest.mark.s3
def test_a_crashed_attempts_parts_are_aborted_by_the_undo_and_by_the_next_result(
    s3_settings: S3Settings, tmp_path: Path
) -> None:
    s3 = S3Store(
        s3_settings.endpoint, s3_settings.access_key, s3_settings.secret_key.get_secret_value()
    )
    bucket = f"out-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(bucket)
    objects = GrantedS3Buckets(s3, AccountScope("default", frozenset({bucket})))
    # A kodo export killed after sending, before its commit: its journal names the upload.
    crashed = stage_object(objects, bucket, "o/part-0.csv", big_file(tmp_path / "a", fmt="csv"))
    crashed.send()
    assert s3.pending_uploads(bucket, "o/part-0.csv") != ()
    written = {
        "bucket": bucket,
        "keys": ["o/part-0.csv"],
        "uploads": {"o/part-0.csv": crashed.journal},
    }
    assert undo(Targets(), objects, LocalFiles(), "kodo", written)
    assert s3.pending_uploads(bucket, "o/part-0.csv") == ()
    # A result upload killed the same way: the next attempt's publish aborts what it left.
    uri = f"s3://{bucket}/1/j/1/result.parquet"
    stage_file(S3Files(s3), uri, big_file(tmp_path / "b"), sole_writer=True).send()
    assert len(s3.pending_uploads(bucket, "1/j/1/result.parquet")) == 1
    publish_file(S3Files(s3), uri, big_file(tmp_path / "c"), UNFENCED)
    assert s3.pending_uploads(bucket, "1/j/1/result.parquet") == ()
    assert s3.stat(bucket, "1/j/1/result.parquet") is not None


@pytest.mark.s3
def test_a_small_object_is_published_only_under_the_lease(
    s3_settings: S3Settings, tmp_path: Path, rt: Runtime
) -> None:
    s3 = S3Store(
        s3_settings.endpoint, s3_settings.access_key, s3_settings.secret_key.get_secret_value()
    )
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(bucket)
    small = tmp_path / "small.parquet"
    small.write_bytes(b"PAR1 small")
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)  # a later attempt
    with pytest.raises(TidemillError, match="lost its lease"):
        publish_file(S3Files(s3), f"s3://{bucket}/r.parquet", small, fence(rt))
    assert s3.stat(bucket, "r.parquet") is None
    assert s3.pending_uploads(bucket, "r.parquet") == ()  # its one part dropped too


@pytest.mark.hdfs
def test_a_result_on_hdfs_is_renamed_into_place_and_a_stale_attempt_leaves_nothing(
    hdfs_url: str, rt: Runtime, tmp_path: Path
) -> None:
    files = open_storages(Settings(data_dir=tmp_path / "data"))
    root = f"{hdfs_url}/wh-{uuid.uuid4().hex[:12]}/1/j/1/"
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    first.write_bytes(b"PAR1 first")
    second.write_bytes(b"PAR1 second")

    publish_file(files, root + "result.parquet", first, fence(rt))
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)  # a later attempt
    with pytest.raises(LeaseLostError):
        publish_file(files, root + "result.parquet", second, fence(rt))

    assert files.read(root + "result.parquet") == b"PAR1 first"
    assert not first.exists() and not second.exists()  # both given up
    assert [i.uri for i in files.list(root)] == [root + "result.parquet"]
    hdfs = files.backend(root)
    assert isinstance(hdfs, HdfsFiles)
    leftover = [n for n in hdfs_names(hdfs, root) if ".tidemill-tmp." in n]
    assert leftover == []  # neither attempt left its hidden directory


def hdfs_names(hdfs: HdfsFiles, directory: str) -> list[str]:
    """Every name in `directory`, hidden ones too (a listing never shows those)."""
    from tidemill.storage.hdfs_calls import CALLS

    namenode, path = directory.split("/", 3)[2], directory.split("/", 3)[3]

    async def names() -> list[str]:
        client = hdfs._client(directory, f"hdfs://{namenode}")
        return [s.path async for s in client.list_status("/" + path.rstrip("/"), False)]

    return CALLS.run(names(), 10)


@pytest.mark.s3
@pytest.mark.postgres
def test_the_nodes_lease_renewal_is_not_held_up_by_an_upload_on_postgresql(
    postgres_url: str, slow: tuple[Throttle, S3Store], tmp_path: Path
) -> None:
    """On PostgreSQL the lease is the batch row's lock: the runner renews its batches' leases
    (`store.renew_lease`, every 10 s) and must not wait behind an upload of one of them."""
    proxy, s3 = slow
    rt = with_batch(build_runtime(Settings(data_dir=tmp_path / "data", database_url=postgres_url)))
    ctx, plan, _ = kodo_export(rt, s3, tmp_path)
    outcomes: list[ExportOutcome] = []
    worker = threading.Thread(target=lambda: outcomes.extend(run_exports(ctx, [plan])))
    worker.start()
    try:
        wait_for_transfer(proxy, worker)
        with rt.db.begin() as conn:
            conn.execute(sa.text("SET LOCAL lock_timeout = '2s'"))  # fails, not waits, beyond
            store.renew_lease(conn, 1, "j", 1, OWNER, NOW + timedelta(seconds=30))
        assert worker.is_alive(), "the upload ended before the renewal: nothing shown"
    finally:
        worker.join()
        rt.db.dispose()
    assert [o.status for o in outcomes] == ["Successful"], outcomes


@pytest.mark.s3
def test_a_killed_workers_result_upload_is_dropped_by_its_runner_only_while_it_is_the_batchs(
    rt: Runtime, s3_settings: S3Settings, tmp_path: Path
) -> None:
    s3 = S3Store(
        s3_settings.endpoint, s3_settings.access_key, s3_settings.secret_key.get_secret_value()
    )
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(bucket)
    uri = f"s3://{bucket}/1/j/1/result.parquet"
    plan = BatchPlan(1, AccountScope("default"), "j", 1, "select 42 as n", (), uri,
                     Limits(1, "1GB"), "Asia/Shanghai", owner=OWNER, batch_uid="u1")  # fmt: skip
    # The worker was killed by a stop in the middle of its result's transfer.
    stage_file(S3Files(s3), uri, big_file(tmp_path / "a"), sole_writer=True).send()
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], status=S.CANCELLING)

    other = replace(plan, owner="node-b")  # a runner whose attempt this is not
    assert drop_result_uploads(rt.db, S3Files(s3), other) == 0
    assert len(s3.pending_uploads(bucket, "1/j/1/result.parquet")) == 1
    assert drop_result_uploads(rt.db, S3Files(s3), plan) == 1
    assert s3.pending_uploads(bucket, "1/j/1/result.parquet") == ()


@pytest.mark.s3
def test_an_overwrite_deletes_its_stale_objects_without_holding_the_lease_for_each(
    rt: Runtime, s3_settings: S3Settings, tmp_path: Path
) -> None:
    secret = s3_settings.secret_key.get_secret_value()
    fast = S3Store(s3_settings.endpoint, s3_settings.access_key, secret)
    waits: list[float] = []
    done = threading.Event()

    def probe() -> None:
        """Another writer of the metadata (the API, another batch's end), every 50 ms."""
        database = sqlite3.connect(str(rt.db.url.database), timeout=4, isolation_level=None)
        try:
            while not done.is_set():
                started = time.monotonic()
                database.execute("BEGIN IMMEDIATE")
                database.execute("COMMIT")
                waits.append(time.monotonic() - started)
                time.sleep(0.05)
        except sqlite3.OperationalError:  # database is locked: waited past its timeout
            waits.append(float("inf"))
        finally:
            database.close()

    # Each request crawls (4,000 bytes/s: a DELETE's signed headers take about 0.15 s).
    with throttled(s3_settings.endpoint, 4000) as proxy:
        slow = S3Store(proxy.endpoint, s3_settings.access_key, secret, read_timeout=60)
        ctx, plan, _ = kodo_export(rt, slow, tmp_path, rows=10)
        bucket = str(plan.spec["bucket"])
        where = "o/2026-11-30-20-00-00/"  # keyPrefix o/ and a directory of NOW's time
        stale = [f"{where}part-{n:05d}.csv" for n in range(1, 41)]  # the target's earlier files
        for key in stale:
            fast.write(bucket, key, b"old")
        plan = replace(plan, spec={**plan.spec, "saveMode": "overwrite"})
        prober = threading.Thread(target=probe)
        prober.start()
        try:
            outcomes = run_exports(ctx, [plan])
        finally:
            done.set()
            prober.join()
            slow._client.close()  # its pooled sockets to the link, before the link closes
    # One delete request per stale object, all under one hold, kept the other writer out for
    # about 6 s (a database-is-locked error past 4 s); now the hold spans one request.
    assert max(waits) < 2.5, f"another write waited {max(waits):.1f} s"
    assert [o.status for o in outcomes] == ["Successful"], outcomes
    assert [o.key for o in fast.list(bucket)] == [f"{where}part-00000.csv"]


@pytest.mark.s3
def test_a_staged_result_is_copied_outside_the_lease_and_only_completed_under_it(
    rt: Runtime, s3_settings: S3Settings, tmp_path: Path
) -> None:
    import boto3

    secret = s3_settings.secret_key.get_secret_value()
    s3 = S3Store(s3_settings.endpoint, s3_settings.access_key, secret)
    client = boto3.client(
        "s3", endpoint_url=s3_settings.endpoint, aws_access_key_id=s3_settings.access_key,
        aws_secret_access_key=secret, region_name=s3_settings.region,
    )  # fmt: skip
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(bucket)
    key = "1/j/1/result.parquet"
    staged = f"s3://{bucket}/1/j/1/.run-x/part-00000.parquet"  # where Spark wrote it
    data = big_file(tmp_path / "w").read_bytes()  # ~10 MB: two parts
    s3.write(bucket, "1/j/1/.run-x/part-00000.parquet", data)
    seen: list[list[int]] = []

    class Watched:
        """The batch's real lease, noting at each hold the parts the upload of `key` has."""

        @contextmanager
        def publishing(self) -> Iterator[None]:
            with fence(rt).publishing():
                seen.append([
                    sum(p["Size"] for p in client.list_parts(
                        Bucket=bucket, Key=key, UploadId=upload).get("Parts", []))
                    for upload in s3.pending_uploads(bucket, key)
                ])  # fmt: skip
                yield

    try:
        publish_copy(S3Files(s3), staged, f"s3://{bucket}/{key}", Watched())
    finally:
        client.close()

    assert seen == [[len(data)]]  # every byte was in its parts before the hold began
    assert s3.read(bucket, key) == data
    assert s3.pending_uploads(bucket, key) == ()
    with rt.db.begin() as conn:
        assert store.move(conn, 1, "j", 1, [S.RUNNING], rerun_count=1)  # a later attempt
    with pytest.raises(LeaseLostError):
        publish_copy(S3Files(s3), staged, f"s3://{bucket}/1/j/1/other.parquet", fence(rt))
    assert s3.stat(bucket, "1/j/1/other.parquet") is None
    assert s3.pending_uploads(bucket, "1/j/1/other.parquet") == ()  # its copied parts dropped
