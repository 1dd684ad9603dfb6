"""An export's DuckDB keeps its temporary files under the batch's scratch (removed with it, and
swept after a killed worker), never in `.tmp` under the worker's working directory, DuckDB's
default for an in-memory database, where a statement that reaches the memory limit made one."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from tests.exporters.support import context, make_result
from tidemill.exporters import _rows
from tidemill.storage.local_buckets import LocalBuckets

BIG_SORT = (
    "SELECT count(*), count(DISTINCT b) FROM"
    " (SELECT range AS a, md5(range::VARCHAR) AS b FROM range(3000000) ORDER BY b)"
)


def test_an_exports_database_spills_under_the_scratch_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    ctx = context(make_result(tmp_path / "w"), LocalBuckets(tmp_path / "b"), tmp_path / "s")
    con = _rows.open_result(replace(ctx, memory_limit="40MB"))
    try:
        # Whether it fits is DuckDB's business; where it spilled is ours.
        with suppress(duckdb.OutOfMemoryException):
            con.execute(BIG_SORT).fetchall()
        assert not (cwd / ".tmp").exists()
        ((spill,),) = con.execute("SELECT current_setting('temp_directory')").fetchall()
        assert Path(spill).is_relative_to(ctx.scratch)
    finally:
        con.close()
