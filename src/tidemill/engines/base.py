"""The Engine contract: what runs a job's Spark SQL, whatever does the work (DuckDB, Spark).

An engine answers two questions:

* `check(sql, tables)` at job create (spec §6.1.3): the output schema of the job's Spark SQL
  over its tables, or InvalidInputError(JOB_SQL_INVALID → E18209) naming the construct it
  refuses (a function it cannot run as Spark does, a server function, a file read).
* `run(plan, io)` in a worker: the batch's result, committed atomically at `plan.result_uri`
  only while the attempt's lease holds, and what it holds (`Committed`).

An engine reads input files and writes its result only through `io.files` (by URI); it reads
and writes no other file, loads no extension and holds to `plan.limits`. Every engine runs the
contract suite (tests/engines/test_contract.py) unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tidemill import locked_dirs
from tidemill.core.models import SchemaField
from tidemill.core.plans import BatchPlan
from tidemill.errors import Failure, TidemillError

# How a run that needs more memory than its container has ends (the engine's or the worker's
# limit): the message's start, the same on every engine.
EXCEEDED = "the batch exceeded the container's memory"


class Files(Protocol):
    """The files an engine may touch, by URI (`tidemill.storage`'s `Storage` is one)."""

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        """A local file with the bytes at `uri` while the context lasts; missing: NotFoundError."""
        ...

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        """Store the local file `source` at `uri` atomically (readers see old or new)."""
        ...


class Lease(Protocol):
    """The attempt's lease (`tidemill.runner.fence`): publishing happens only while it holds."""

    def publishing(self) -> AbstractContextManager[None]:
        """Hold the lease for the block; raises a TidemillError if it is already lost."""
        ...


class _NoLease:
    def publishing(self) -> AbstractContextManager[None]:
        return nullcontext()


UNFENCED: Lease = _NoLease()


@dataclass(frozen=True, slots=True)
class RunIO:
    """What a run may use besides its plan.

    `files`: input files and the result, by URI. `lease`: held while the result is published
    (`publish_result`).
    `scratch`: a local directory the engine may write (spill, the result before its upload);
    None for the system's temporary directory. `stop`: once set, the run ends as soon as it
    can with `Stopped`, publishing nothing. `keep`: a local directory (on the file system of
    the inputs, as a worker's `<data dir>/scratch`) under which the engine may keep one
    directory of its own between runs of the same account (`keep_area`), removed when it
    keeps it no longer; None: nothing is kept between runs.
    """

    files: Files
    lease: Lease = UNFENCED
    scratch: Path | None = None
    stop: threading.Event | None = None
    keep: Path | None = None
    # Uploads a result file (given up) to its URI, the transfer outside the lease and only the
    # step that makes it visible under it (the runner's `storage.staging.publish_file`); None:
    # the whole upload under the lease.
    publish: Callable[[str, Path], None] | None = None
    # Publishes a file staged beside the result (a Spark run's, `src`) at the result's URI
    # (`dst`), the copy outside the lease and only the step that makes it visible under it
    # (the runner's `storage.staging.publish_copy`); None: a rename under the lease.
    publish_staged: Callable[[str, str], None] | None = None

    def publish_result(self, uri: str, source: Path) -> None:
        """Publish the local file `source` (given up) at `uri` while the lease holds; raises
        the lease's TidemillError when it is lost (nothing is then visible at `uri`)."""
        if self.publish is not None:
            self.publish(uri, source)
            return
        with self.lease.publishing():
            self.files.upload(uri, source, move=True)


@dataclass(frozen=True, slots=True)
class Committed:
    """A batch's committed result: its columns (spec §3.2 valtypes), rows, and where it is."""

    schema: list[SchemaField]
    rows: int
    result_uri: str
    note: str = ""  # what the batch message adds on success (bad CDN log lines skipped ...)
    # What the engine measured of its work, for the batch log: name -> bytes, rows or seconds
    # (engines.duckdb.figures names DuckDB's); empty when the engine reports nothing.
    figures: Mapping[str, int | float] = field(default_factory=dict)


class Stopped(TidemillError):
    """The run was stopped (`RunIO.stop`) before it committed anything."""

    def __init__(self, message: str = "the batch was stopped") -> None:
        super().__init__(Failure.INTERNAL, message)


class Engine(Protocol):
    """A SQL engine. Implementations are registered in `tidemill.engines.registry`."""

    name: str  # as TIDEMILL_ENGINE names it: "duckdb"

    def check(self, sql: str, tables: Mapping[str, Sequence[SchemaField]]) -> list[SchemaField]:
        """The columns Spark SQL `sql` returns over `tables` (name → columns), never run.

        Raises InvalidInputError: JOB_SQL_INVALID (E18209) for SQL that is not one query, reads
        a table not in `tables`, names an unknown column or function, or uses a construct this
        engine refuses (the message names it); JOB_TABLE_DUP / SCHEMA_KEY_DUP for names that
        differ only in case; SCHEMA_TYPE_INVALID for a valtype outside spec §3.2.
        """
        ...

    def prepare(self) -> None:
        """Get ready for the next `run` ahead of time (a worker calls it while idle, right
        after each answer), and remove what the last run left in its `io.scratch`."""
        ...

    def close(self) -> None:
        """Release what the engine keeps between runs (open databases, directories kept under
        `RunIO.keep`); a later `prepare` or `run` opens anew. A worker calls it on its way out."""
        ...

    def run(self, plan: BatchPlan, io: RunIO) -> Committed:
        """Run `plan.sql` over `plan.tables` and commit the result at `plan.result_uri`.

        The result is one Parquet file whose columns have the types their valtypes name
        (long BIGINT, float DOUBLE, date TIMESTAMP with zone, boolean, string), written under
        a temporary name in `io.scratch` and published with one `io.files.upload` inside
        `io.lease.publishing()`. Raises InvalidInputError for SQL or input data the engine
        refuses (naming the file), BackendError for a failure of the engine (memory beyond
        `plan.limits`: "exceeded the container's memory"), Stopped when `io.stop` was set;
        whatever it raises, nothing was published. What the run wrote in `io.scratch` (or in
        its directory under `io.keep`) is gone by the end of the next `prepare` or `run` at
        the latest (DuckDB's: off the answer's path, docs/performance.md session 7).
        """
        ...


# `<RunIO.keep>/<KEPT_PREFIX><uuid>/`: an engine's directory kept between runs (`keep_area`);
# `<KEEPING_PREFIX><uuid>` while it is made.
KEPT_PREFIX, KEEPING_PREFIX = ".tidemill-kept-", ".tidemill-keeping-"


def keep_area(keep: Path) -> tuple[Path, int]:
    """A new private directory under `keep` (`RunIO.keep`) for an engine to keep between runs,
    and a descriptor holding its lock (`locked_dirs.make`): close it once the directory is
    removed. A process that dies leaves it to `sweep_kept`. OSError as the system raises it."""
    return locked_dirs.make(keep, KEPT_PREFIX, KEEPING_PREFIX)


def sweep_kept(keep: Path) -> list[str]:
    """Remove the kept directories under `keep` whose process ended (`keep_area`); the names."""
    return locked_dirs.sweep(keep, KEPT_PREFIX, KEEPING_PREFIX)


def localise_inputs(plan: BatchPlan, io: RunIO, stack: ExitStack) -> dict[str, Path]:
    """A local file for each input URI of `plan` (its tables' files and upstream results),
    through `io.files`, held until `stack` closes: for engines that read local files."""
    local: dict[str, Path] = {}
    for table in plan.tables:
        uris = [table.result] if table.result is not None else [f.uri for f in table.files]
        for uri in uris:
            if uri not in local:
                local[uri] = stack.enter_context(io.files.local_path(uri))
    return local
