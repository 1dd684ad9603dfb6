"""hdfs exports (spec §8.3): the kodo file writer's files, written to HDFS through `Storage`.

Directory-atomic (issue 12, docs/decisions.md "hdfs exports, directory-atomic"). The part files
are produced locally exactly as for kodo (`files.stage_files`: every format and codec of §8.8,
partitionBy, exact fileCount) and uploaded into a work directory beside the target,
`<parent>/.tidemill-tmp.<uuid>/new/` (no listing shows it: storage.hdfs), without holding the
attempt's lease (the transfer may be long; the work directory is journaled first, so an attempt
that loses its lease meanwhile leaves only hidden files its undo removes). Only when all of
them are there is the export published, under one hold of the lease:

* the target directory does not exist: one namenode rename, `new/` → target;
* it exists: the target is renamed aside into the work directory (`target/`), the files the
  export replaces (saveMode overwrite: this export's part files; a rerun: what the earlier
  attempts wrote) are moved from it into `old/`, the new files moved in, and the directory
  renamed back. Files that stay (the user's own, earlier appends) move with it.

So a reader listing the target sees the old directory, for a moment none, or the new one —
never part of an export — and the user's files under the path are kept. The work directory is
journaled (`ctx.fence.note`, phase "staging", then "committing" just before the swap) so an
attempt that does not succeed is undone from the journal (`undo_hdfs`): before the swap its
work directory is removed, in the middle or after it the target is put back as it was (the
replaced files restored from `old/` while the work directory is still there).

A target with no parent the account may write to (the namenode's root, or exactly one of the
account's TIDEMILL_HDFS__ROOTS) cannot have a work directory beside it: its files are renamed
into place one by one from `<path>/.tidemill-tmp.<uuid>/` (atomic per file only).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from tidemill.core.export_layout import file_layout, hdfs_target
from tidemill.core.hdfs_roots import check_roots, root_problem
from tidemill.core.object_keys import TEMP_PREFIX
from tidemill.errors import BackendError, Failure, InvalidInputError, TidemillError
from tidemill.exporters.base import SUCCESSFUL, ExportContext, ExportOutcome, ExportPlan
from tidemill.exporters.files import save_mode_outcome, stage_files
from tidemill.storage.base import Storage
from tidemill.storage.hdfs import HdfsFiles
from tidemill.storage.hdfs_uris import fenced, parse_uri
from tidemill.storage.registry import Storages

# Journal phases of a directory-atomic export (`written["phase"]`).
STAGING = "staging"  # uploading into the work directory: the target is untouched
COMMITTING = "committing"  # the swap may have begun: undo looks at what is on HDFS
DONE = "done"  # the outcome of a published export: undo removes its files


def export_location(path: str, upload_time: datetime) -> tuple[str, str]:
    """(namenode URL, target directory URI ending in '/') of an hdfs export spec's `path`,
    its magic variables rendered at `upload_time` (§8.3); the scheme in lower case."""
    namenode, target = hdfs_target(path, upload_time)
    namenode = "hdfs://" + namenode[len("hdfs://") :]
    return namenode, f"{namenode}/{target.directory}"


def warehouse_problem(base: str, fences: Sequence[str]) -> str | None:
    """Why an hdfs export may not write at target directory `base`: it lies in the warehouse
    (`fences`, on any namenode spelling: storage.hdfs_uris.fenced), or None."""
    if fenced(base, tuple(fences)):
        return (
            f"{base} lies in the warehouse, where Tidemill keeps every account's batch results;"
            " export to a directory outside it"
        )
    return None


def export_hdfs(ctx: ExportContext, plan: ExportPlan) -> ExportOutcome:
    """Write the result under the spec's path (module docstring); written = {"uris": [...],
    "temporary": <work dir>, "target": <dir>, "phase": ...}. StateError for saveMode
    errorIfExists over existing part files; BackendError when HDFS fails (the message names the
    namenode and the path); InvalidInputError(EXP_SPEC_INVALID) before anything is read or
    written when the rendered path is outside the account's TIDEMILL_HDFS__ROOTS
    (core.hdfs_roots) or inside the warehouse (`Targets.hdfs_fences`)."""
    layout = file_layout(plan.spec)
    upload_time = ctx.now().astimezone(ctx.zone)
    namenode, base = export_location(str(plan.spec["path"]), upload_time)
    check_roots([base], ctx.hdfs_roots, ctx.tenant, Failure.EXP_SPEC_INVALID, "spec.path")
    _, target = hdfs_target(str(plan.spec["path"]), upload_time)
    if problem := warehouse_problem(base, ctx.targets.hdfs_fences):
        raise InvalidInputError(Failure.EXP_SPEC_INVALID, f"export {plan.name!r}: {problem}")
    files = ctx.files
    previous = {str(u) for record in plan.previous for u in record.get("uris", ())}
    prefix = f"{namenode}/"
    present = [info.uri for info in files.list(base) if info.uri.startswith(prefix)]
    existing = [uri for uri in present if target.owns(uri[len(prefix) :]) and uri not in previous]
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
    uris = [base + name for name in names]
    stale = previous | (set(existing) if layout.save_mode == "overwrite" else set())
    locals_ = [local for _, _, local in staged]
    work = _work_directory(ctx, base)
    if work is None:
        written = _publish_per_file(ctx, plan, base, names, locals_, previous)
        doomed = stale - set(uris)
    else:
        written = _publish_directory(ctx, plan, base, work, names, locals_, stale & set(present))
        doomed = stale - set(present)  # what a rerun replaces elsewhere (another hour's path)
    with ctx.fence.publishing():
        for uri in sorted(doomed):
            files.delete(uri)
    return ExportOutcome(
        plan.name,
        plan.type,
        SUCCESSFUL,
        f"{len(uris)} file(s) under {base}",
        rows=ctx.rows,
        written=written,
    )


def _work_directory(ctx: ExportContext, base: str) -> str | None:
    """`<parent>/.tidemill-tmp.<uuid>/` beside target `base`, or None when `base` has no parent
    the account may write to (module docstring)."""
    namenode, path = parse_uri(base, prefix=True)
    if path == "/":
        return None
    parent = str(PurePosixPath(path).parent).rstrip("/")
    work = f"{namenode}{parent}/{TEMP_PREFIX}{uuid.uuid4().hex}/"
    return None if root_problem(work, ctx.hdfs_roots, ctx.tenant) else work


def _publish_directory(
    ctx: ExportContext,
    plan: ExportPlan,
    base: str,
    work: str,
    names: Sequence[str],
    locals_: Sequence[Path],
    replaced: set[str],
) -> dict[str, Any]:
    """Upload into `<work>/new/`, then swap it into `base` (module docstring); the journal."""
    files = ctx.files
    directories = _directories(files, base)
    written: dict[str, Any] = {
        "uris": [base + name for name in names],
        "temporary": work,
        "target": base,
        "phase": STAGING,
    }
    ctx.fence.note(plan.name, plan.type, written)  # undone from here if the attempt fails
    try:
        for name, local in zip(names, locals_, strict=True):
            # Outside the lease: the work directory is hidden and journaled; a zombie's upload
            # there is undone (or rolled back when its next note finds the lease lost).
            files.upload(f"{work}new/{name}", local, move=True)
        written = {**written, "phase": COMMITTING}
        ctx.fence.note(plan.name, plan.type, written)
        with ctx.fence.publishing():  # the whole swap under one hold
            _swap(files, directories, base, work, names, sorted(replaced))
    except TidemillError:
        with suppress(TidemillError):  # the export's own failure is the one to report
            _roll_back(files, written)
        raise
    with suppress(TidemillError):  # published: a leftover work directory is hidden garbage
        directories.delete_directory(work)
    return {**written, "phase": DONE}


def _swap(
    files: Storage,
    directories: HdfsFiles,
    base: str,
    work: str,
    names: Sequence[str],
    replaced: Sequence[str],
) -> None:
    new, aside, old = f"{work}new/", f"{work}target/", f"{work}old/"
    if not directories.is_directory(base):
        directories.move_directory(new, base)
        return
    directories.move_directory(base, aside)
    for uri in replaced:
        files.rename(aside + uri[len(base) :], old + uri[len(base) :])
    for name in names:
        files.rename(new + name, aside + name)
    directories.delete_directory(new)  # its absence marks "all moved" for undo
    directories.move_directory(aside, base)


def _roll_back(files: Storage, written: Mapping[str, Any]) -> None:
    """Put the target of a directory-atomic export back as it was before the attempt, and
    remove the work directory (module docstring). If another writer made the target while it
    was aside, its files win and the old ones join them. TidemillError when HDFS refuses."""
    base, work = str(written["target"]), str(written["temporary"])
    directories = _directories(files, base)
    uris = [str(u) for u in written.get("uris") or ()]
    new, aside, old = f"{work}new/", f"{work}target/", f"{work}old/"
    phase = written.get("phase")
    if phase == COMMITTING and directories.is_directory(aside):  # in the middle of the swap
        for uri in uris:  # a new file still in new/ was not moved: aside's is an old one
            name = uri[len(base) :]
            if not files.exists(new + name):
                files.delete(aside + name)
        _move_all(files, old, aside)
        if not directories.is_directory(base):
            directories.move_directory(aside, base)
        else:
            _move_all(files, aside, base, replace=False)
    elif phase == DONE or (phase == COMMITTING and not directories.is_directory(new)):
        for uri in uris:  # published (the swap renames new/ away or deletes it last)
            files.delete(uri)
        _move_all(files, old, base)  # the replaced files, while the work directory lasts
    directories.delete_directory(work)


def _move_all(files: Storage, src: str, dst: str, *, replace: bool = True) -> None:
    """Move every file under directory `src` to the same name under `dst`; without `replace`
    a file `dst` already has stays and the moved one is dropped."""
    for info in files.list(src):
        name = info.uri[len(src) :]
        if replace or not files.exists(dst + name):
            files.rename(info.uri, dst + name)


def _publish_per_file(
    ctx: ExportContext,
    plan: ExportPlan,
    base: str,
    names: Sequence[str],
    locals_: Sequence[Path],
    previous: set[str],
) -> dict[str, Any]:
    """Upload into `<base>/.tidemill-tmp.<uuid>/`, then rename each file into place."""
    files = ctx.files
    temporary = f"{base}{TEMP_PREFIX}{uuid.uuid4().hex}/"
    uris = [base + name for name in names]
    written: dict[str, Any] = {"uris": uris, "temporary": temporary}
    ctx.fence.note(plan.name, plan.type, written)  # undone from here if the attempt fails
    moved: list[str] = []
    try:
        for name, local in zip(names, locals_, strict=True):
            files.upload(temporary + name, local, move=True)  # hidden, journaled: no lease
        ctx.fence.check()  # a zombie stops here (its temporary directory goes below)
        for name, uri in zip(names, uris, strict=True):
            with ctx.fence.publishing():
                files.rename(temporary + name, uri)
            moved.append(uri)
    except TidemillError:
        doomed = [uri for uri in moved if uri not in previous]
        if doomed:
            # Under the lease, as they were renamed: an attempt that lost it leaves them to the
            # batch's holder, whose attempt may have written the same files since.
            with suppress(TidemillError), ctx.fence.publishing():
                for uri in doomed:
                    files.delete(uri)
        files.delete_prefix(temporary)
        raise
    files.delete_prefix(temporary)
    return written


def _directories(files: Storage, uri: str) -> HdfsFiles:
    """The HDFS backend serving `uri` (the directory operations are HDFS's own)."""
    backend = files.backend(uri) if isinstance(files, Storages) else files
    if not isinstance(backend, HdfsFiles):
        raise BackendError(Failure.INTERNAL, f"no HDFS backend serves {uri}")
    return backend


def undo_hdfs(files: Storage, written: Mapping[str, Any]) -> None:
    """Remove what an hdfs export of an attempt that did not succeed wrote (its journal): a
    directory-atomic one puts the target back as it was (`_roll_back`); a per-file one deletes
    its files and temporary directory."""
    if written.get("target"):
        _roll_back(files, written)
        return
    for uri in written.get("uris") or ():
        files.delete(str(uri))
    temporary = str(written.get("temporary") or "")
    if temporary:
        files.delete_prefix(temporary)
