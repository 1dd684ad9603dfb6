"""The plan of one batch: plain, picklable data a worker (and its engine) runs from.

The planner (`tidemill.runner.plan`) reads the store at the batch's time and fills these; an
engine (`tidemill.engines`) reads nothing else. Nothing here names an engine or a library: the
SQL is the job's Spark SQL (variables rendered), inputs are files addressed by URI.

Shapes:

* `InputFile(uri, size, format, compression)`: one file of a datasource, as the source listed
  it (`tidemill.sources`). `format` is the datasource's fileType in lower case (spec §4.2:
  "json", "csv", "parquet", "text" ...); `compression` is "" for none, else the codec name
  ("gzip", "snappy" ...), as the file's name or its source says.
* `TablePlan`: one table of the job (spec §6.2 `srcs[].tableName`): a datasource's files, or
  an upstream job's committed result (`result`, a URI).
* `BatchPlan`: the whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tidemill.core.models import AccountScope

# (key, valtype, required): one column of a table's schema (spec §3.2 valtypes).
Column = tuple[str, str, bool]


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file of a table: its URI (`file://`, `s3://` ...), size in bytes, format and
    compression ("" for none). `name` is how messages to the user name it (kodo: bucket/key):
    a URI may show a server's paths; empty for the URI itself."""

    uri: str
    size: int
    format: str
    compression: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class TablePlan:
    """One table the job's SQL reads: a datasource's files, or an upstream batch's result.

    For a datasource, `files` are its input files for this batch (listed by its Source) and
    `file_type`, `delimiter`, `contains_header` its spec's reading options (spec §4.2). For an
    upstream job, `result` is the URI of that batch's committed result (a Parquet file) and
    `files` is empty. A fusion datasource has `file_type` "fusion" (CDN access logs, fixed
    schema); `bad_line_share` is the share of unparsable lines above which the batch fails.
    """

    table: str
    schema: tuple[Column, ...] = ()
    files: tuple[InputFile, ...] = ()
    result: str | None = None
    file_type: str = ""
    delimiter: str | None = None
    contains_header: bool | None = None
    bad_line_share: float = 0.01  # fusion: the share of bad CDN log lines a batch tolerates

    @property
    def columns(self) -> list[tuple[str, str]]:
        """(key, valtype) of each column, in order."""
        return [(key, valtype) for key, valtype, _ in self.schema]


@dataclass(frozen=True, slots=True)
class Limits:
    """What one batch may use, from its job's container (spec §6.2 `container`).

    `threads`: worker threads (never more than the machine's cores). `memory`: the engine's
    working memory as text with a unit ("1344MiB", "2GB"); work beyond it spills to disk.
    """

    threads: int = 1
    memory: str = "1GB"


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """One export of the job, as it stands when the batch is planned (D-19: current exports).

    `previous` holds what earlier attempts of the same batch wrote (their `written` records),
    so a rerun replaces that output instead of adding to it.
    """

    name: str
    type: str
    spec: Mapping[str, Any]
    manual: bool = False  # the job's scheduler is manual (D-21 naming)
    previous: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """Everything a worker needs to run one batch and publish its result.

    `sql` is the job's Spark SQL with its variables rendered (spec §3.4); each engine
    translates it itself. `result_uri` is where the result (one Parquet file) is committed,
    atomically. `zone` is the session time zone (an IANA name). `exports` are run after the
    result is committed (spec §8).
    `attempt` (the batch's rerun count) and `owner` (the runner that claimed it) are the lease
    a publish checks; `batch_uid` is unique for the life of the installation (exports key by
    it). `memory_ceiling` is the bytes of private data the worker may hold (0: none): the
    engine's `limits.memory` stays below it. `engine` names the engine that runs it
    (TIDEMILL_ENGINE when it was planned).
    """

    account: int
    scope: AccountScope  # the worker reads and writes buckets through this account's view only
    job: str
    run_id: int
    sql: str
    tables: tuple[TablePlan, ...]
    result_uri: str
    limits: Limits
    zone: str
    params: Mapping[str, str] = field(default_factory=dict)
    exports: tuple[ExportPlan, ...] = ()
    attempt: int = 0
    owner: str = ""
    batch_uid: str = ""
    memory_ceiling: int = 0
    engine: str = "duckdb"  # the engine that runs it (tidemill.engines.registry)
    engine_reason: str = ""  # why (core.engine_choice), when TIDEMILL_ENGINE is not duckdb

    def schemas(self) -> dict[str, list[tuple[str, str]]]:
        """Each table's (key, valtype) columns by table name: what `Engine.check` takes."""
        return {t.table: t.columns for t in self.tables}
