"""hdfs exports (spec §8.3): the kodo file writer's files, written to HDFS through `Storage`.

The part files are produced locally exactly as for kodo (`files.stage_files`: every format and
codec of §8.8, partitionBy, exact fileCount), then written into a temporary directory inside the
target (`<path>/.tidemill-tmp.<uuid>/`, which no listing shows: storage.hdfs), and only when all
of them are there renamed into place, one namenode rename each (atomic: a reader sees the old
file or the new, never part of one), and the temporary directory removed. The URIs are journaled
(`ctx.fence.note`) before the first write and every write and rename runs under the attempt's
lease (`ctx.fence.publishing`), as for kodo: a worker whose batch was taken over publishes
nothing, and an attempt that does not succeed is undone from the journal. A rerun replaces what
an earlier attempt of the same batch wrote (`plan.previous`). saveMode as §8.9: only this
export's part files count as "existing"; other files under the path are the user's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tidemill.core.export_layout import file_layout, hdfs_target
from tidemill.core.hdfs_roots import check_roots
from tidemill.core.object_keys import TEMP_PREFIX
from tidemill.errors import BackendError, Failure, InvalidInputError, TidemillError
from tidemill.exporters.base import SUCCESSFUL, ExportContext, ExportOutcome, ExportPlan
from tidemill.exporters.files import save_mode_outcome, stage_files
from tidemill.storage.base import Storage
from tidemill.storage.hdfs_uris import fenced


def export_location(path: str, upload_time: datetime) -> tuple[str, str]:
    """(namenode URL, target directory URI ending in '/') of an hdfs export spec's `path`,
    its magic variables rendered at `upload_time` (§8.3); the scheme in lower case."""
    namenode, target = hdfs_target(path, upload_time)
    namenode = "hdfs://" + namenode[len("hdfs://") :]
    return namenode, f"{namenode}/{target.directory}"


def export_hdfs(ctx: ExportContext, plan: ExportPlan) -> ExportOutcome:
    """Write the result under the spec's path (module docstring); written = {"uris": [...],
    "temporary": <dir>}. StateError for saveMode errorIfExists over existing part files;
    BackendError when HDFS fails (the message names the namenode and the path);
    InvalidInputError(EXP_SPEC_INVALID) before anything is read or written when the rendered
    path is outside the account's TIDEMILL_HDFS__ROOTS (core.hdfs_roots) or inside the
    warehouse (`Targets.hdfs_fences`)."""
    layout = file_layout(plan.spec)
    upload_time = ctx.now().astimezone(ctx.zone)
    namenode, base = export_location(str(plan.spec["path"]), upload_time)
    check_roots([base], ctx.hdfs_roots, ctx.tenant, Failure.EXP_SPEC_INVALID, "spec.path")
    _, target = hdfs_target(str(plan.spec["path"]), upload_time)
    if fenced(base, ctx.targets.hdfs_fences):
        raise InvalidInputError(
            Failure.EXP_SPEC_INVALID,
            f"export {plan.name!r}: {base} lies in the warehouse, where Tidemill keeps every "
            "account's batch results; export to a directory outside it",
        )
    files = ctx.files
    previous = {str(u) for record in plan.previous for u in record.get("uris", ())}
    prefix = f"{namenode}/"
    existing = [
        info.uri
        for info in files.list(base)
        if info.uri.startswith(prefix)
        and target.owns(info.uri[len(prefix) :])
        and info.uri not in previous
    ]
    skipped = save_mode_outcome(plan, layout, base, existing, {"uris": sorted(previous)})
    if skipped is not None:
        return skipped
    unique = uuid.uuid4().hex[:8] if layout.save_mode == "append" else ""
    stage = ctx.scratch / f"hdfs-{uuid.uuid4().hex}"
    stage.mkdir(parents=True)
    staged = stage_files(ctx, layout, stage)
    names = [
        target.part_key(part, index, layout.extension, unique)[len(target.directory) :]
        for part, index, _ in staged
    ]
    if len(set(names)) != len(names):
        raise BackendError(Failure.INTERNAL, f"two part files would share a name under {base}")
    temporary = f"{base}{TEMP_PREFIX}{uuid.uuid4().hex}/"
    uris = [base + name for name in names]
    written = {"uris": uris, "temporary": temporary}
    ctx.fence.note(plan.name, plan.type, written)  # undone from here if the attempt fails
    moved: list[str] = []
    try:
        for name, (_, _, local) in zip(names, staged, strict=True):
            with ctx.fence.publishing():  # one file per hold of the lease
                files.upload(temporary + name, local, move=True)
        for name, uri in zip(names, uris, strict=True):
            with ctx.fence.publishing():
                files.rename(temporary + name, uri)
            moved.append(uri)
    except TidemillError:
        for uri in moved:
            if uri not in previous:
                files.delete(uri)
        files.delete_prefix(temporary)
        raise
    files.delete_prefix(temporary)
    stale = previous | (set(existing) if layout.save_mode == "overwrite" else set())
    with ctx.fence.publishing():
        for uri in sorted(stale - set(uris)):
            files.delete(uri)
    return ExportOutcome(
        plan.name,
        plan.type,
        SUCCESSFUL,
        f"{len(uris)} file(s) under {base}",
        rows=ctx.rows,
        written=written,
    )


def undo_hdfs(files: Storage, written: Mapping[str, Any]) -> None:
    """Remove what an hdfs export of an attempt that did not succeed wrote (its journal)."""
    for uri in written.get("uris") or ():
        files.delete(str(uri))
    temporary = str(written.get("temporary") or "")
    if temporary:
        files.delete_prefix(temporary)
