"""The DuckDB engine (`tidemill.engines.base.Engine`): Spark SQL translated by `dialect`, run
in a sealed in-process database that reads only the batch's input files.

A run: each table's files are made local (`io.files.local_path`) and read by a SELECT
(`reading`) that the query takes as a CTE (or a view: `database.with_sources`); the query is
written to a Parquet file in a private scratch directory (spilling there beyond
`plan.limits.memory`), and that file is uploaded to `plan.result_uri`
while the lease holds. The database can read only the input files' directories and the
scratch directory, write only the scratch directory, and load no extension (`database.seal`).

Given `RunIO.keep` (a worker), a small run that ends well leaves its database for the next run
of the same account: sealed to one directory of that account under `keep`, into which each
run's inputs are hard-linked (docs/decisions.md, "A kept DuckDB database").
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tidemill.core import sql
from tidemill.core.models import SchemaField
from tidemill.core.plans import BatchPlan
from tidemill.engines.base import (
    EXCEEDED,
    Committed,
    RunIO,
    Stopped,
    keep_area,
    localise_inputs,
)
from tidemill.engines.duckdb import _locate, cdn, dialect, figures
from tidemill.engines.duckdb.database import (
    apply_limits,
    check_tables_known,
    conform,
    inlinable,
    open_engine,
    output_schema,
    quote_identifier,
    quote_literal,
    seal,
    with_sources,
)
from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.engines.duckdb.reading import source_error, source_query
from tidemill.errors import BackendError, Failure
from tidemill.writeback import written_back

STOP_POLL = 0.05  # seconds between looks at `io.stop` while a query runs
# Seconds between two flushes of the result while DuckDB writes it, and between two looks
# until it has data: a GROUP BY's result comes in its last ~0.1 s, a few MB at a time
# (docs/performance.md, "GROUP BY ... (session 5, groupby)").
RESULT_WRITEBACK_EVERY, RESULT_WRITEBACK_FIRST = 0.01, 0.05
# Spark's 64-bit wraparound: every sum, and every arithmetic on longs, calls it.
WARM_MACROS = tuple(dialect.macros_for("tidemill_wrap64()"))
TRANSLATIONS_KEPT = 64  # translated queries a worker remembers (its jobs' runs repeat)
_MACRO_ORDER = {text: i for i, text in enumerate(dialect.MACROS)}
# A run's database is kept for the next run of its account (`RunIO.keep`) when DuckDB's peak
# buffer memory stayed within this: a small batch, whose database start (~14 ms of CPU) is most
# of its cost. A larger run's database is closed, and its memory with it.
KEEP_PEAK_MEMORY = 256 * 2**20  # bytes (a trivial query peaks at 32-64 MiB: the Parquet writer)
KEEP_INPUTS = 256  # a run with more input files is not linked into the kept directory

Limits = tuple[str, int, str]  # (time zone, threads, memory limit) as `seal` sets them
Schemas = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # BatchPlan.schemas(), frozen
Key = tuple[str, Schemas]  # a plan's SQL and its tables' columns
Conformed = tuple[str, tuple[tuple[str, str], ...]]  # `conform`'s query and (name, valtype)s
# A remembered `conform`'s key: the plan's, and each upstream result table's `_footer`.
ConformKey = tuple[Key, tuple[tuple[str, str], ...]]
# Tables whose columns `reading.source_query` casts to their declared types: a query over
# them has the same output types whatever the files (an upstream result's view has its file's
# types, which the upstream's engine chose; a CDN table is parsed by `cdn`).
TYPED_BY_SCHEMA = frozenset({"parquet", "json", "csv", "text"})


class _Translation(NamedTuple):
    """A plan's query as DuckDB runs it, the CREATE MACRO statements (`dialect.macros_for`)
    and Python function names (`dialect.functions_for`) it calls, the names of the tables it
    reads (lower case), and whether those can be CTEs of its own WITH (`database.inlinable`)."""

    query: str
    macros: tuple[str, ...]
    functions: tuple[str, ...]
    reads: frozenset[str]
    inlined: bool


@dataclass(frozen=True, slots=True)
class _Warm:
    """What a pre-opened database was given before its run's plan came: the CREATE MACRO
    statements run, the limits set (None: none), the Python functions registered."""

    macros: tuple[str, ...] = ()
    limits: Limits | None = None
    functions: tuple[str, ...] = ()
    tracked: bool = False  # `figures.track` ran


@dataclass(frozen=True, slots=True)
class _Area:
    """The engine's directory under `RunIO.keep` for one account's runs (`keep_area`), locked
    while it lives: the kept database may read and write it only. `owner`: the account (id,
    name); `keep`: the `RunIO.keep` it lies under."""

    path: Path
    lock: int
    owner: tuple[int, str]
    keep: Path

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self.lock)


class DuckDBEngine:
    """Runs Spark SQL on DuckDB. One run at a time; `check` may be called from any thread."""

    name = "duckdb"

    def __init__(self) -> None:
        self._spare: duckdb.DuckDBPyConnection | None = None
        self._spare_warm = _Warm()  # what `_spare` was given
        self._next_warm = _Warm(WARM_MACROS)  # what the next spare is given: see prepare
        self._retired: duckdb.DuckDBPyConnection | None = None  # see _retire
        self._leftovers: list[Path] = []  # the last run's directory: see _close_retired
        self._has: set[str] = set()  # the macros the run's database has (`_sealed`)
        self._functions: set[str] = set()  # the Python functions it has registered
        self._limits: Limits | None = None  # and the limits it was set to
        # The database a run of `_area`'s account left sealed to that directory (`_keep`),
        # what it has (`_Warm`), and whether the last run used it.
        self._area: _Area | None = None
        self._kept: duckdb.DuckDBPyConnection | None = None
        self._kept_warm = _Warm()
        self._reused = False
        # The macros the sources' SELECTs of this engine's runs called (`_typed`): every
        # database opened ahead gets them all (at most ten, one per valtype and requiredness).
        self._sourced: set[str] = set()
        self._translated: OrderedDict[Key, _Translation] = OrderedDict()
        self._conformed: OrderedDict[ConformKey, Conformed] = OrderedDict()

    def check(self, sql: str, tables: Mapping[str, Sequence[SchemaField]]) -> list[SchemaField]:
        columns = {name: [(f.key, f.valtype) for f in fields] for name, fields in tables.items()}
        return [SchemaField(key, vt) for key, vt in output_schema(sql, columns)]

    def prepare(self) -> None:
        """Between runs: close the last run's database and open the next run's (each ~15 ms
        that would otherwise lie between a trigger and its Successful), with what the last
        run's plan needed that the next one likely needs too (its macros and `WARM_MACROS`,
        its limits): a run then sets only what differs (`_sealed`). None is opened while the
        last run used a kept database (`_keep`): the next run of its account uses it too."""
        self._close_retired()
        if self._spare is None and not (self._reused and self._kept is not None):
            warm = self._next_warm
            # A run adds the other macros and functions its query calls. The run's statements
            # are profiled from here (`figures.track`): its COPY is the last.
            try:
                con = open_engine(
                    warm.macros, warm.functions, limits=warm.limits, setup=figures.TRACK
                )
                warm = replace(warm, tracked=True)
            except BackendError:  # the run sets what was refused again, and fails as its own
                con = open_engine(warm.macros, warm.functions)
                warm = replace(warm, limits=None)
            self._spare, self._spare_warm = con, warm

    def close(self) -> None:
        """Close every database this engine holds (the kept one, the spare, the retired) and
        remove its kept directory and the last run's."""
        self._drop_kept()
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.close()
        self._close_retired()

    def _translate(self, plan: BatchPlan) -> str:
        """The plan's query for DuckDB (`dialect.to_duckdb`): `_translation`'s query."""
        return self._translation(plan).query

    def _translation(self, plan: BatchPlan) -> _Translation:
        """The plan's query for DuckDB (`dialect.to_duckdb`, a pure function of the SQL and
        the tables' columns) once its tables are known to be the plan's (`check_tables_known`),
        with the macros and functions it calls: all three remembered for the last
        TRANSLATIONS_KEPT queries, as a job's runs translate the same SQL over the same columns
        each time (the check parses the SQL again, ~0.5 ms). Refusals are not kept."""
        key = _key(plan)
        found = self._translated.get(key)
        if found is not None:
            self._translated.move_to_end(key)
            return found
        query = to_duckdb(plan.sql, plan.schemas())  # InvalidInputError for what it refuses
        referenced = sql.referenced_tables(plan.sql)
        check_tables_known(referenced, plan.schemas())
        macros = tuple(dialect.macros_for(query))
        reads = frozenset(name.lower() for name in referenced)
        translation = _Translation(
            query, macros, tuple(dialect.functions_for(query, macros)), reads,
            inlinable(query, [t.table for t in plan.tables]),
        )  # fmt: skip
        self._translated[key] = translation
        if len(self._translated) > TRANSLATIONS_KEPT:
            self._translated.popitem(last=False)
        return translation

    def _conform(
        self,
        con: duckdb.DuckDBPyConnection,
        plan: BatchPlan,
        query: str,
        sources: Mapping[str, str],
        local: Mapping[str, Path],
    ) -> tuple[str, list[tuple[str, str]]]:
        """`conform(con, query, sources)`, remembered like translations when the query's
        output types, and so the casts `conform` adds, depend only on what the key holds:
        every table of the plan is a datasource read by `source_query` (TYPED_BY_SCHEMA),
        whose columns are cast to their declared types (the SQL and the declared columns are
        the key), or an upstream result, whose view has the types DuckDB reads from its file's
        Parquet schema (`_footer`, part of the key: another schema is another key). Not on the
        files otherwise, nor on `sources`, which name them: the query remembered does not hold
        them. `local`: the run's local file of each input URI. Saves the DESCRIBE (~1.1-1.4 ms,
        a bind of the whole query) on a job's later runs, a depend child's too."""
        key = _conform_key(plan, local)
        found = self._conformed.get(key) if key is not None else None
        if found is not None and key is not None:
            self._conformed.move_to_end(key)
            return found[0], list(found[1])
        conformed, columns = conform(con, query, sources)
        if key is not None:
            self._conformed[key] = (conformed, tuple(columns))
            if len(self._conformed) > TRANSLATIONS_KEPT:
                self._conformed.popitem(last=False)
        return conformed, columns

    def run(self, plan: BatchPlan, io: RunIO) -> Committed:
        query, macros, functions, reads, inlined = self._translation(plan)
        self._close_retired()
        area, scratch = self._run_dir(plan, io)
        with ExitStack() as stack:
            stack.callback(self._leave, scratch)  # removed after the answer
            if io.stop is not None and io.stop.is_set():
                raise Stopped()
            local = localise_inputs(plan, io, stack)
            # A database sealed to the account's kept directory reads the inputs there; a query
            # whose tables are views (not inlined) is not kept: views outlive its run.
            linked = _linked(local, scratch / "in") if area is not None and inlined else None
            if linked is not None:
                local = linked
            con = self._sealed(
                plan, scratch, local, macros, functions, area if linked is not None else None
            )
            kept = [False]  # set once the run has ended well and its database may serve more
            stack.callback(lambda: self._keep(con) if kept[0] else self._retire(con))
            # Each table a SELECT over its files; the query reads those it names as CTEs of its
            # own WITH (one bind, in the COPY, instead of a CREATE VIEW's and the COPY's:
            # docs/performance.md, session 7), or as views when its WITH cannot take them.
            bodies, notes = _sources(con, plan, local, scratch / "cdn")
            sources = {name: body for name, body in bodies.items() if name.lower() in reads}
            self._add_macros(
                con, dialect.macros_for(" ".join((sources if inlined else bodies).values()))
            )
            if not inlined:
                _create_views(con, bodies)
                sources = {}
            out = scratch / "out"  # the result alone: the spill files are never flushed
            out.mkdir()
            temporary = out / "result.parquet"
            with (
                _stopping(con, io.stop),
                written_back(out, RESULT_WRITEBACK_EVERY, RESULT_WRITEBACK_FIRST),
            ):
                try:
                    conformed, columns = self._conform(con, plan, query, sources, local)
                    cpu = figures.clock()
                    row = con.execute(
                        f"COPY ({with_sources(conformed, sources)})"
                        f" TO {quote_literal(str(temporary))} (FORMAT parquet)"
                    ).fetchone()
                except duckdb.Error as exc:
                    if io.stop is not None and io.stop.is_set():
                        raise Stopped() from exc
                    raise source_error(con, exc) or BackendError(
                        Failure.INTERNAL, _describe(exc)
                    ) from exc
            if io.stop is not None and io.stop.is_set():
                raise Stopped()
            measured = figures.read(con, cpu)
            io.publish_result(plan.result_uri, temporary)
            keys = sql.schema_keys(name for name, _ in columns)
            schema = [SchemaField(k, vt) for k, (_, vt) in zip(keys, columns, strict=True)]
            rows = int(row[0]) if row else 0
            peak = measured.get("peak_memory_bytes")
            kept[0] = linked is not None and peak is not None and peak <= KEEP_PEAK_MEMORY
            return Committed(schema, rows, plan.result_uri, "; ".join(notes), measured)

    def _add_macros(self, con: duckdb.DuckDBPyConnection, macros: Sequence[str]) -> None:
        """Create those of `macros` (the sources' SELECTs call them) that `con` lacks, in one
        call (none once a database opened ahead has them), and have every database opened
        from now on get them ahead."""
        missing = [m for m in macros if m not in self._has]
        if not missing:
            return
        try:
            con.execute(";\n".join(missing))
        except duckdb.Error as exc:
            raise BackendError(Failure.INTERNAL, f"cannot create macros: {exc}") from exc
        self._has.update(missing)
        self._sourced.update(missing)
        given = sorted({*self._next_warm.macros, *missing}, key=_MACRO_ORDER.__getitem__)
        self._next_warm = replace(self._next_warm, macros=tuple(given))

    def _retire(self, con: duckdb.DuckDBPyConnection) -> None:
        """Keep the run's database open until `prepare` or the next run: closing it joins its
        threads, ~15 ms that would otherwise delay the batch's answer. Its result is already
        published; at most one retired database is ever held."""
        self._close_retired()
        self._retired = con

    def _leave(self, directory: Path) -> None:
        self._leftovers.append(directory)

    def _close_retired(self) -> None:
        """Close the retired database, then remove the last run's directory (its spill files
        and what is left of its output): in a worker this runs in `prepare`, after the batch's
        answer, so the removal (a few ms when the disk's journal is busy) is off the batch's
        path. A worker killed before that leaves it to the runner, which removes the batch's
        whole scratch directory after every attempt (`Slot._run`)."""
        con, self._retired = self._retired, None
        if con is not None:
            con.close()
        leftovers, self._leftovers = self._leftovers, []
        for directory in leftovers:
            shutil.rmtree(directory, ignore_errors=True)

    def _sealed(
        self,
        plan: BatchPlan,
        scratch: Path,
        local: Mapping[str, Path],
        macros: Sequence[str] = (),
        functions: Sequence[str] = (),
        area: _Area | None = None,
    ) -> duckdb.DuckDBPyConnection:
        """The run's database with the `macros` and Python `functions` its query calls and the
        plan's limits: it may read only its inputs' directories and `scratch`, or with `area`
        (the inputs linked into `scratch` inside it) only `area`, and is then the database
        kept there when there is one (`_keep`). Otherwise the pre-opened database is used when
        there is one. What a database was given already (`_Warm`) is not done again."""
        limits: Limits = (plan.zone, plan.limits.threads, plan.limits.memory)
        given = sorted({*WARM_MACROS, *self._sourced, *macros}, key=_MACRO_ORDER.__getitem__)
        self._next_warm = _Warm(tuple(given), limits, tuple(functions))
        self._limits = limits
        kept = self._kept if area is not None else None
        self._reused = kept is not None
        con: duckdb.DuckDBPyConnection | None
        if kept is not None:
            con, warm, self._kept = kept, self._kept_warm, None  # back once the run ends well
        else:
            con, warm, self._spare = self._spare, self._spare_warm, None
        if con is None:
            con = open_engine(macros, functions)
            warm = _Warm(tuple(macros), None, tuple(functions))
        missing = [m for m in macros if m not in warm.macros]
        self._has = {*warm.macros, *macros}
        self._functions = {*warm.functions, *functions}
        unregistered = [f for f in functions if f not in warm.functions]
        try:
            if missing:
                con.execute(";\n".join(missing))
            if unregistered:
                dialect.register_functions(con, unregistered)
        except duckdb.Error as exc:
            con.close()
            raise BackendError(Failure.INTERNAL, f"cannot create macros: {exc}") from exc
        if not warm.tracked:
            try:
                figures.track(con)
            except duckdb.Error as exc:
                con.close()
                raise BackendError(Failure.INTERNAL, f"cannot profile the run: {exc}") from exc
        # Only the limits that differ from those set ahead, in the sealing's one call.
        set_ = warm.limits or (None, None, None)
        zone = None if set_[0] == plan.zone else plan.zone
        threads = None if set_[1] == plan.limits.threads else plan.limits.threads
        memory = None if set_[2] == plan.limits.memory else plan.limits.memory
        if kept is not None:  # sealed to `area` already
            apply_limits(con, time_zone=zone, threads=threads, memory_limit=memory)
            return con
        if area is not None:
            allowed, spill = [str(area.path)], area.path / "spill"
        else:
            allowed = sorted({str(scratch), *(str(path.parent) for path in local.values())})
            spill = scratch / "spill"
        return seal(
            con, time_zone=zone, threads=threads, memory_limit=memory,
            allowed_directories=allowed, temp_directory=str(spill),
        )  # fmt: skip

    def _run_dir(self, plan: BatchPlan, io: RunIO) -> tuple[_Area | None, Path]:
        """The run's kept directory (`_area_for`) and its own new directory, in that one or
        else in `io.scratch`. A kept directory removed by something else (an operator, a
        sweep that misjudged) is dropped with its database, and a new one made."""
        area = self._area_for(plan, io)
        if area is not None and not area.path.is_dir():  # removed under it: made again
            self._drop_kept()
            area = self._area_for(plan, io)
        return area, Path(tempfile.mkdtemp(prefix=".run-", dir=area.path if area else io.scratch))

    def _area_for(self, plan: BatchPlan, io: RunIO) -> _Area | None:
        """The kept directory of `plan`'s account under `io.keep`, made when there is none:
        another account's (or one under another `keep`) is removed first, with the database
        kept there. None when `io.keep` is None or the directory cannot be made: nothing is
        then kept, and the run is sealed to its own directories as before."""
        owner = (plan.account, plan.scope.name)
        area = self._area
        if area is not None and (area.owner != owner or area.keep != io.keep):
            self._drop_kept()
            area = None
        if area is None and io.keep is not None:
            try:
                path, lock = keep_area(io.keep)
            except OSError:
                return None
            area = self._area = _Area(path, lock, owner, io.keep)
        return area

    def _keep(self, con: duckdb.DuckDBPyConnection) -> None:
        """Keep the run's database (sealed to `_area`) for the next run of its account, with
        what it has now; the last run's files are removed before that run starts
        (`_close_retired`), so it reads only its own."""
        _locate.forget(con)
        if self._kept is not None:  # never: `_sealed` took it; closed rather than leaked
            self._kept.close()
        self._kept = con
        self._kept_warm = _Warm(
            tuple(self._has), self._limits, tuple(self._functions), tracked=True
        )

    def _drop_kept(self) -> None:
        """Close the kept database and remove its directory (another account's run came)."""
        con, self._kept = self._kept, None
        if con is not None:
            con.close()
        area, self._area = self._area, None
        if area is not None:
            area.remove()


