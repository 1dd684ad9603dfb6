"""http exports: the rows POSTed to host + uri as text or JSON lines (spec §8.4, D-22).

A rerun sends the rows again (an HTTP receiver cannot be asked to forget); every request carries
`X-Tidemill-Batch: <job>/<runId>`, `X-Tidemill-Attempt` and `X-Tidemill-Chunk` so a receiver can
drop a repeated delivery.
"""

from __future__ import annotations

from collections.abc import Iterator

from tidemill.exporters import _rows
from tidemill.exporters._http import chunks, post
from tidemill.exporters.base import SUCCESSFUL, ExportContext, ExportOutcome, ExportPlan
from tidemill.exporters.outbound import open_client

CONTENT_TYPES = {"text": "text/plain", "json": "application/json"}
_FETCH_ROWS = 64 * 1024


def target_url(host: str, uri: str) -> str:
    base = host if "://" in host else f"http://{host}"
    return base.rstrip("/") + uri


def export_http(ctx: ExportContext, plan: ExportPlan) -> ExportOutcome:
    spec = plan.spec
    url = target_url(str(spec["host"]), str(spec["uri"]))
    fmt = str(spec.get("format") or "text").lower()
    options = ctx.targets.http
    con = _rows.open_result(ctx)
    sent = 0
    try:
        columns = _rows.result_columns(con, ctx)
        line = _rows.text_line(columns) if fmt == "text" else _rows.json_line(columns)
        reader = con.sql(f"SELECT {line} FROM {_rows.source(ctx)}").arrow(_FETCH_ROWS)

        def lines() -> Iterator[bytes]:
            for batch in reader:
                for value in batch.column(0).to_pylist():
                    yield value.encode()

        headers = {
            "Content-Type": CONTENT_TYPES[fmt],
            "X-Tidemill-Batch": f"{ctx.job}/{ctx.run_id}",
            "X-Tidemill-Attempt": str(ctx.attempt),
        }
        with open_client(options.policy, options.timeout) as client:
            for number, body in enumerate(chunks(lines(), options.chunk_bytes)):
                headers["X-Tidemill-Chunk"] = str(number)
                post(client, url, body, headers, options, what=f"to accept chunk {number}")
                sent += 1
    finally:
        con.close()
    return ExportOutcome(
        plan.name,
        plan.type,
        SUCCESSFUL,
        f"{ctx.rows} row(s) in {sent} request(s) to {url}",
        rows=ctx.rows,
        written={"url": url, "requests": sent},
    )
