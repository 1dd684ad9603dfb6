"""Alert delivery (issue 14, item 5; the field, body and signature are core.notify).

* `check_targets`: at job create and update, a target the outbound address policy refuses
  (TIDEMILL_OUTBOUND__DENY/ALLOW: metadata, link-local ...) is JOB_SPEC_INVALID (E18207).
* `batch_ended` (the runner, in the transaction that stores a batch's end): queues a "failed"
  alert for a batch that ended Failed with no retry to come, a "succeeded" one for a batch
  that ended Successful, to each target that wants it.
* `Notifier` (a thread of each node that runs batches): queues "late" alerts and POSTs what is
  due, signed; a failed POST is retried with back-off (core.notify.DELIVERY_*) and the outcome
  recorded; GetJob shows each target's last delivery (`notify_status`).

Delivery is at least once: a node that dies while sending leaves the alert to be sent again;
receivers drop repeats by X-Tidemill-Delivery.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from tidemill.core import notify as rules
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.models import JSON, Job
from tidemill.core.outbound import AddressPolicy
from tidemill.errors import Failure, InvalidInputError, TidemillError
from tidemill.exporters.outbound import deadline, open_client, refusal
from tidemill.runtime import Runtime
from tidemill.store import notify as store
from tidemill.store import repository as repo

log = logging.getLogger("tidemill.notify")
S = BatchStatus
TIMEOUT = 10.0  # seconds per POST, all of it (exporters.outbound.deadline)
HOLD = timedelta(minutes=2)  # a claimed alert is not tried by another node for this long
LATE_HORIZON = timedelta(days=1)  # a batch late for longer than this when seen is not told
POLL = 1.0  # seconds between passes
LATE_EVERY = 5.0  # seconds between looks for late batches


def check_targets(policy: AddressPolicy, definition: Mapping[str, Any]) -> None:
    """JOB_SPEC_INVALID when a notify target's host (as written, or any address its name
    resolves to now) is refused by the outbound policy; a name that does not resolve passes
    (it is checked again at every connection)."""
    for index, target in enumerate(rules.targets_of(definition)):
        parts = urlsplit(str(target["url"]))
        reason = refusal(policy, parts.hostname or "", parts.port)
        if reason is not None:
            raise InvalidInputError(
                Failure.JOB_SPEC_INVALID,
                f"notify[{index}].url {rules.shown_url(str(target['url']))!r} is refused: {reason}",
            )


def _stamp(moment: datetime, zone: Any) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def batch_ended(
    conn: sa.Connection, account: int, batch: Batch, status: BatchStatus, message: str,
    now: datetime, job: Job | None,
) -> int:  # fmt: skip
    """Queue the alerts of a batch that ended `status` for good; how many. `now` is aware (its
    zone is the one the alert's times are written in); `job` is the batch's job as it is now
    (its targets), None if it is gone."""
    event = {S.FAILED: rules.FAILED, S.SUCCESSFUL: rules.SUCCEEDED}.get(status)
    if event is None:
        return 0
    wanted = [t for t in rules.targets_of(job.definition) if event in t["on"]] if job else []
    if not wanted:
        return 0
    attempt = batch.rerun_count + 1
    keys = {t["url"]: rules.dedupe_key(batch.uid, event, attempt, t["url"]) for t in wanted}
    queued = store.known(conn, keys.values())
    body = rules.alert_body(event, batch.job_name, batch.run_id,
                            _stamp(batch.batch_time, now.tzinfo), status.value, message,
                            _stamp(now, now.tzinfo), attempt)  # fmt: skip
    count = 0
    for url, key in keys.items():
        if key not in queued:
            store.add(conn, key, account, batch.job_name, url, event, batch.run_id, body, now)
            count += 1
    return count


def queue_late(rt: Runtime, now: datetime) -> int:
    """Queue a "late" alert for each batch not Successful `lateAfter` after its batchTime
    (once per batch and target), unless it became late more than LATE_HORIZON ago (history
    from before the target was set is not told). How many were queued."""
    earliest = now - rules.MAX_LATE - LATE_HORIZON
    with rt.db.connect() as conn:
        candidates = store.unfinished_since(conn, earliest, now - rules.MIN_LATE)
    jobs: dict[tuple[int, str], Job | None] = {}
    count = 0
    for batch in candidates:
        key = (batch.account, batch.job)
        if key not in jobs:
            with rt.db.connect() as conn:
                jobs[key] = repo.get_job(conn, batch.account, batch.job)
        job = jobs[key]
        if job is None:
            continue
        for target in rules.targets_of(job.definition):
            late = rules.late_after(target)
            if late is None or not now - LATE_HORIZON <= batch.batch_time + late <= now:
                continue
            dedupe = rules.dedupe_key(batch.uid, rules.LATE, 0, target["url"])
            body = rules.alert_body(
                rules.LATE, batch.job, batch.run_id, _stamp(batch.batch_time, rt.zone),
                batch.status, f"not succeeded {target['lateAfter']} after its batchTime",
                _stamp(now, rt.zone), batch.rerun_count + 1,
            )  # fmt: skip
            try:
                with rt.db.begin() as conn:
                    if store.known(conn, [dedupe]):
                        continue
                    store.add(conn, dedupe, batch.account, batch.job, target["url"], rules.LATE,
                              batch.run_id, body, now)  # fmt: skip
                count += 1
            except sa.exc.IntegrityError:  # another node queued it first
                continue
    return count


def deliver_due(rt: Runtime, now: datetime) -> int:
    """POST every alert due at `now`; how many were delivered. A target that fails is not
    tried again for its account in the same pass (its other alerts stay due, unclaimed, for
    the next one): a receiver that never answers costs a pass one TIMEOUT an account, not one
    per alert. Only for its account: a receiver refusing one account's alerts (a secret it does
    not know) must not hold another account's to the same url."""
    with rt.db.connect() as conn:
        due = store.due(conn, now)
    if not due:  # the usual pass: no client (its TLS context costs ~20 ms of CPU to build)
        return 0
    delivered = 0
    failing: set[tuple[int, str]] = set()  # (account, url) that failed in this pass
    policy = rt.settings.outbound.policy
    with open_client(policy, TIMEOUT) as client:
        for delivery in due:
            if (delivery.account, delivery.url) in failing:  # as long again, likely as vainly
                continue
            with rt.db.begin() as conn:
                if not store.claim(conn, delivery, now, HOLD):
                    continue
                job = repo.get_job(conn, delivery.account, delivery.job)
            target = _target(job, delivery.url)
            if target is None:  # the job or the target is gone: nobody wants it any more
                with rt.db.begin() as conn:
                    store.record(conn, delivery.id, status=store.DROPPED, now=now, next_at=None,
                                 attempts=delivery.attempts,
                                 error="the job no longer has this notify target")  # fmt: skip
                continue
            sent = _attempt(rt, client, delivery, str(target["secret"]), now)
            if not sent:
                failing.add((delivery.account, delivery.url))
            delivered += sent
    return delivered