def _key(plan: BatchPlan) -> Key:
    return (
        plan.sql,
        tuple((name, tuple((k, t) for k, t in cols)) for name, cols in plan.schemas().items()),
    )


def _conform_key(plan: BatchPlan, local: Mapping[str, Path]) -> ConformKey | None:
    """The key `DuckDBEngine._conform` remembers the plan's query under; None when its
    output types may depend on more (a CDN table's, or an upstream result whose footer
    cannot be read: its DESCRIBE then says what is wrong)."""
    footers = []
    for table in plan.tables:
        if table.result is not None:
            footer = _footer(local[table.result])
            if footer is None:
                return None
            footers.append((table.table, footer))
        elif table.file_type not in TYPED_BY_SCHEMA:
            return None
    return _key(plan), tuple(footers)


def _footer(path: Path) -> str | None:
    """What DuckDB takes a Parquet file's column types from, as text: its schema (each
    column's physical and logical type, nesting and repetition), its writer and its key-value
    metadata; read by pyarrow from the footer (~0.3 ms of CPU in a worker, where its code is
    cold after DuckDB's work; ~0.04 in a loop), against ~1.1-1.3 ms for the DESCRIBE it lets a
    run skip. None when it cannot be read.

    The printed schema shows column names as they are, and a name may hold a newline and a
    made-up type (an upstream job's SQL alias): two files of other types could print alike
    (tests/engines/test_duckdb_engine.py, break8). So the text begins with the columns'
    names as Arrow serialises them (each name's length, then its bytes, nested ones too):
    with every name known, the printed lines between them can be read one way only."""
    try:
        meta = pq.read_metadata(path)
        names = meta.schema.to_arrow_schema().serialize().to_pybytes().hex()
    except (OSError, ValueError, pa.ArrowException):  # any of pyarrow's (its NotImplemented too)
        return None
    schema = str(meta.schema).partition("\n")[2]  # its first line is the object's address
    return f"{names}\n{meta.created_by}\n{sorted((meta.metadata or {}).items())}\n{schema}"


