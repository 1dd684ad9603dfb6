"""Scratch directories a dead run left behind.

An attempt's scratch is `<data dir>/scratch/<batch uid>-<attempt>` (`worker.scratch_dir`); its
runner removes it when the attempt ends. A service killed with -9 (or a machine crash) never
does: its directories stay, with whatever spill or staged result they held. The directory is
named by the attempt, not the node, and nodes may share a data dir, so what is dead is read
from the metadata store, where the lease lives: a directory is in use exactly while its batch
executes that attempt (Running or Cancelling with that rerun count) — on whichever node. Any
other (the batch ended, was settled, rerun, or deleted) is left over and removed. Names not of
that form are not ours and are left alone.

The same sweep removes the directories local buckets pin read inputs in
(`<data dir>/kodo/.tidemill-tmp.read-*`) whose process died: those carry no run, so a live one
is told by the lock its process holds on it (storage.local_buckets.sweep_pins); so are the
directories engines keep between runs (`<data dir>/scratch/.tidemill-kept-*`,
engines.base.sweep_kept).
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import sqlalchemy as sa

from tidemill.engines.base import sweep_kept
from tidemill.runner.worker import keep_dir
from tidemill.storage.local_buckets import sweep_pins
from tidemill.store import batches as store

log = logging.getLogger("tidemill.runner")

ATTEMPT_DIR = re.compile(r"^([0-9a-f]{32})-(\d+)$")  # <batch uid (uuid4 hex)>-<attempt>


def sweep(db: sa.Engine, data_dir: Path) -> list[str]:
    """Remove the scratch directories of attempts no longer executing, and the input pins of
    local buckets and the engines' kept directories whose process died (`sweep_pins`,
    `sweep_kept`); the names removed.
    A directory made after the listing is not looked at (its attempt was claimed first)."""
    pins = sweep_pins(data_dir.resolve() / "kodo")  # where storage.open_kodo keeps buckets
    if pins:
        log.info("removed %d input pin director(ies) of ended processes", len(pins))
    return pins + sweep_kept_dirs(data_dir) + _sweep_scratch(db, data_dir)


def sweep_kept_dirs(data_dir: Path) -> list[str]:
    """Remove the directories the engines of this node's workers kept between runs
    (`worker.keep_dir`, `RunIO.keep`) whose worker ended (`engines.base.sweep_kept`): a worker
    killed leaves its last run's files there. The names removed; OSError as raised."""
    kept = sweep_kept(keep_dir(data_dir))
    if kept:
        log.info("removed %d kept engine director(ies) of ended processes", len(kept))
    return kept


def _sweep_scratch(db: sa.Engine, data_dir: Path) -> list[str]:
    root = data_dir.resolve() / "scratch"
    try:
        entries = [e for e in root.iterdir() if e.is_dir() and not e.is_symlink()]
    except FileNotFoundError:
        return []
    attempts: dict[Path, tuple[str, int]] = {}
    for entry in entries:
        found = ATTEMPT_DIR.match(entry.name)
        if found:
            attempts[entry] = (found.group(1), int(found.group(2)))
    if not attempts:
        return []
    with db.connect() as conn:
        live = store.executing_attempts(conn, {uid for uid, _ in attempts.values()})
    removed = []
    for entry, attempt in sorted(attempts.items()):
        if attempt not in live:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    if removed:
        log.info("removed %d scratch director(ies) of runs that ended: %s", len(removed),
                 ", ".join(removed))  # fmt: skip
    return removed
