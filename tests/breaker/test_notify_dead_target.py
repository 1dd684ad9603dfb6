"""A receiver that accepts connections and never answers cost the delivery pass a whole
TIMEOUT (10 s) for every alert due to it — fifty a pass, eight minutes in which no other
alert of any account went out. A target that failed is now left alone for the rest of the
pass: its other alerts stay due for the next pass, their attempts not counted."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.breaker.hostile import alerting_job, receiver
from tests.support import Client
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services import notify
from tidemill.services.notify import deliver_due
from tidemill.store import notify as store
from tidemill.store.accounts import account_id


@pytest.fixture
def silent() -> Iterator[tuple[str, list[int]]]:
    """host:port of a server that reads each request and never answers; connections seen."""
    seen: list[int] = []
    held: list[socket.socket] = []

    def handle(peer: socket.socket, stop: threading.Event) -> None:
        seen.append(1)
        held.append(peer)

    with receiver(handle) as address:
        yield address, seen
    for peer in held:
        peer.close()


def test_a_silent_receiver_costs_a_pass_one_timeout(
    client: Client, runtime: Runtime, settings: Settings, silent: tuple[str, list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(notify, "TIMEOUT", 1.0)
    address, seen = silent
    url = f"http://{address}/hook"
    alerting_job(client, settings, url)
    # due a day from now: the app's own Notifier thread (real clock) leaves them to this pass
    now = datetime.now().astimezone() + timedelta(days=1)
    with runtime.db.begin() as conn:
        account = account_id(conn, settings.account)
        for run_id in range(1, 6):
            store.add(conn, f"k{run_id}", account, "j", url, "failed", run_id, {}, now)

    started = time.monotonic()
    assert deliver_due(runtime, now) == 0
    took = time.monotonic() - started

    assert len(seen) == 1 and took < 4, (len(seen), took)
    with runtime.db.connect() as conn:
        found = {d.run_id: d for d in store.for_job(conn, account, "j")}
    assert found[1].attempts == 1 and "Timeout" in found[1].last_error, found[1]
    assert [found[r].attempts for r in range(2, 6)] == [0, 0, 0, 0]
    with runtime.db.connect() as conn:  # still due: the next pass tries them
        assert {d.run_id for d in store.due(conn, now)} == {2, 3, 4, 5}
