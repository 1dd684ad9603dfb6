"""A runner dropping its dead worker's unfinished result upload holds no database lock while it
talks to S3.

`runner.uploads.drop_result_uploads` listed and aborted the result key's multipart uploads
inside the transaction that locked the batch row: on SQLite that is the whole database's write
lock, on PostgreSQL the row the node's lease renewal updates (one transaction for all its
batches). An S3 endpoint that does not answer kept it for read_timeout x attempts (45 s with
the defaults): every other write of the node waited (SQLite's busy timeout is 10 s: then
"database is locked"), and the node's leases, 30 s long, went unrenewed. Real SQLite; the S3
endpoint is a loopback server that accepts connections and never answers.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from tests.runner.test_upload_outside_lease import NOW, OWNER, with_batch
from tidemill.config import Settings
from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, Limits
from tidemill.runner.uploads import drop_result_uploads
from tidemill.runtime import build_runtime
from tidemill.storage.s3 import S3Store
from tidemill.storage.s3_files import S3Files
from tidemill.store import batches as store

READ_TIMEOUT = 1.5  # seconds an S3 call waits for an answer (three attempts)


@contextmanager
def silent_endpoint() -> Iterator[str]:
    """http://host:port of a server that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        server.close()
        for peer in held:
            peer.close()


def test_the_nodes_writes_go_on_while_the_runner_waits_for_s3(tmp_path: Path) -> None:
    rt = with_batch(build_runtime(Settings(data_dir=tmp_path / "data")))
    with silent_endpoint() as endpoint:
        s3 = S3Store(endpoint, "ak", "sk", read_timeout=READ_TIMEOUT)
        uri = "s3://wh/1/j/1/result.parquet"
        plan = BatchPlan(
            1, AccountScope("default"), "j", 1, "select 42 as n", (), uri,
            Limits(1, "1GB"), "Asia/Shanghai", owner=OWNER, batch_uid="u1",
        )  # fmt: skip
        dropping = threading.Thread(target=drop_result_uploads, args=(rt.db, S3Files(s3), plan))
        dropping.start()
        try:
            time.sleep(0.5)  # the runner is waiting for S3 now
            assert dropping.is_alive()
            started = time.monotonic()
            with rt.db.begin() as conn:  # the node's lease renewal
                store.renew_lease(conn, 1, "j", 1, OWNER, NOW + timedelta(seconds=30))
            waited = time.monotonic() - started
        finally:
            dropping.join()
    rt.close()
    assert waited < 1, f"the lease renewal waited {waited:.1f} s for the S3 calls"
