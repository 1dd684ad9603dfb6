"""Alerts of a job's batches (issue 14, item 5). Pure: the field, the body, the signature.

A job may carry the extension field

    "notify": [{"url": "https://hooks.example.com/tidemill", "on": ["failed", "late"],
                "lateAfter": "15m", "secret": "<16-256 characters>"}]

At most 10 targets. `url`: http or https, at most 2048 characters. `on`: a non-empty subset of
"failed" (a batch ended Failed and will not be retried), "succeeded" (a batch ended
Successful) and "late" (a batch has not succeeded `lateAfter` after its batchTime: 1m..7d,
required with "late" only). `secret`: the key the alerts to this target are signed with; it is
stored with the job and never shown again (GetJob shows `"secret": "set"`). A url's user info
(`user:password@`) is kept for delivery and never shown either (GetJob shows `***@`). Errors:
JOB_SPEC_INVALID (E18207) naming the member; a target the outbound address policy refuses is
JOB_SPEC_INVALID too, at create (services.notify).

What GetJob shows can be sent back (docs/decisions.md, "Notify secrets on a read-back"): on an
update, a target whose `secret` is "set" keeps the secret stored for its url, and a url whose
user info is `***` keeps the stored url it stands for (`keep_stored`); on a create, or when
nothing stored matches, either is JOB_SPEC_INVALID.

Each alert is one POST of a JSON body (`alert_body`) with the headers

    Content-Type: application/json
    X-Tidemill-Event: failed | succeeded | late
    X-Tidemill-Delivery: <id, the same on every attempt of one alert>
    X-Tidemill-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

To verify: recompute the HMAC over the timestamp, a dot and the raw body bytes with the
target's secret, compare in constant time, and refuse a `t` too far from now (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tidemill.core.models import JSON
from tidemill.core.retries import format_duration, parse_duration
from tidemill.errors import Failure, InvalidInputError

EVENTS = ("failed", "succeeded", "late")
FAILED, SUCCEEDED, LATE = EVENTS
MAX_TARGETS = 10
MAX_URL = 2048
MIN_SECRET, MAX_SECRET = 16, 256
MIN_LATE, MAX_LATE = timedelta(minutes=1), timedelta(days=7)
SIGNATURE = "X-Tidemill-Signature"
EVENT = "X-Tidemill-Event"
DELIVERY = "X-Tidemill-Delivery"
SHOWN_SECRET = "set"  # what GetJob shows in place of a secret
SHOWN_USERINFO = "***"  # what GetJob shows in place of a url's user:password
# What GetJob shows beside a target's hidden secret and user info so a client holding them can
# tell whether they changed (`secret_check`); recomputed by the server, ignored when sent.
CHECK = "secretCheck"
CHECK_ITERATIONS = 20_000  # PBKDF2-HMAC-SHA256 rounds: ~14 ms per target written

# Delivery of one alert: attempts, and the back-off between them (doubling, capped).
DELIVERY_ATTEMPTS = 6
DELIVERY_BACKOFF = timedelta(seconds=10)
DELIVERY_MAX_BACKOFF = timedelta(minutes=10)


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.JOB_SPEC_INVALID, message)


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{where}url is required: an http(s) URL such as https://host/path")
    if len(value) > MAX_URL or any(c.isspace() for c in value):
        raise _invalid(f"{where}url must be at most {MAX_URL} characters without spaces")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise _invalid(f"{where}url {value!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise _invalid(f"{where}url {value!r} must be an http:// or https:// URL with a host")
    return value


def _target(raw: Any, index: int) -> JSON:
    where = f"notify[{index}]."
    if not isinstance(raw, dict):
        raise _invalid(f"notify[{index}] must be an object with url, on and secret")
    unknown = sorted(set(raw) - {"url", "on", "lateAfter", "secret", CHECK})  # CHECK: ignored
    if unknown:
        raise _invalid(f"{where}{unknown[0]} is not a member: use url, on, lateAfter, secret")
    url = _url(raw.get("url"), where)
    on = raw.get("on")
    if not isinstance(on, list) or not on or not all(isinstance(e, str) for e in on):
        raise _invalid(f"{where}on must be a non-empty list of {', '.join(EVENTS)}")
    events = [e.lower() for e in on]
    bad = [e for e in events if e not in EVENTS]
    if bad:
        raise _invalid(f"{where}on names {bad[0]!r}: use {', '.join(EVENTS)}")
    target: JSON = {"url": url, "on": [e for e in EVENTS if e in events]}
    if LATE in events:
        if raw.get("lateAfter") is None:
            raise _invalid(f'{where}lateAfter is required with "late", e.g. "15m"')
        late = parse_duration(raw["lateAfter"], f"{where}lateAfter")
        if not MIN_LATE <= late <= MAX_LATE:
            raise _invalid(f"{where}lateAfter must be from 1m to 7d, not {raw['lateAfter']!r}")
        target["lateAfter"] = format_duration(late)
    elif raw.get("lateAfter") is not None:
        raise _invalid(f'{where}lateAfter is only taken with "late" in on')
    secret = raw.get("secret")
    if secret == SHOWN_SECRET:  # "keep the stored one": resolved by keep_stored
        target["secret"] = secret
        return target
    if not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= MAX_SECRET:
        raise _invalid(
            f"{where}secret is required: {MIN_SECRET}-{MAX_SECRET} characters, the key the "
            "alerts are signed with (HMAC-SHA256; see docs/decisions.md)"
        )
    target["secret"] = secret
    return target


def notify_field(body: JSON) -> JSON:
    """{"notify": [targets]} for a job body carrying `notify`, else {} (module docstring)."""
    raw = body.get("notify")
    if raw is None:
        return {}
    if not isinstance(raw, list) or len(raw) > MAX_TARGETS:
        raise _invalid(f"notify must be a list of at most {MAX_TARGETS} targets")
    targets = [_target(t, i) for i, t in enumerate(raw)]
    if not any(_hidden(t) for t in targets):  # else checked once keep_stored resolved them
        _check_unique(targets)
    return {"notify": targets} if targets else {}


def _check_unique(targets: list[JSON]) -> None:
    urls = [t["url"] for t in targets]
    if len(set(urls)) != len(urls):
        raise _invalid("notify names one url twice; list its events in one target's on")


def shown_url(url: str) -> str:
    """`url` as every read shows it: its user info, if any, replaced by `***`
    (`https://***@host/path`); a url without user info unchanged."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{SHOWN_USERINFO}@{host}"))


