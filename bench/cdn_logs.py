"""CDN-log parsing figure for `make bench` (issue 12): lines parsed per second by the fusion
reader (`engines.duckdb.cdn`: Python parser into Parquet, then a DuckDB view) vs plain DuckDB
`regexp_extract` of the same pattern over the same gz files, each side ending with a
`count(*), sum(bytes)` over the parsed rows, one thread.
"""

from __future__ import annotations

import gzip
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tests.cdn_corpus import _line

from tidemill.core.cdn_logs import _LINE
from tidemill.engines.duckdb import cdn

LINES = 400_000
NAMES = "[" + ", ".join(f"'g{i}'" for i in range(1, 12)) + "]"  # every group, as a struct
FILES = 4


def make(directory: Path) -> list[Path]:
    rng = random.Random(1)
    start = datetime(2024, 3, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    paths = []
    for index in range(FILES):
        body = "\n".join(
            _line(rng, start + timedelta(seconds=rng.randrange(3600)), 200)
            for _ in range(LINES // FILES)
        )
        path = directory / f"part-{index}.gz"
        path.write_bytes(gzip.compress((body + "\n").encode(), 6))
        paths.append(path)
    return paths


def ours(paths: list[Path], scratch: Path) -> tuple[float, int]:
    began = time.perf_counter()
    parsed = cdn.parse_files([(p, p.name, "gzip") for p in paths], scratch, "t")
    con = duckdb.connect(config={"threads": 1})
    cdn.register(con, "t", parsed)
    row = con.execute("SELECT count(*), sum(bytes) FROM t").fetchone()
    return time.perf_counter() - began, int(row[0]) if row else 0


def plain(paths: list[Path]) -> tuple[float, int]:
    pattern = _LINE.pattern.replace("[\\r\\n]*", "")
    listed = ", ".join(f"'{p}'" for p in paths)
    began = time.perf_counter()
    con = duckdb.connect(config={"threads": 1})
    row = con.execute(
        f"""SELECT count(*), sum(TRY_CAST(f.g9 AS BIGINT)) FROM (
              SELECT regexp_extract(line, $1, {NAMES}) AS f FROM read_csv([{listed}],
                columns={{'line': 'VARCHAR'}}, header=false, delim=chr(0), quote='',
                escape='', compression='gzip', auto_detect=false)
              WHERE regexp_full_match(line, $1)
            )""",
        [pattern],
    ).fetchone()
    return time.perf_counter() - began, int(row[0]) if row else 0


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = make(Path(folder))
        ours_s, ours_rows = ours(paths, Path(folder) / "scratch")
        plain_s, plain_rows = plain(paths)
    assert ours_rows == plain_rows == LINES, (ours_rows, plain_rows)
    print(f"cdn logs: {LINES} lines, {FILES} gz files, 1 thread")
    print(f"  fusion reader (parse → Parquet → view): {LINES / ours_s:,.0f} lines/s")
    print(f"  DuckDB regexp_extract:                  {LINES / plain_s:,.0f} lines/s")
    print(f"  ratio ours/plain: {plain_s / ours_s:.2f}")


if __name__ == "__main__":
    main()
