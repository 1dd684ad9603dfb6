"""core.cdn_logs: the Qiniu CDN access-log line parser (spec §4.2.3, D-8)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tidemill.core.cdn_logs import parse_line
from tidemill.core.datasources import FUSION_SCHEMA


def test_a_typical_line_gives_every_field_in_schema_order() -> None:
    line = (
        '1.2.3.4 HIT 12 [05/Mar/2024:14:03:09 +0800] "GET /a.png?x=1 HTTP/1.1" 200 5120'
        ' "https://ref.example/p" "Mozilla/5.0 (X11; Linux x86_64)"'
    )
    row = parse_line(line)
    assert row == (
        "1.2.3.4", "HIT", 12, datetime(2024, 3, 5, 6, 3, 9, tzinfo=UTC), "GET", "/a.png?x=1",
        "HTTP/1.1", 200, 5120, "https://ref.example/p", "Mozilla/5.0 (X11; Linux x86_64)",
    )  # fmt: skip
    assert len(row) == len(FUSION_SCHEMA)


def test_dashes_are_null_numbers_and_ipv6_and_quoted_agents_parse() -> None:
    line = (
        '2001:db8::1 MISS - [05/Mar/2024:14:03:09 -0130] "POST /up load HTTP/2.0" - -'
        ' "-" "A "quoted" agent with  spaces"\r\n'
    )
    row = parse_line(line)
    assert row is not None
    assert row[0] == "2001:db8::1"
    assert (row[2], row[7], row[8]) == (None, None, None)
    assert row[3] == datetime(2024, 3, 5, 15, 33, 9, tzinfo=UTC)
    assert row[5] == "/up load"
    assert row[9] == "-"
    assert row[10] == 'A "quoted" agent with  spaces'


def test_a_line_longer_than_64_kib_parses_whole() -> None:
    url = "/q?" + "a" * 70_000
    agent = "agent " * 12_000
    line = f'::1 - 3 [01/Jan/2024:00:00:00 +0000] "GET {url} HTTP/1.1" 206 1 "-" "{agent}"'
    row = parse_line(line)
    assert row is not None
    assert row[5] == url
    assert row[10] == agent
    assert row[1] == "-"


@pytest.mark.parametrize(
    "line",
    [
        "",
        "garbage",
        '1.2.3.4 HIT 12 [05/Mar/2024:14:03:09 +0800] "GET /a HTTP/1.1" 200 5120 "-"',
        '1.2.3.4 HOT 12 [05/Mar/2024:14:03:09 +0800] "GET /a HTTP/1.1" 200 5120 "-" "ua"',
        '1.2.3.4 HIT x [05/Mar/2024:14:03:09 +0800] "GET /a HTTP/1.1" 200 5120 "-" "ua"',
        '1.2.3.4 HIT 1 [31/Feb/2024:14:03:09 +0800] "GET /a HTTP/1.1" 200 5120 "-" "ua"',
        '1.2.3.4 HIT 1 [05/Foo/2024:14:03:09 +0800] "GET /a HTTP/1.1" 200 5120 "-" "ua"',
        '1.2.3.4 HIT 1 [05/Mar/2024:14:03:09 +0860] "GET /a HTTP/1.1" 200 5120 "-" "ua"',
        '1.2.3.4 HIT 1 [05/Mar/2024:14:03:09 +0800] "GET /a" 200 5120 "-" "ua"',
        '1.2.3.4 HIT 1 [05/Mar/2024:14:03:09 +0800] "GET /a HTTP/1.1" 2.5 5120 "-" "ua"',
        '1.2.3.4 HIT 1 [05/Mar/2024:14:03:09 +0800] "GET /a HTTP/1.1" 200 5120 "-" "ua" x',
    ],
)
def test_other_shapes_are_bad_lines(line: str) -> None:
    assert parse_line(line) is None