def _hides_userinfo(url: str) -> bool:
    netloc = urlsplit(url).netloc
    return "@" in netloc and netloc.rsplit("@", 1)[0] == SHOWN_USERINFO


def _hidden(target: JSON) -> bool:
    return target.get("secret") == SHOWN_SECRET or _hides_userinfo(str(target["url"]))


def keep_stored(definition: JSON, stored: Mapping[str, Any] | None) -> JSON:
    """`definition` (a validated job body) with what GetJob hid put back from `stored` (the
    job's stored definition; None on a create): a url with user info `***` becomes the stored
    url it shows as (the target at the same position first, else the one stored target that
    shows so), then a secret "set" becomes the secret stored for that url. JOB_SPEC_INVALID
    when nothing stored matches (a create, a new url): send the real value."""
    targets = targets_of(definition)
    if not targets:
        return definition
    old = targets_of(stored) if stored is not None else []
    resolved = [_restore(t, i, old) for i, t in enumerate(targets)]
    _check_unique(resolved)
    return {**definition, "notify": [_checked(t, old) for t in resolved]}


def secret_check(secret: str, url: str, salt: bytes | None = None) -> str:
    """A one-way check of a target's secret and its url (user info included):
    `pbkdf2-sha256$<rounds>$<salt hex>$<digest hex>` of "<secret>\n<url>" (a fresh random salt
    unless given). GetJob shows it (`CHECK`) so `tidemill apply` can see a changed secret or
    password without either being shown (docs/decisions.md, "apply sees a changed secret")."""
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", f"{secret}\n{url}".encode(), salt, CHECK_ITERATIONS)
    return f"pbkdf2-sha256${CHECK_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_matches(check: Any, secret: str, url: str) -> bool:
    """Whether `check` (a `secret_check`) was made from `secret` and `url`; False for anything
    that is not a check of this form."""
    parts = check.split("$") if isinstance(check, str) else []
    if len(parts) != 4 or parts[0] != "pbkdf2-sha256" or parts[1] != str(CHECK_ITERATIONS):
        return False
    try:
        salt = bytes.fromhex(parts[2])
    except ValueError:
        return False
    return hmac.compare_digest(secret_check(secret, url, salt), check)


