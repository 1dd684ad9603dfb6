"""A committed batch result to export, and readers for every written format."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.orc as orc
import pyarrow.parquet as pq

from tidemill.exporters.base import ExportContext, HttpOptions, Targets
from tidemill.exporters.codecs import decompress
from tidemill.storage.base import Buckets, Storage
from tidemill.storage.local import LocalFiles

ZONE = ZoneInfo("Asia/Shanghai")
COLUMNS = ["id", "country", "name", "t", "score", "ok"]


def make_result(directory: Path, rows: int = 10) -> Path:
    """result.parquet: long, string, string (with tab/newline/quote), date, float, boolean."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "result.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    con.execute(
        f"""COPY (SELECT range AS id, CASE WHEN range % 3 = 0 THEN 'US' ELSE 'CN' END AS country,
             'n' || range || CASE WHEN range = 1 THEN chr(9) || 'x"y' || chr(10) || 'z\\'
             ELSE '' END AS name,
             TIMESTAMPTZ '2026-11-23 10:00:00+08' + to_seconds(range) AS t,
             CASE WHEN range = 2 THEN NULL ELSE range / 4 END AS score,
             range % 2 = 0 AS ok
           FROM range({rows}) ORDER BY range) TO '{path}' (FORMAT parquet)"""
    )
    con.close()
    return path


def expected_rows(rows: int = 10) -> list[dict[str, Any]]:
    out = []
    for i in range(rows):
        name = f"n{i}" + ('\tx"y\nz\\' if i == 1 else "")
        out.append(
            {
                "id": i,
                "country": "US" if i % 3 == 0 else "CN",
                "name": name,
                "t": datetime(2026, 11, 23, 10, 0, i, tzinfo=ZONE),
                "score": None if i == 2 else i / 4,
                "ok": i % 2 == 0,
            }
        )
    return out


def context(
    result: Path,
    store: Buckets,
    scratch: Path,
    *,
    rows: int = 10,
    attempt: int = 0,
    now: datetime | None = None,
    targets: Targets | None = None,
    run_id: int = 1,
    files: Storage | None = None,
) -> ExportContext:
    scratch.mkdir(parents=True, exist_ok=True)
    moment = now or datetime(2026, 11, 23, 12, 30, 5, tzinfo=ZONE)
    return ExportContext(
        account=1,
        tenant="default",
        job="j",
        run_id=run_id,
        attempt=attempt,
        result=result,
        rows=rows,
        zone=ZONE,
        store=store,
        files=files or LocalFiles(),
        scratch=scratch,
        targets=targets
        or Targets(http=HttpOptions(timeout=5, retries=2, backoff=0.01), create_buckets=True),
        now=lambda: moment,
    )


def _normal(row: dict[str, Any]) -> dict[str, Any]:
    """Rows compared as text the way the row formats write them."""
    out = {}
    for key, value in row.items():
        if isinstance(value, datetime):
            value = value.astimezone(ZONE).isoformat()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif value is not None:
            value = str(value)
        out[key] = value
    return out


def read_rows(
    data: bytes,
    fmt: str,
    codec: str,
    *,
    delimiter: str = ",",
    header: bool = True,
    columns: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The rows of one written file, values as text (row formats) or typed (orc/parquet)."""
    names = columns or COLUMNS
    if fmt == "parquet":
        return [_normal(r) for r in pq.read_table(io.BytesIO(data)).to_pylist()]
    if fmt == "orc":
        return [_normal(r) for r in orc.read_table(io.BytesIO(data)).to_pylist()]
    text = decompress(data, codec).decode()
    lines = [line for line in text.split("\n") if line]
    if fmt == "json":
        return [_normal(json.loads(line)) for line in lines]
    if fmt == "csv":
        parsed = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        body = parsed[1:] if header else parsed
        if header:
            assert parsed[0] == names
        return [{k: (v if v != "" else None) for k, v in zip(names, r, strict=True)} for r in body]
    rows = []
    for line in lines:
        pairs = dict(pair.split("=", 1) for pair in line.split("\t"))
        rows.append({k: _unescape(pairs[k]) if k in pairs else None for k in names})
    return rows


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def normal_expected(rows: int = 10, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{k: v for k, v in _normal(r).items() if k not in drop} for r in expected_rows(rows)]
