"""The delivery pass leaves a target that failed alone for the rest of the pass (a receiver
that never answers costs one TIMEOUT, not one per alert). It was keyed by url alone, across
accounts: an account whose alerts a receiver refuses (mallory's, sent with a secret the
receiver does not know, or to its url copied from bob's job) made the pass skip every other
account's alert to that url. mallory's older alerts come first in each pass, one is tried and
refused in a few milliseconds, and bob's alert, which the receiver takes, waited for as long as
mallory kept alerts due. A failed target is now left alone for its own account only."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta

from tests.breaker.hostile import alerting_job, receiver
from tests.support import Client
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services.accounts import create_key
from tidemill.services.notify import deliver_due
from tidemill.store import notify as store
from tidemill.store.accounts import account_id


def refuse_mallory(peer: socket.socket, stop: threading.Event) -> None:
    """Answer 401 to a request whose body names mallory, 200 to any other."""
    with peer:
        peer.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            data += peer.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(body) < length:
            body += peer.recv(65536)
        status = b"401 Unauthorized" if b"mallory" in body else b"200 OK"
        peer.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_one_account_s_refused_alerts_do_not_hold_another_s_to_the_same_url(
    client: Client, runtime: Runtime, settings: Settings
) -> None:
    with receiver(refuse_mallory) as address:
        url = f"http://{address}/hook"
        alerting_job(client, settings, url)  # mallory: the bootstrap account
        pair = create_key(runtime, "bob")
        (settings.data_dir / "kodo" / "bob" / "bkt1").mkdir(parents=True)
        alerting_job(client.as_account(pair.access_key, pair.secret_key), settings, url)
        # due a day from now: the app's own Notifier thread (real clock) leaves them to this pass
        now = datetime.now().astimezone() + timedelta(days=1)
        with runtime.db.begin() as conn:
            mallory, bob = account_id(conn, settings.account), account_id(conn, "bob")
            for run_id in range(1, 4):
                store.add(conn, f"m{run_id}", mallory, "j", url, "failed", run_id,
                          {"who": "mallory"}, now - timedelta(minutes=run_id))  # fmt: skip
            store.add(conn, "b1", bob, "j", url, "failed", 1, {"who": "bob"}, now)

        delivered = deliver_due(runtime, now)

    with runtime.db.connect() as conn:
        (bobs,) = store.for_job(conn, bob, "j")
        mallorys = store.for_job(conn, mallory, "j")
    assert delivered == 1 and bobs.status == store.DELIVERED, (delivered, bobs)
    assert sorted(d.attempts for d in mallorys) == [0, 0, 1]  # one tried, the others wait