def _checked(target: JSON, old: list[JSON]) -> JSON:
    """`target` (its real secret and url) with its CHECK: the stored one while the secret and
    url stay the same (so a read-back stays unchanged), else a new one."""
    secret, url = str(target["secret"]), str(target["url"])
    kept = next((o.get(CHECK) for o in old if o["url"] == url and o["secret"] == secret), None)
    check = kept if isinstance(kept, str) and check_matches(kept, secret, url) else None
    return {**target, CHECK: check or secret_check(secret, url)}


def _restore(target: JSON, index: int, old: list[JSON]) -> JSON:
    where = f"notify[{index}]."
    url = str(target["url"])
    if _hides_userinfo(url):
        same = [o for o in old if shown_url(str(o["url"])) == url]
        if index < len(old) and shown_url(str(old[index]["url"])) == url:
            same = [old[index]]
        if len(same) != 1:
            raise _invalid(
                f"{where}url {url!r}: {SHOWN_USERINFO}@ stands for the user info of a stored "
                f"target's url, and {'no' if not same else 'more than one'} stored target "
                "shows as this url; send the url with its user info"
            )
        url = str(same[0]["url"])
    restored: JSON = {k: v for k, v in target.items() if k != CHECK} | {"url": url}
    if target.get("secret") == SHOWN_SECRET:
        match = next((o for o in old if o["url"] == url), None)
        if match is None:
            raise _invalid(
                f'{where}secret "{SHOWN_SECRET}" keeps the secret stored for this url, and the '
                f"job has no stored target with url {shown_url(url)!r}; send the secret "
                f"({MIN_SECRET}-{MAX_SECRET} characters)"
            )
        restored["secret"] = match["secret"]
    return restored


def targets_of(definition: Mapping[str, Any]) -> list[JSON]:
    """The stored job definition's notify targets (validated when stored)."""
    found = definition.get("notify")
    return list(found) if isinstance(found, list) else []


def late_after(target: Mapping[str, Any]) -> timedelta | None:
    raw = target.get("lateAfter")
    return parse_duration(raw, "lateAfter") if LATE in target.get("on", ()) and raw else None


def extensions_public(definition: Mapping[str, Any]) -> JSON:
    """The issue-14 extension members of GetJob/ListJobs: `retry` as stored, `notify` with
    each secret shown as "set" and each url's user info as `***` (`shown_url`)."""
    body: JSON = {}
    if isinstance(definition.get("retry"), dict):
        body["retry"] = dict(definition["retry"])
    targets = targets_of(definition)
    if targets:
        body["notify"] = [
            {**t, "url": shown_url(str(t["url"])), "secret": SHOWN_SECRET} for t in targets
        ]
    return body


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Tidemill-Signature value: `t=<timestamp>,v1=<hex HMAC-SHA256>` over
    `<timestamp>.<body>` with `secret` (UTF-8)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def alert_body(
    event: str, job: str, run_id: int, batch_time: str, status: str, message: str, at: str,
    attempt: int,
) -> JSON:  # fmt: skip
    """The JSON POSTed: {"event", "job", "runId", "batchTime", "status", "message", "attempt"
    (the batch's rerun count + 1), "at" (when the event happened)}; times RFC 3339."""
    return {"event": event, "job": job, "runId": run_id, "batchTime": batch_time,
            "status": status, "message": message, "attempt": attempt, "at": at}  # fmt: skip


def delivery_delay(attempts: int) -> timedelta:
    """The wait after `attempts` failed deliveries of one alert (10s, 20s, 40s ... 10m)."""
    return min(DELIVERY_BACKOFF * (1 << min(attempts - 1, 20)), DELIVERY_MAX_BACKOFF)


def dedupe_key(batch_uid: str, event: str, attempt: int, url: str) -> str:
    """Names one alert: a batch's event (of one attempt; "late" once per batch) to one url."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:24]
    return f"{batch_uid}/{event}/{attempt}/{digest}"


def is_late(batch_time: datetime, late: timedelta, now: datetime) -> bool:
    return batch_time + late <= now
