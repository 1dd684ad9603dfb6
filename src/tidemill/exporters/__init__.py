"""Export writers, one module per target type (spec §8), and the dispatcher that runs them all."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from tidemill.errors import TidemillError
from tidemill.exporters.base import (
    FAILED,
    ExportContext,
    Exporter,
    ExportOutcome,
    ExportPlan,
    Targets,
)
from tidemill.exporters.files import export_kodo
from tidemill.exporters.hdfs_files import export_hdfs, undo_hdfs
from tidemill.exporters.http import export_http
from tidemill.exporters.logdb import export_logdb
from tidemill.exporters.report import export_report, remove_batch_rows
from tidemill.exporters.tsdb import export_tsdb
from tidemill.storage.base import Buckets, Storage
from tidemill.storage.staging import abort_journaled

log = logging.getLogger("tidemill.exporters")

EXPORTERS: Mapping[str, Exporter] = {
    "kodo": export_kodo,
    "hdfs": export_hdfs,
    "http": export_http,
    "logdb": export_logdb,
    "tsdb": export_tsdb,
    "report": export_report,
}


def run_exports(ctx: ExportContext, plans: Sequence[ExportPlan]) -> list[ExportOutcome]:
    """Run every export; one failing does not stop the others (each gets its outcome)."""
    outcomes: list[ExportOutcome] = []
    for plan in plans:
        try:
            ctx.fence.check()  # a worker whose batch was taken over starts no export
            outcomes.append(EXPORTERS[plan.type](ctx, plan))
        except TidemillError as exc:
            outcomes.append(ExportOutcome(plan.name, plan.type, FAILED, exc.message))
        except Exception as exc:  # a bug: the batch still gets a useful message
            log.exception("export %s of %s/%s crashed", plan.name, ctx.job, ctx.run_id)
            message = f"internal error in the {plan.type} exporter ({type(exc).__name__})"
            outcomes.append(ExportOutcome(plan.name, plan.type, FAILED, message))
    return outcomes


def undo(
    targets: Targets, store: Buckets, files: Storage, type_: str, written: Mapping[str, Any]
) -> bool:
    """Remove what one export of an attempt that did not succeed wrote; whether it could.

    kodo: the objects it put and its unfinished multipart uploads (through `store`); hdfs: its
    files and temporary directory (through `files`, by URI); report: the rows of its batch key.
    http, logdb and tsdb deliveries cannot be taken back (False). Raises TidemillError when
    the target refuses.
    """
    if type_ == "hdfs":
        undo_hdfs(files, written)
        return True
    if type_ == "kodo":
        bucket = str(written.get("bucket", ""))
        for key, journal in dict(written.get("uploads") or {}).items():
            abort_journaled(store, bucket, str(key), dict(journal))  # a crashed transfer's parts
        for key in written.get("keys", ()):
            store.delete(bucket, str(key))
        return True
    if type_ == "report":
        if written.get("batch"):
            remove_batch_rows(targets.report_url, dict(written))
        return True
    return False


def failure_message(outcomes: Sequence[ExportOutcome]) -> str | None:
    """The batch message when exports failed: `export <name> failed: ...` for each."""
    failed = [f"export {o.name} failed: {o.message}" for o in outcomes if o.failed]
    return "; ".join(failed) or None
