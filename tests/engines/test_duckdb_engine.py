"""The DuckDB engine's own side of the contract: what the engine suite cannot see from outside
(the database a run gets: its limits, and file access shut even for SQL that got past the
translation)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tidemill.core.models import AccountScope, SchemaField
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.base import RunIO
from tidemill.engines.duckdb import dialect
from tidemill.engines.duckdb.database import open_engine
from tidemill.engines.duckdb.engine import WARM_MACROS, DuckDBEngine, _Warm
from tidemill.engines.duckdb.reading import register_source
from tidemill.errors import BackendError, Failure, InvalidInputError
from tidemill.storage.local import LocalFiles, file_uri


def plan(threads: int, memory: str) -> BatchPlan:
    return BatchPlan(
        1, AccountScope("a", frozenset()), "j", 1, "SELECT 1 AS n", (), "mem://r/x.parquet",
        Limits(threads, memory), "Asia/Shanghai",
    )  # fmt: skip


def test_a_run_database_has_the_plans_threads_memory_and_zone(tmp_path: Path) -> None:
    engine = DuckDBEngine()
    engine.prepare()

    con = engine._sealed(plan(3, "300MiB"), tmp_path, {})
    try:
        threads, memory, zone, spill = (
            con.execute(
                "SELECT current_setting('threads'), current_setting('memory_limit'),"
                " current_setting('TimeZone'), current_setting('temp_directory')"
            ).fetchone()
            or ()
        )
    finally:
        con.close()

    assert (threads, zone, spill) == (3, "Asia/Shanghai", str(tmp_path / "spill"))
    assert memory in ("300.0 MiB", "314.5 MB")  # DuckDB prints the limit in its own unit


def test_a_run_database_reads_and_writes_only_its_directories(tmp_path: Path) -> None:
    inputs, scratch, other = tmp_path / "in", tmp_path / "scratch", tmp_path / "other"
    for directory in (inputs, scratch, other):
        directory.mkdir()
    (inputs / "a.csv").write_text("x\n1\n")
    (other / "secret.csv").write_text("x\n42\n")
    con = DuckDBEngine()._sealed(plan(1, "100MiB"), scratch, {"u": inputs / "a.csv"})
    try:
        assert con.execute(f"SELECT x FROM read_csv('{inputs / 'a.csv'}')").fetchall() == [(1,)]
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_csv('{other / 'secret.csv'}')")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"COPY (SELECT 1) TO '{other / 'out.csv'}'")
        with pytest.raises(duckdb.Error):
            con.execute("INSTALL httpfs")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()
    assert not (other / "out.csv").exists()


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[object, ...]:
    return (
        con.execute(
            "SELECT current_setting('threads'), current_setting('memory_limit'),"
            " current_setting('TimeZone')"
        ).fetchone()
        or ()
    )


def test_a_database_opened_like_the_last_run_still_gets_its_own_plans_limits(
    tmp_path: Path,
) -> None:
    """`prepare` opens the next database with the last plan's limits and macros; a plan
    with other limits, or the same, gets exactly its own."""
    engine = DuckDBEngine()
    engine.prepare()
    engine._sealed(plan(3, "300MiB"), tmp_path, {}).close()
    engine.prepare()  # made like the plan above
    con = engine._sealed(plan(3, "300MiB"), tmp_path, {})
    try:
        assert _settings(con)[0::2] == (3, "Asia/Shanghai")
        assert _settings(con)[1] in ("300.0 MiB", "314.5 MB")
    finally:
        con.close()
    engine.prepare()
    con = engine._sealed(plan(1, "300MiB"), tmp_path, {})  # only the threads differ
    try:
        assert _settings(con)[0::2] == (1, "Asia/Shanghai")
        assert _settings(con)[1] in ("300.0 MiB", "314.5 MB")
    finally:
        con.close()
    engine.prepare()
    other = BatchPlan(
        1, AccountScope("a", frozenset()), "j", 1, "SELECT 1 AS n", (), "mem://r/x.parquet",
        Limits(1, "100MiB"), "America/Los_Angeles",
    )  # fmt: skip
    con = engine._sealed(other, tmp_path, {})
    try:
        threads, memory, zone = _settings(con)
    finally:
        con.close()
    assert (threads, zone) == (1, "America/Los_Angeles")
    assert memory in ("100.0 MiB", "104.8 MB")


def test_a_database_duckdb_refused_to_open_ahead_is_opened_plain_and_the_run_sets_its_limits(
    tmp_path: Path,
) -> None:
    """A limit DuckDB refuses when `prepare` opens the next database (made like the last run)
    does not stop the worker: that database is opened without it, and the run sets its own."""
    engine = DuckDBEngine()
    engine._next_warm = _Warm(WARM_MACROS, ("UTC", 1, "a lot"))
    engine.prepare()
    assert engine._spare_warm.limits is None
    con = engine._sealed(plan(2, "200MiB"), tmp_path, {})
    try:
        threads, memory, zone = _settings(con)
    finally:
        con.close()
    assert (threads, zone) == (2, "Asia/Shanghai")
    assert memory in ("200.0 MiB", "209.7 MB")


def test_a_run_has_every_macro_its_query_calls_whatever_the_last_run_needed(
    tmp_path: Path,
) -> None:
    engine = DuckDBEngine()
    engine.prepare()
    wrap64 = dialect.macros_for("SELECT tidemill_wrap64(1)")
    engine._sealed(plan(1, "100MiB"), tmp_path, {}, wrap64).close()
    engine.prepare()  # holds tidemill_wrap64 (and the last run's macros) already
    wrap32 = dialect.macros_for("SELECT tidemill_wrap32(1)")
    con = engine._sealed(plan(1, "100MiB"), tmp_path, {}, wrap32)
    try:
        assert con.execute("SELECT tidemill_wrap32(2147483648)").fetchone() == (-2147483648,)
        assert con.execute("SELECT tidemill_wrap64(1)").fetchone() == (1,)
    finally:
        con.close()


def test_a_query_is_translated_for_its_columns_and_a_refusal_is_never_remembered() -> None:
    engine = DuckDBEngine()

    def typed(valtype: str, sql: str = "SELECT a + 1 AS b FROM t") -> BatchPlan:
        table = TablePlan("t", schema=(("a", valtype, False),))
        return BatchPlan(
            1, AccountScope("a", frozenset()), "j", 1, sql, (table,), "mem://r/x.parquet",
            Limits(1, "100MiB"), "UTC",
        )  # fmt: skip

    as_long, as_string = engine._translate(typed("long")), engine._translate(typed("string"))
    assert as_long != as_string  # Spark casts a string operand: the columns are in the key
    assert (
        engine._translate(typed("long"))
        == as_long
        == dialect.to_duckdb("SELECT a + 1 AS b FROM t", {"t": [("a", "long")]})
    )
    for _ in range(2):
        with pytest.raises(InvalidInputError):
            engine._translate(typed("long", "SELECT FROM WHERE"))


def test_a_run_has_the_python_functions_its_query_calls_and_its_macros_call(
    tmp_path: Path,
) -> None:
    """Functions are registered per run, as macros are: those the query (or a macro it calls)
    names, whatever the database opened ahead was given."""
    engine = DuckDBEngine()
    engine.prepare()
    engine._sealed(plan(1, "100MiB"), tmp_path, {}).close()  # a run that called none
    engine.prepare()
    query = dialect.to_duckdb("""SELECT get_json_object('{"a": 1}', '$.a') AS d""", {})
    macros = dialect.macros_for(query)
    functions = dialect.functions_for(query, macros)
    assert functions == ["tidemill_json_first"]  # called by the macro the query calls
    con = engine._sealed(plan(1, "100MiB"), tmp_path, {}, macros, functions)
    try:
        assert con.execute(query).fetchall() == [("1",)]
    finally:
        con.close()
    engine.prepare()  # made like that run: holds the function already
    con = engine._sealed(plan(1, "100MiB"), tmp_path, {}, macros, functions)
    try:
        assert con.execute(query).fetchall() == [("1",)]
    finally:
        con.close()
    con = engine._sealed(plan(1, "100MiB"), tmp_path, {}, macros)  # opened now, no functions
    try:
        with pytest.raises(duckdb.CatalogException, match="tidemill_json_first"):
            con.execute(query)
    finally:
        con.close()


DECLARED = [SchemaField("b", "boolean"), SchemaField("n", "long"), SchemaField("x", "float"),
            SchemaField("d", "date"), SchemaField("s", "string")]  # fmt: skip
KINDS = ["BOOLEAN", "BIGINT", "DOUBLE", "TIMESTAMP WITH TIME ZONE", "VARCHAR"]


def _parquet(path: Path, select: str) -> Path:
    with duckdb.connect() as con:
        con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    return path


def test_a_datasource_view_has_its_declared_types_whatever_its_files_hold(
    tmp_path: Path,
) -> None:
    """What `DuckDBEngine._conform` remembers by: a view over any TYPED_BY_SCHEMA file type
    has the declared types, so a query over it has the same output types whatever the files."""
    (tmp_path / "a.json").write_text(
        '{"b": true, "n": 1, "x": 1.5, "d": "2026-01-01T00:00:00Z", "s": "a"}\n'
    )
    (tmp_path / "a.csv").write_text("b,n,x,d,s\ntrue,1,1.5,2026-01-01T00:00:00Z,a\n")
    narrow = _parquet(
        tmp_path / "narrow.parquet",
        "SELECT true AS b, 1::INTEGER AS n, 1.5::FLOAT AS x, DATE '2026-01-01' AS d, 'a' AS s",
    )
    wide = _parquet(
        tmp_path / "wide.parquet",
        "SELECT true AS b, 1::DECIMAL(18,0) AS n, 1::BIGINT AS x,"
        " TIMESTAMP '2026-01-01 00:00:00' AS d, 'a' AS s",
    )
    text = _parquet(
        tmp_path / "text.parquet",
        "SELECT 'true' AS b, '1' AS n, '1.5' AS x, '2026-01-01T00:00:00Z' AS d, 'a' AS s",
    )
    con = open_engine()
    try:
        for table, path, file_type in [
            ("j", tmp_path / "a.json", "json"), ("c", tmp_path / "a.csv", "csv"),
            ("p1", narrow, "parquet"), ("p2", wide, "parquet"), ("p3", text, "parquet"),
        ]:  # fmt: skip
            register_source(
                con, table, [path], file_type=file_type, schema=DECLARED, delimiter=",",
                contains_header=True,
            )  # fmt: skip
            assert [r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()] == KINDS, table
        register_source(con, "t", [tmp_path / "a.csv"], file_type="text",
                        schema=[SchemaField("line", "string")])  # fmt: skip
        assert [r[1] for r in con.execute("DESCRIBE t").fetchall()] == ["VARCHAR"]
    finally:
        con.close()


def test_a_jobs_later_runs_conform_as_its_first_over_other_files(tmp_path: Path) -> None:
    """The second run reuses the first run's `conform` (no DESCRIBE); its output is still
    typed as declared over a file whose column has another physical type."""
    engine = DuckDBEngine()
    (tmp_path / "scratch").mkdir()
    sql = "SELECT sum(n) AS total, max(n) AS top FROM t"
    results = []
    for run, select in enumerate(["SELECT 40::INTEGER AS n", "SELECT 2::DECIMAL(18,0) AS n"]):
        path = _parquet(tmp_path / f"in-{run}.parquet", select)
        table = TablePlan(
            "t", schema=(("n", "long", False),),
            files=(InputFile(file_uri(path), path.stat().st_size, "parquet"),),
            file_type="parquet",
        )  # fmt: skip
        result = tmp_path / "warehouse" / f"{run}.parquet"
        scope = AccountScope("a", frozenset())
        plan = BatchPlan(1, scope, "j", run, sql, (table,), file_uri(result),
                         Limits(1, "100MiB"), "UTC")  # fmt: skip
        committed = engine.run(plan, RunIO(LocalFiles(), scratch=tmp_path / "scratch"))
        assert len(engine._conformed) == 1
        written = pq.read_table(result)
        results.append((committed.schema, written.schema.types, written.to_pylist()))

    assert results[0][:2] == results[1][:2]
    assert [str(t) for t in results[1][1]] == ["int64", "int64"]
    assert [r[2] for r in results] == [[{"total": 40, "top": 40}], [{"total": 2, "top": 2}]]


def test_a_query_over_an_upstream_result_is_conformed_again_when_its_file_schema_changes(
    tmp_path: Path,
) -> None:
    """An upstream result's view has the types its file has (the upstream's engine chose
    them): its conform is remembered for that file's Parquet schema only. A later file with
    the same schema reuses it; one whose column is text gets its own (reusing the first would
    cast the text to BIGINT and fail)."""
    engine = DuckDBEngine()
    (tmp_path / "scratch").mkdir()
    answers = []
    for run, select in enumerate(
        ["SELECT 1::INTEGER AS n", "SELECT 41::INTEGER AS n", "SELECT 'x' AS n"], 1
    ):
        upstream = _parquet(tmp_path / f"up-{run}.parquet", select)
        table = TablePlan("up", schema=(("n", "long", False),), result=file_uri(upstream))
        result = tmp_path / f"r-{run}.parquet"
        committed = engine.run(
            BatchPlan(1, AccountScope("a", frozenset()), "j", run, "SELECT n AS m FROM up",
                      (table,), file_uri(result), Limits(1, "100MiB"), "UTC"),
            RunIO(LocalFiles(), scratch=tmp_path / "scratch"),
        )  # fmt: skip
        answers.append(
            (committed.schema, pq.read_table(result).to_pylist(), len(engine._conformed))
        )

    assert answers == [
        ([SchemaField("m", "long")], [{"m": 1}], 1),
        ([SchemaField("m", "long")], [{"m": 41}], 1),
        ([SchemaField("m", "string")], [{"m": "x"}], 2),
    ]


def test_an_upstream_result_that_is_no_parquet_file_is_never_remembered(tmp_path: Path) -> None:
    engine = DuckDBEngine()
    (tmp_path / "scratch").mkdir()
    upstream = tmp_path / "up.parquet"
    upstream.write_bytes(b"not parquet")
    table = TablePlan("up", schema=(("n", "long", False),), result=file_uri(upstream))
    plan = BatchPlan(
        1, AccountScope("a", frozenset()), "j", 1, "SELECT n AS m FROM up", (table,),
        file_uri(tmp_path / "r.parquet"), Limits(1, "100MiB"), "UTC",
    )  # fmt: skip

    with pytest.raises(BackendError):
        engine.run(plan, RunIO(LocalFiles(), scratch=tmp_path / "scratch"))
    assert engine._conformed == {}


def _json_run(
    engine: DuckDBEngine, tmp_path: Path, sql: str, lines: str, run: int = 1
) -> list[dict[str, object]]:
    """`sql` run by `engine` over table `t` (n long, m long) of one JSON file of `lines`."""
    source = tmp_path / f"in-{run}.json"
    source.write_text(lines)
    table = TablePlan(
        "t", schema=(("n", "long", False), ("m", "long", False)),
        files=(InputFile(file_uri(source), source.stat().st_size, "json"),), file_type="json",
    )  # fmt: skip
    result = tmp_path / "warehouse" / f"{run}.parquet"
    (tmp_path / "scratch").mkdir(exist_ok=True)
    plan = BatchPlan(1, AccountScope("a", frozenset()), "j", run, sql, (table,),
                     file_uri(result), Limits(1, "100MiB"), "UTC")  # fmt: skip
    engine.run(plan, RunIO(LocalFiles(), scratch=tmp_path / "scratch"))
    rows: list[dict[str, object]] = pq.read_table(result).to_pylist()
    return rows


@pytest.mark.parametrize(
    ("sql", "inlined", "rows"),
    [
        ("SELECT n FROM t", True, [{"n": 1}, {"n": 2}]),
        ("SELECT n, n FROM T ORDER BY n DESC", True, [{"n": 2, "n_1": 2}, {"n": 1, "n_1": 1}]),
        ("WITH x AS (SELECT n FROM t) SELECT sum(n) AS s FROM x", True, [{"s": 3}]),
        ("WITH RECURSIVE x AS (SELECT n FROM t) SELECT max(n) AS s FROM x", True, [{"s": 2}]),
        ("SELECT n FROM t WHERE n = 1 UNION ALL SELECT m FROM t WHERE n = 2", True,
         [{"n": 1}, {"n": 20}]),
        # The query's own CTE named like the table: the table is a view (Spark reads the CTE)
        ("WITH T AS (SELECT 5 AS n) SELECT n FROM t", False, [{"n": 5}]),
    ],
)  # fmt: skip
def test_a_querys_tables_are_ctes_of_its_own_with_unless_it_names_one_like_them(
    tmp_path: Path, sql: str, inlined: bool, rows: list[dict[str, object]]
) -> None:
    """`DuckDBEngine.run` gives the query its tables as CTEs of its WITH (one bind fewer than
    views, docs/performance.md session 7); the answer is the same either way, and a later run
    (its `conform` remembered) answers the same."""
    engine = DuckDBEngine()
    lines = '{"n": 1, "m": 10}\n{"n": 2, "m": 20}\n'
    assert _json_run(engine, tmp_path, sql, lines) == rows
    assert [t.inlined for t in engine._translated.values()] == [inlined]
    assert _json_run(engine, tmp_path, sql, lines, run=2) == rows


def test_a_table_inlined_checks_only_the_columns_the_query_reads(tmp_path: Path) -> None:
    """As a view's: a bad value fails the queries that read its column, naming file and line."""
    engine = DuckDBEngine()
    lines = '{"n": 1, "m": 10}\n{"n": 2, "m": 1.5}\n'
    assert _json_run(engine, tmp_path, "SELECT sum(n) AS s FROM t", lines) == [{"s": 3}]
    with pytest.raises(InvalidInputError, match=r"in-2\.json line 2.*\"m\" is \"1\.5\"") as bad:
        _json_run(engine, tmp_path, "SELECT sum(m) AS s FROM t", lines, run=2)
    assert bad.value.failure is Failure.DS_VERIFY_FORMAT


