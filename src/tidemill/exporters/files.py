"""File exports (kodo; hdfs_files stages the same way): json, csv, text, orc, parquet (§8.2).

Files are produced whole in a local staging directory first (DuckDB COPY; pyarrow for ORC; the
stream codecs DuckDB lacks afterwards), and only then uploaded, each object in one atomic put:
a reader never sees a half-written object. The keys (and the ids of S3 multipart uploads) are
journaled (`ctx.fence.note`) before the first byte is sent; each object's transfer runs outside
the attempt's lease and only the step that makes it visible (a rename, a CompleteMultipartUpload,
a small object's one PUT: `storage.staging`) runs while the lease is held
(`ctx.fence.publishing`): a worker whose batch was taken over publishes nothing, and an attempt
that does not succeed is undone from the journal. If an upload fails, the objects this attempt
already put are removed again and its unfinished uploads aborted.
Overwritten or replaced objects are deleted only after every new object is in place.

Rows are spread over `fileCount` part files in result order (part 0 holds the first rows), so
without `partitionBy` there are exactly `fileCount` files (some empty when there are fewer rows
than files); with `partitionBy` each partition directory gets at most `fileCount` files, one per
part that has rows there (as Spark's repartition + partitionBy writes them).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import duckdb

from tidemill.core.export_layout import FileLayout, Target, file_layout, kodo_target
from tidemill.engines.duckdb.database import quote_identifier, quote_literal
from tidemill.errors import BackendError, Failure, NotFoundError, StateError, TidemillError
from tidemill.exporters import _rows
from tidemill.exporters.base import (
    SKIPPED,
    SUCCESSFUL,
    ExportContext,
    ExportOutcome,
    ExportPlan,
)
from tidemill.exporters.codecs import compress_file
from tidemill.storage.base import Buckets
from tidemill.storage.staging import Staged, delete_keys, stage_object
from tidemill.writeback import written_back

PART_COLUMN = "__tidemill_part"
_DUCKDB_PARQUET = {"none": "uncompressed", "snappy": "snappy", "gzip": "gzip"}
_ORC_CODECS = {"none": "UNCOMPRESSED", "snappy": "SNAPPY", "zlib": "ZLIB"}

StagedFile = tuple[str, int, Path]  # (partition path ending in '/', part index, local file)


def export_kodo(ctx: ExportContext, plan: ExportPlan) -> ExportOutcome:
    layout = file_layout(plan.spec)
    upload_time = ctx.now().astimezone(ctx.zone)
    key_prefix = str(plan.spec.get("keyPrefix") or "")
    target = kodo_target(key_prefix, upload_time, manual=plan.manual, layout=layout)
    return write_files(ctx, plan, layout, target, ctx.store, str(plan.spec["bucket"]))


def write_files(
    ctx: ExportContext,
    plan: ExportPlan,
    layout: FileLayout,
    target: Target,
    store: Buckets,
    bucket: str,
) -> ExportOutcome:
    """Write the result as `layout` describes under `target`, honouring saveMode (§8.9)."""
    previous = {
        str(key)
        for record in plan.previous
        if record.get("bucket") == bucket
        for key in record.get("keys", ())
    }
    if not store.bucket_exists(bucket):
        if not ctx.targets.create_buckets:  # kind 7: a typo must not become a new bucket
            raise NotFoundError(
                Failure.EXP_BUCKET_NOT_FOUND,
                f"bucket {bucket!r} does not exist (or, on S3, is not granted to this account);"
                " create it, or let exports create buckets (TIDEMILL_EXPORTS__CREATE_BUCKETS)",
            )
        store.create_bucket(bucket)
    listed = target.single_key if target.single_key is not None else target.directory
    existing = [
        o.key for o in store.list(bucket, listed) if target.owns(o.key) and o.key not in previous
    ]
    where = f"{bucket}/{listed}"
    skipped = save_mode_outcome(
        plan, layout, where, existing, {"bucket": bucket, "keys": sorted(previous)}
    )
    if skipped is not None:
        return skipped
    unique = uuid.uuid4().hex[:8] if layout.save_mode == "append" else ""
    stage = ctx.scratch / f"files-{uuid.uuid4().hex}"
    stage.mkdir(parents=True)
    staged = stage_files(ctx, layout, stage)
    keys = [target.part_key(part, index, layout.extension, unique) for part, index, _ in staged]
    if len(set(keys)) != len(keys):
        raise BackendError(Failure.INTERNAL, f"two part files would share a key under {where}")
    written: dict[str, Any] = {
        "bucket": bucket, "keys": keys, "retention": layout.retention_days,
    }  # fmt: skip
    uploads: list[Staged | None] = [None] * len(keys)
    put: list[str] = []
    try:
        for i, (key, (_, _, local)) in enumerate(zip(keys, staged, strict=True)):
            uploads[i] = stage_object(store, bucket, key, local)  # staged files are ours
        journal = {k: u.journal for k, u in zip(keys, uploads, strict=True) if u and u.journal}
        # Undone from here if the attempt fails (its multipart uploads aborted too).
        ctx.fence.note(
            plan.name, plan.type, {**written, "uploads": journal} if journal else written
        )
        for key, upload in zip(keys, uploads, strict=True):
            assert upload is not None
            upload.send()  # the transfer, outside the lease: invisible until committed
            # Only the publishing step holds the lease: a takeover waits for one short call.
            with ctx.fence.publishing():
                upload.commit()
            put.append(key)
            upload.settle()  # durable before the outcome is recorded, after the lease
    except TidemillError:
        for key, upload in zip(keys, uploads, strict=True):
            if upload is not None and key not in put:
                with suppress(TidemillError):
                    upload.abort()
        doomed = [key for key in put if key not in previous]
        if doomed:
            # Under the lease, as they were published: an attempt that lost it (the failure may
            # be just that) leaves them to the batch's holder, whose attempt may have written
            # the same keys since (docs/decisions.md, session 6 breaker); its undo of this one
            # deletes what the journal names.
            with suppress(TidemillError), ctx.fence.publishing():
                for key in doomed:
                    store.delete(bucket, key)
        raise
    stale = previous | (set(existing) if layout.save_mode == "overwrite" else set())
    delete_keys(store, bucket, sorted(stale - set(keys)), ctx.fence)
    return ExportOutcome(
        plan.name,
        plan.type,
        SUCCESSFUL,
        f"{len(keys)} file(s) under {where}",
        rows=ctx.rows,
        written=written,
    )


def save_mode_outcome(
    plan: ExportPlan, layout: FileLayout, where: str, existing: Sequence[str],
    written: dict[str, Any],
) -> ExportOutcome | None:  # fmt: skip
    """What saveMode (spec §8.9) makes of `existing` files at `where` (other than this batch's
    own earlier attempts): errorIfExists raises StateError naming one; ignore answers a
    Skipped outcome carrying `written` (what earlier attempts wrote); otherwise None (write)."""
    if existing and layout.save_mode == "errorIfExists":
        raise StateError(
            Failure.INTERNAL,
            f"{where} already has {len(existing)} file(s), e.g. {existing[0]}, and saveMode is"
            " errorIfExists",
        )
    if existing and layout.save_mode == "ignore":
        return ExportOutcome(
            plan.name, plan.type, SKIPPED,
            f"{where} already has files; saveMode ignore: nothing written", written=written,
        )  # fmt: skip
    return None


def stage_files(ctx: ExportContext, layout: FileLayout, stage: Path) -> list[StagedFile]:
    """Produce the part files locally; (partition path, part index, file), in key order."""
    con = _rows.open_result(ctx, stage)
    try:
        if _whole_columns(layout):
            select = "*"  # the result's columns as they are: no DESCRIBE (1-2 ms) needed
        else:
            columns = _rows.result_columns(con, ctx)
            data = [c for c in columns if c[0] not in layout.partition_by]
            select = _select(layout, data)
        options = _copy_options(layout)
        src = f"read_parquet({quote_literal(str(ctx.result))}, file_row_number = true)"
        count = layout.file_count
        raw = stage / "raw"
        try:
            with written_back(raw, WRITEBACK_EVERY):
                if count == 1 and not layout.partition_by:
                    raw.mkdir()
                    out = raw / f"part{PART_COLUMN}=0.data"
                    whole = _rows.source(ctx)  # no row numbers needed: they cost ~30% here
                    target = quote_literal(str(out))
                    con.execute(f"COPY (SELECT {select} FROM {whole}) TO {target} ({options})")
                    found = [("", 0, out)]
                else:
                    partitions = [quote_identifier(p) for p in layout.partition_by]
                    spread = f"(file_row_number * {count}) // {max(ctx.rows, 1)}"
                    query = "SELECT " + ", ".join(
                        [select, *partitions, f"{spread} AS {PART_COLUMN}"]
                    )
                    by = ", ".join([*partitions, PART_COLUMN])
                    con.execute(
                        f"COPY ({query} FROM {src}) TO {quote_literal(str(raw))}"
                        f" ({options}, PARTITION_BY ({by}))"
                    )
                    found = _collect(raw)
                    if not layout.partition_by:
                        found = _fill_missing(con, found, count, select, src, options, raw)
        except duckdb.Error as exc:
            raise BackendError(Failure.INTERNAL, f"cannot write the export files: {exc}") from exc
    finally:
        con.close()
    return [(part, index, _finish(layout, path)) for part, index, path in found]


# Seconds between two flushes of the staged files while DuckDB writes them: what it wrote since
# the last flush is what the publish's fsync waits for, on the export's path (0.1 s left up to
# ~13 MB of a Parquet file written at ~130 MB/s here, 5-13 ms of fsync; 0.02 s, 2.5-6 ms), and
# each look costs ~0.1 ms of CPU (docs/performance.md, "session 6, groupby").
WRITEBACK_EVERY = 0.02


def _whole_columns(layout: FileLayout) -> bool:
    """Whether the one file holds every column of the result unchanged (Parquet, or ORC
    converted from it; one file, no partition columns: read without `file_row_number`, which
    `*` would take along): its select list is `*`, whatever the types."""
    return (
        layout.format in ("parquet", "orc") and not layout.partition_by and layout.file_count == 1
    )


def _select(layout: FileLayout, data: Sequence[_rows.Column]) -> str:
    if layout.format == "text":
        return f"{_rows.text_line(data)} AS line"
    if not data:
        raise BackendError(Failure.INTERNAL, "every column is a partition column: no data left")
    if layout.format in ("json", "csv"):
        return ", ".join(_rows.plain(c) for c in data)
    return ", ".join(quote_identifier(name) for name, _ in data)


def _copy_options(layout: FileLayout) -> str:
    fmt, codec = layout.format, layout.compression
    native = "gzip" if codec == "gzip" else "none"
    if fmt == "parquet":
        return f"FORMAT parquet, COMPRESSION {_DUCKDB_PARQUET[codec]}"
    if fmt == "orc":
        return "FORMAT parquet, COMPRESSION uncompressed"
    if fmt == "json":
        return f"FORMAT json, COMPRESSION {native}"
    if fmt == "csv":
        header = "true" if layout.header else "false"
        return (
            f"FORMAT csv, DELIMITER {quote_literal(layout.delimiter)}, HEADER {header},"
            f" COMPRESSION {native}"
        )
    # text: one pre-rendered line per row, written verbatim (no quoting, no escaping)
    return f"FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER chr(1), COMPRESSION {native}"


def _collect(raw: Path) -> list[StagedFile]:
    found: list[StagedFile] = []
    for directory, _, files in os.walk(raw):
        if not files:
            continue
        relative = Path(directory).relative_to(raw).as_posix()
        *partition, part = relative.split("/")
        if not part.startswith(f"{PART_COLUMN}=") or len(files) != 1:
            raise BackendError(Failure.INTERNAL, f"unexpected export staging layout {relative}")
        prefix = "".join(p + "/" for p in partition)
        found.append((prefix, int(part.split("=", 1)[1]), Path(directory) / files[0]))
    return sorted(found, key=lambda item: (item[0], item[1]))


def _fill_missing(
    con: duckdb.DuckDBPyConnection,
    found: list[StagedFile],
    count: int,
    select: str,
    src: str,
    options: str,
    raw: Path,
) -> list[StagedFile]:
    """Empty part files for the parts that got no rows: exactly `count` files (§8.2)."""
    have = {index for _, index, _ in found}
    for index in range(count):
        if index in have:
            continue
        out = raw / f"empty-{index}.data"
        con.execute(
            f"COPY (SELECT {select} FROM {src} LIMIT 0) TO {quote_literal(str(out))} ({options})"
        )
        found.append(("", index, out))
    return sorted(found, key=lambda item: (item[0], item[1]))


def _finish(layout: FileLayout, path: Path) -> Path:
    """Turn a staged DuckDB file into the final one: ORC conversion or a stream codec."""
    if layout.format == "orc":
        import pyarrow.orc as orc
        import pyarrow.parquet as pq

        out = path.with_suffix(".orc")
        table = pq.read_table(path)
        orc.write_table(table, str(out), compression=_ORC_CODECS[layout.compression])
        path.unlink()
        return out
    if layout.format != "parquet" and layout.compression not in ("none", "gzip"):
        out = path.with_suffix(".packed")
        compress_file(path, out, layout.compression)
        path.unlink()
        return out
    return path