def _target(job: Job | None, url: str) -> Mapping[str, Any] | None:
    if job is None:
        return None
    return next((t for t in rules.targets_of(job.definition) if t["url"] == url), None)


def _attempt(
    rt: Runtime, client: httpx.Client, delivery: store.Delivery, secret: str, now: datetime
) -> int:
    """One POST of `delivery`, its outcome recorded; 1 when it was delivered."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        rules.EVENT: delivery.event,
        rules.DELIVERY: str(delivery.id),
        rules.SIGNATURE: rules.signature(secret, int(time.time()), body),
    }
    attempts = delivery.attempts + 1
    status_code: int | None = None
    try:
        # Streamed: of an answer's body no more than the error's text is read (a receiver may
        # send one that never ends, each byte within the read timeout).
        # Within TIMEOUT in all: a receiver trickling its headers a byte at a time would
        # otherwise hold the pass for as long as h11 waits for them (16 KiB).
        with (
            deadline(TIMEOUT),
            client.stream("POST", delivery.url, content=body, headers=headers) as response,
        ):
            status_code = response.status_code
            error = "" if response.is_success else f"HTTP {status_code} {_head(response)!r}"
    except (httpx.HTTPError, TidemillError) as exc:
        error = exc.message if isinstance(exc, TidemillError) else (
            f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)  # fmt: skip
    error = error.replace(delivery.url, rules.shown_url(delivery.url))  # user info unsaid
    if not error:
        status, next_at = store.DELIVERED, None
    elif attempts >= rules.DELIVERY_ATTEMPTS:
        status, next_at = store.FAILED, None
    else:
        status, next_at = store.PENDING, now + rules.delivery_delay(attempts)
    with rt.db.begin() as conn:
        store.record(conn, delivery.id, status=status, attempts=attempts, now=now,
                     next_at=next_at, error=error, http_status=status_code)  # fmt: skip
    if error:
        log.warning("alert %s to %s: attempt %d failed: %s", delivery.id,
                    rules.shown_url(delivery.url), attempts, error)  # fmt: skip
    return 0 if error else 1


def _head(response: httpx.Response, limit: int = 200, seconds: float = 1.0) -> str:
    """The first `limit` characters of `response`'s body, reading little more than that and
    for `seconds` at most (a receiver may trickle it)."""
    data = b""
    deadline = time.monotonic() + seconds
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= 4 * limit or time.monotonic() > deadline:  # 4: bytes of a character
            break
    return data.decode(response.encoding or "utf-8", errors="replace")[:limit]


def notify_status(rt: Runtime, conn: sa.Connection, account: int, job: Job) -> JSON:
    """The GetJob extension member `notifyStatus`: for each notify target, `pending` (alerts
    waiting to be sent) and `lastDelivery` (the latest attempted alert: event, runId, status
    Delivered|Pending|Failed, at, attempts, httpStatus, error), when there is one."""
    targets = rules.targets_of(job.definition)
    if not targets:
        return {}
    found = store.for_job(conn, account, job.name)
    shown: list[JSON] = []
    for target in targets:
        mine = [d for d in found if d.url == target["url"]]
        entry: JSON = {"url": rules.shown_url(str(target["url"])),
                       "pending": sum(d.status == store.PENDING for d in mine)}  # fmt: skip
        tried = [d for d in mine if d.last_at is not None]
        if tried:
            last = max(tried, key=lambda d: (d.last_at, d.id))
            entry["lastDelivery"] = {
                "event": last.event, "runId": last.run_id, "status": last.status,
                "at": rt.timestamp(last.last_at), "attempts": last.attempts,
                "httpStatus": last.http_status or 0, "error": last.last_error,
            }  # fmt: skip
        shown.append(entry)
    return {"notifyStatus": shown}


class Notifier:
    """The thread that queues late alerts and delivers due ones; `tick()` is one pass."""

    def __init__(self, runtime: Runtime, poll: float = POLL) -> None:
        self.runtime = runtime
        self.poll = poll
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._late_at = 0.0
        self._lock = threading.Lock()  # one pass at a time (the thread, or a test's tick)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tidemill-notify", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(TIMEOUT + 5)
            self._thread = None

    def tick(self, *, late: bool = True) -> int:
        """Queue late alerts (when `late`), then deliver what is due; how many delivered."""
        with self._lock:
            now = self.runtime.clock.now().astimezone(self.runtime.zone)
            if late:
                queue_late(self.runtime, now)
            return deliver_due(self.runtime, now)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                late = time.monotonic() - self._late_at >= LATE_EVERY
                if late:
                    self._late_at = time.monotonic()
                self.tick(late=late)
            except Exception:
                log.exception("alert pass failed; retrying")
