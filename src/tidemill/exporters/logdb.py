"""logdb exports: documents into an Elasticsearch/OpenSearch `_bulk` API (§8.5).

Account A's repo R is the index `A-R` (`ExportContext.scoped`): accounts never share an index.

Each row becomes a document with the id `<account>-<job>-<runId>-<row>`, indexed with the
`index` action, so a rerun overwrites its earlier documents; documents of an earlier attempt
beyond the new row count are deleted. Rows the server refuses (mapping errors) fail the export,
or are dropped and counted with omitInvalid.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, tzinfo
from typing import Any

import httpx

from tidemill.errors import BackendError, Failure
from tidemill.exporters._http import chunks, post
from tidemill.exporters._reading import row_batches
from tidemill.exporters.base import SUCCESSFUL, ExportContext, ExportOutcome, ExportPlan

NDJSON = "application/x-ndjson"


def _fields(doc: Mapping[str, Any]) -> Iterator[str]:
    for value in doc.values():
        if isinstance(value, Mapping):
            yield from _fields(value)
        else:
            yield str(value)[1:]


def _document(doc: Mapping[str, Any], row: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, Mapping):
            out[key] = _document(value, row, zone)
        else:
            found = row[str(value)[1:]]
            out[key] = found.astimezone(zone).isoformat() if isinstance(found, datetime) else found
    return out


def export_logdb(ctx: ExportContext, plan: ExportPlan) -> ExportOutcome:
    spec = plan.spec
    base = ctx.targets.logdb_url.rstrip("/")
    if not base:
        raise BackendError(Failure.INTERNAL, "no logdb target: set TIDEMILL_LOGDB_URL")
    index = ctx.scoped(str(spec["destRepoName"]))  # account A's repo R is the index A-R
    doc: Mapping[str, Any] = spec["doc"]
    omit = bool(spec.get("omitInvalid", False))
    prefix = f"{ctx.account}-{ctx.job}-{ctx.run_id}-"
    before = max((int(r.get("documents", 0)) for r in plan.previous), default=0)
    options = ctx.targets.http
    count = 0
    dropped = 0
    first_problem = ""

    def actions() -> Iterator[bytes]:
        nonlocal count
        for rows in row_batches(ctx, list(_fields(doc))):
            for row in rows:
                try:
                    body = json.dumps(
                        _document(doc, row, ctx.zone), allow_nan=False, ensure_ascii=False
                    )
                except ValueError as exc:
                    if not omit:
                        raise BackendError(
                            Failure.INTERNAL, f"row {count + 1} cannot be a document: {exc}"
                        ) from None
                    count += 1
                    continue
                head = {"index": {"_index": index, "_id": f"{prefix}{count}"}}
                count += 1
                yield (json.dumps(head) + "\n" + body).encode()

    with httpx.Client(timeout=options.timeout) as client:
        for body in chunks(actions(), options.chunk_bytes):
            reply = post(
                client,
                f"{base}/_bulk",
                body + b"\n",
                {"Content-Type": NDJSON},
                options,
                what="to accept a _bulk request",
            ).json()
            if not reply.get("errors"):
                continue
            for item in reply.get("items", []):
                result = next(iter(item.values()))
                if int(result.get("status", 200)) < 300:
                    continue
                error = result.get("error") or {}
                reason = f"{error.get('type', 'error')}: {error.get('reason', '')}"[:300]
                if not omit:
                    raise BackendError(
                        Failure.INTERNAL, f"{index} refused document {result.get('_id')}: {reason}"
                    )
                dropped += 1
                first_problem = first_problem or reason
        stale = [
            json.dumps({"delete": {"_index": index, "_id": f"{prefix}{i}"}}).encode()
            for i in range(count, before)
        ]
        for body in chunks(stale, options.chunk_bytes):
            post(
                client,
                f"{base}/_bulk",
                body + b"\n",
                {"Content-Type": NDJSON},
                options,
                what="to delete replaced documents",
            )
        post(client, f"{base}/{index}/_refresh", b"", {}, options, what="to refresh")
    message = f"{count - dropped} document(s) into {index}"
    if dropped:
        message += f"; {dropped} refused and dropped (first: {first_problem})"
    return ExportOutcome(
        plan.name,
        plan.type,
        SUCCESSFUL,
        message,
        rows=count - dropped,
        written={"index": index, "documents": count},
    )