def test_the_macros_a_sources_select_calls_are_given_to_every_database_opened_ahead(
    tmp_path: Path,
) -> None:
    """A source's SELECT calls `_typed` macros (`tidemill_read_long` for `t`'s columns); the
    first run creates them, and every database `prepare` opens after it has them already."""
    engine = DuckDBEngine()
    engine.prepare()
    lines = '{"n": 1, "m": 10}\n'
    assert _json_run(engine, tmp_path, "SELECT sum(n) AS s FROM t", lines) == [{"s": 1}]
    created = dialect.macro_names(sorted(engine._sourced))
    assert sorted(created) == ["tidemill_bad_value", "tidemill_read_long"]
    for run in (2, 3):  # the next database, and the one after (not only the last run's)
        engine.prepare()
        assert engine._sourced <= set(engine._spare_warm.macros)
        assert _json_run(engine, tmp_path, "SELECT 1 AS one", lines, run) == [{"one": 1}]


def test_an_upstream_result_whose_column_names_mimic_the_footers_text_is_conformed_anew(
    tmp_path: Path,
) -> None:
    """break8: `_footer` was pyarrow's printed Parquet schema, which prints column names as
    they are: names holding a newline and a made-up annotation (an upstream job's SQL alias
    may say anything; keys are cut at 128 characters) made two files whose columns differ
    in type, a TIMESTAMPTZ and a naive TIMESTAMP, print alike under the same declared keys.
    The second run took the first's conform (no cast) and wrote the naive timestamp
    uncast: another instant than its DESCRIBE gives in a zone other than UTC."""
    p, q = "p" * 128, "q" * 128  # the keys keep the first 128 characters: both files' keys

    def ann(utc: str) -> str:
        return (
            f"Timestamp(isAdjustedToUTC={utc}, timeUnit=microseconds,"
            " is_from_converted_type=false, force_set_converted_type=false)"
        )

    line = "\n  required int64 field_id=-1 "
    first = f"{p} ({ann('false')});{line}{q}"
    second = f"{q} ({ann('true')});{line}{q}"
    at = "TIMESTAMPTZ '2026-01-01 00:00:00+00'"
    selects = [
        f'SELECT {at} AS "{first}", {at} AS "{q}"',
        f'SELECT TIMESTAMP \'2026-01-01 00:00:00\' AS "{p}", {at} AS "{second}"',
    ]
    (tmp_path / "scratch").mkdir()

    def run(engine: DuckDBEngine, index: int) -> object:
        upstream = _parquet(tmp_path / f"up-{index}.parquet", selects[index])
        table = TablePlan("up", schema=((p, "date", False), (q, "date", False)),
                          result=file_uri(upstream))  # fmt: skip
        result = tmp_path / f"r-{index}-{id(engine)}.parquet"
        engine.run(
            BatchPlan(1, AccountScope("a", frozenset()), "j", index + 1, "SELECT * FROM up",
                      (table,), file_uri(result), Limits(1, "100MiB"), "Asia/Shanghai"),
            RunIO(LocalFiles(), scratch=tmp_path / "scratch"),
        )  # fmt: skip
        return pq.read_table(result).to_pylist()

    remembering = DuckDBEngine()
    run(remembering, 0)
    assert run(remembering, 1) == run(DuckDBEngine(), 1)