def _linked(local: Mapping[str, Path], into: Path) -> dict[str, Path] | None:
    """A hard link to each input file (URI → path) in the new directory `into`, named
    `<n>-<its name>` (the suffix kept: DuckDB reads compression from it); None when one cannot
    be linked (another file system, a link) or there are more than KEEP_INPUTS: the run then
    reads them where they are. Links, not symbolic links: DuckDB follows a symbolic link
    before it checks `allowed_directories`."""
    if len(local) > KEEP_INPUTS:
        return None
    try:
        into.mkdir()
        linked = {}
        for n, (uri, path) in enumerate(local.items()):
            target = into / f"{n}-{path.name}"
            os.link(path, target, follow_symlinks=False)
            if not stat.S_ISREG(os.lstat(target).st_mode):
                return None
            linked[uri] = target
    except OSError:
        return None
    return linked


def _sources(
    con: duckdb.DuckDBPyConnection, plan: BatchPlan, local: Mapping[str, Path], cdn_dir: Path
) -> tuple[dict[str, str], list[str]]:
    """A SELECT per table of `plan` (by name), over its local files; the notes of CDN log
    tables (bad lines skipped). DS_VERIFY_FORMAT when a table's bad lines exceed its share.
    Every table's files are checked as before (a csv header, Parquet footers) whether or
    not the query reads it."""
    bodies: dict[str, str] = {}
    notes: list[str] = []
    for table in plan.tables:
        if table.result is not None:
            path = quote_literal(str(local[table.result]))
            bodies[table.table] = f"SELECT * FROM read_parquet({path})"
            continue
        files = [local[f.uri] for f in table.files]
        names = {local[f.uri]: f.name or f.uri for f in table.files}
        if table.file_type == "fusion":
            logs = [(local[f.uri], f.name or f.uri, f.compression) for f in table.files]
            parsed = cdn.parse_files(logs, cdn_dir, table.table)
            parsed.check(table.table, table.bad_line_share)
            bodies[table.table] = cdn.query(parsed)
            if parsed.note:
                notes.append(f"table {table.table}: {parsed.note}")
            continue
        bodies[table.table] = source_query(
            con, files, file_type=table.file_type,
            schema=[SchemaField(k, t, r) for k, t, r in table.schema],
            delimiter=table.delimiter, contains_header=table.contains_header, names=names,
        )  # fmt: skip
    return bodies, notes


def _create_views(con: duckdb.DuckDBPyConnection, bodies: Mapping[str, str]) -> None:
    """A view per table (name → SELECT), for a query whose WITH cannot take them."""
    for name, body in bodies.items():
        try:
            con.execute(f"CREATE VIEW {quote_identifier(name)} AS {body}")
        except duckdb.Error as exc:
            raise BackendError(Failure.INTERNAL, f"cannot create the view {name!r}: {exc}") from exc


@contextmanager
def _stopping(con: duckdb.DuckDBPyConnection, stop: threading.Event | None) -> Iterator[None]:
    """Interrupt `con`'s running statement once `stop` is set, for the block's duration."""
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:  # again and again: an interrupt between two statements is lost
        while not done.is_set():
            if stop.wait(STOP_POLL):
                con.interrupt()
                done.wait(STOP_POLL)

    watcher = threading.Thread(target=watch, name="tidemill-engine-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _describe(exc: duckdb.Error) -> str:
    text = str(exc).split("\n")[0]
    kind = type(exc).__name__.removesuffix("Exception").removesuffix("Error")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"{EXCEEDED}: use a larger container or a query that needs less ({text})"
    return f"the query failed ({kind}): {text}"
