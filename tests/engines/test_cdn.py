"""engines.duckdb.cdn: CDN log files as a typed view, bad lines counted with their place."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from tidemill.engines.duckdb import cdn
from tidemill.errors import Failure, InvalidInputError

GOOD = '1.2.3.4 HIT 12 [05/Mar/2024:14:03:09 +0800] "GET /a.png HTTP/1.1" 200 5120 "-" "curl/8.0"'


def test_lines_become_typed_rows_and_bad_ones_are_counted_with_their_place(
    tmp_path: Path,
) -> None:
    long_agent = "x" * 70_000
    plain = tmp_path / "a.log"
    plain.write_bytes(
        "\n".join([GOOD, "not a line", GOOD.replace('"curl/8.0"', f'"{long_agent}"')]).encode()
        + b"\n"
    )
    packed = tmp_path / "b.gz"
    packed.write_bytes(gzip.compress(GOOD.encode() + b"\n\xff\xfe broken\n" + GOOD.encode()))
    empty = tmp_path / "c.log"
    empty.write_bytes(b"")
    parsed = cdn.parse_files(
        [(plain, "d/a.log", ""), (packed, "d/b.gz", "gzip"), (empty, "d/c.log", "")],
        tmp_path / "scratch", "t",
    )  # fmt: skip
    assert (parsed.lines, parsed.bad, parsed.first_bad) == (6, 2, "d/a.log:2")
    assert "2 of 6 CDN log lines" in parsed.note and "d/a.log:2" in parsed.note
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    cdn.register(con, "t", parsed)
    rows = con.execute(
        'SELECT ip, "responseTime", CAST(time AS VARCHAR), "statusCode", bytes,'
        ' length("userAgent") FROM t'
    ).fetchall()
    assert len(rows) == 4
    assert rows[0] == ("1.2.3.4", 12, "2024-03-05 06:03:09+00", 200, 5120, 8)
    assert sorted(r[5] for r in rows) == [8, 8, 8, 70_000]
    with pytest.raises(InvalidInputError) as exc:
        parsed.check("t", 0.01)
    assert exc.value.failure is Failure.DS_VERIFY_FORMAT
    assert "d/a.log:2" in exc.value.message and "1.00%" in exc.value.message
    parsed.check("t", 0.5)  # 2 of 6 is within a half


def test_no_files_is_an_empty_view_and_other_codecs_are_refused(tmp_path: Path) -> None:
    con = duckdb.connect()
    cdn.register(con, "t", cdn.parse_files([], tmp_path / "s", "t"))
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
    other = tmp_path / "a.zst"
    other.write_bytes(b"zz")
    with pytest.raises(InvalidInputError) as exc:
        cdn.parse_files([(other, "d/a.zst", "zstd")], tmp_path / "s", "u")
    assert "d/a.zst" in exc.value.message and "gzip" in exc.value.message
    broken = tmp_path / "b.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(InvalidInputError) as exc:
        cdn.parse_files([(broken, "d/b.gz", "gzip")], tmp_path / "s", "v")
    assert exc.value.failure is Failure.DS_VERIFY_FORMAT and "d/b.gz" in exc.value.message
