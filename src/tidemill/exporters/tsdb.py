"""tsdb exports: points into InfluxDB 1.x (series = measurement; spec §8.6).

Account A's repo R is the database `A-R` (`ExportContext.scoped`): accounts never share one.

Exactly once: a point is identified by measurement, tag set and time, and writing it again
replaces it. With a `timestamp` column a rerun rewrites the same points. Without one, row i of
the batch gets the time `base + i ns`, where `base` is the first attempt's write time (kept in
its outcome), so a rerun rewrites the same points too; any points of the earlier attempt beyond
the new row count are deleted first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx

from tidemill.core.line_protocol import InvalidPoint, point, timestamp_ns
from tidemill.errors import BackendError, Failure
from tidemill.exporters._http import post
from tidemill.exporters._reading import row_batches
from tidemill.exporters.base import SUCCESSFUL, ExportContext, ExportOutcome, ExportPlan

LINES_PER_REQUEST = 5000


def _columns(mapping: Any) -> dict[str, str]:
    return {str(k): str(v)[1:] for k, v in dict(mapping or {}).items()}


def _query(client: httpx.Client, base: str, ctx: ExportContext, db: str, q: str) -> None:
    params = {"q": q} if not db else {"q": q, "db": db}
    post(
        client,
        f"{base}/query?" + str(httpx.QueryParams(params)),
        b"",
        {},
        ctx.targets.http,
        what=f"to run {q.split(' ', 1)[0]}",
    )


def _ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def export_tsdb(ctx: ExportContext, plan: ExportPlan) -> ExportOutcome:
    spec = plan.spec
    base = ctx.targets.tsdb_url.rstrip("/")
    if not base:
        raise BackendError(Failure.INTERNAL, "no tsdb target: set TIDEMILL_TSDB_URL")
    # account A's repo R is the InfluxDB database A-R
    db, measurement = ctx.scoped(str(spec["destRepoName"])), str(spec["series"])
    tags, fields = _columns(spec.get("tags")), _columns(spec.get("fields"))
    stamp = str(spec.get("timestamp") or "")[1:]
    omit = bool(spec.get("omitInvalid", False))
    earlier = [r for r in plan.previous if "base_ns" in r]
    base_ns = int(earlier[0]["base_ns"]) if earlier else time.time_ns()
    written_before = max((int(r.get("points", 0)) for r in earlier), default=0)
    options = ctx.targets.http
    points = dropped = 0
    first_problem = ""

    def lines() -> Iterator[bytes]:
        nonlocal points, dropped, first_problem
        index = 0
        wanted = [*tags.values(), *fields.values(), *([stamp] if stamp else [])]
        for rows in row_batches(ctx, wanted):
            for raw in rows:
                index += 1
                row = {  # dates as text carry the configured zone's offset, as in every export
                    k: v.astimezone(ctx.zone) if isinstance(v, datetime) else v
                    for k, v in raw.items()
                }
                try:
                    ns = timestamp_ns(row[stamp]) if stamp else base_ns + index - 1
                    line = point(
                        measurement,
                        {t: row[c] for t, c in tags.items()},
                        {f: row[c] for f, c in fields.items()},
                        ns,
                    )
                except InvalidPoint as exc:
                    if not omit:
                        raise BackendError(
                            Failure.INTERNAL,
                            f"row {index} cannot be written: {exc} (set omitInvalid to skip it)",
                        ) from None
                    dropped += 1
                    first_problem = first_problem or f"row {index}: {exc}"
                    continue
                points += 1
                yield line.encode()

    write_url = f"{base}/write?" + str(httpx.QueryParams({"db": db, "precision": "ns"}))
    with httpx.Client(timeout=options.timeout) as client:
        _query(client, base, ctx, "", f"CREATE DATABASE {_ident(db)}")
        if not stamp and written_before:
            end = base_ns + written_before
            _query(
                client,
                base,
                ctx,
                db,
                f"DELETE FROM {_ident(measurement)} WHERE time >= {base_ns} AND time < {end}",
            )
        for body in _batched(lines()):
            post(
                client,
                write_url,
                body,
                {"Content-Type": "text/plain"},
                options,
                what="to accept points",
                ok=lambda r: r.status_code == 204,
            )
    message = f"{points} point(s) into {db}.{measurement}"
    if dropped:
        message += f"; {dropped} invalid row(s) dropped (first: {first_problem})"
    return ExportOutcome(
        plan.name,
        plan.type,
        SUCCESSFUL,
        message,
        rows=points,
        written={"database": db, "measurement": measurement, "base_ns": base_ns, "points": points},
    )


def _batched(lines: Any) -> Any:
    pending: list[bytes] = []
    for line in lines:
        pending.append(line)
        if len(pending) >= LINES_PER_REQUEST:
            yield b"\n".join(pending)
            pending = []
    if pending:
        yield b"\n".join(pending)
