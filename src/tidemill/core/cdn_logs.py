"""Qiniu CDN (Fusion) access-log lines → the fixed fusion schema (spec §4.2.3, D-8).

One line is::

    IP HIT|MISS|- responseTime [dd/MMM/yyyy:HH:mm:ss Z] "METHOD URL PROTOCOL" status bytes
    "referer" "user agent"

(one line, wrapped here)
and becomes the row (`core.datasources.FUSION_SCHEMA` order)::

    (ip, hit, responseTime, time, method, url, protocol, statusCode, bytes, referer, userAgent)

Examples (`parse_line`)::

    1.2.3.4 HIT 12 [05/Mar/2024:14:03:09 +0800] "GET /a.png?x=1 HTTP/1.1" 200 5120 "-" "curl/8.0"
      → ("1.2.3.4", "HIT", 12, 2024-03-05 06:03:09 UTC, "GET", "/a.png?x=1", "HTTP/1.1",
         200, 5120, "-", "curl/8.0")
    2001:db8::1 MISS - [05/Mar/2024:14:03:09 +0000] "POST /up load HTTP/2.0" 404 -
      "https://r/" "A "quoted" agent"                                  (one line)
      → ("2001:db8::1", "MISS", None, 2024-03-05 14:03:09 UTC, "POST", "/up load", "HTTP/2.0",
         404, None, "https://r/", 'A "quoted" agent')

Rules:

* Fields are separated by single spaces. `ip` is any run of non-space characters (IPv4, IPv6,
  bracketed IPv6). `hit` is `HIT`, `MISS` or `-` (kept as written).
* `responseTime`, `status` and `bytes` are decimal integers (at most 18 digits) or `-`,
  which is NULL.
* `time` is `[dd/MMM/yyyy:HH:mm:ss ±hhmm]` with an English month abbreviation; it becomes an
  aware UTC instant (the zone offset is honoured).
* The request is `"METHOD URL PROTOCOL"`: the method is up to the first space, the protocol
  after the last space, the URL (which may hold spaces, not quotes) in between.
* `referer` runs from its opening quote to the first `" "` (quote, space, quote); the user
  agent is everything from there to the quote that ends the line, so it may hold quotes and
  spaces. Nothing is unescaped: values are kept as the CDN wrote them.
* A line has no length limit. Trailing `\\r`/`\\n` are not part of it; an empty line is bad.
* Any other shape is a bad line: `parse_line` returns None and the reader counts it (the
  batch's message says how many and where the first one is; above the configured share the
  batch fails).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["RawRow", "Row", "parse_fields", "parse_line"]

# ip, hit, responseTime, time, method, url, protocol, statusCode, bytes, referer, userAgent
Row = tuple[str, str, int | None, datetime, str, str, str, int | None, int | None, str, str]
# the same, with time as microseconds since 1970-01-01 UTC
RawRow = tuple[str, str, int | None, int, str, str, str, int | None, int | None, str, str]

_NUMBER = r"(\d{1,18}|-)"
_LINE = re.compile(
    r"(\S+) (HIT|MISS|-) " + _NUMBER + r" \[(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d"
    r" [+-]\d{4})\] \"([^\s\"]+) ([^\"]*) ([^\s\"]+)\" "
    + _NUMBER
    + " "
    + _NUMBER
    + r" \"(.*?)\" \"(.*)\"[\r\n]*",
    re.ASCII,  # digits are 0-9 only
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS: dict[tuple[str, str, str], int | None] = {}  # (dd, MMM, yyyy) → days since the epoch
_MICROS = 1_000_000


def _day(day: str, month: str, year: str) -> int | None:
    key = (day, month, year)
    if key in _DAYS:
        return _DAYS[key]
    number = _MONTHS.get(month)
    found: int | None = None
    if number is not None:
        try:
            found = (datetime(int(year), number, int(day), tzinfo=UTC) - _EPOCH).days
        except ValueError:  # 31/Feb, year 0 ...
            found = None
    if len(_DAYS) < 100_000:
        _DAYS[key] = found
    return found


_STAMP = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)")
_STAMPS: dict[str, int | None] = {}  # "dd/MMM/yyyy:HH:mm:ss Z" → microseconds (a cache)


def _micros(stamp: str) -> int | None:
    """Microseconds since 1970-01-01 UTC of a `dd/MMM/yyyy:HH:mm:ss ±hhmm` time, None if it
    names no real time (31/Feb, 24:00, +2460)."""
    if stamp in _STAMPS:
        return _STAMPS[stamp]
    parts = _STAMP.fullmatch(stamp)
    if parts is None:  # _LINE matched it: never
        return None
    day, month, year, hour, minute, second, sign, zh, zm = parts.groups()
    days = _day(day, month, year)
    h, m, sec, oh, om = int(hour), int(minute), int(second), int(zh), int(zm)
    found: int | None = None
    if days is not None and h < 24 and m < 60 and sec < 60 and oh < 24 and om < 60:
        offset = (oh * 3600 + om * 60) * (-1 if sign == "-" else 1)
        found = (days * 86_400 + h * 3600 + m * 60 + sec - offset) * _MICROS
    if len(_STAMPS) >= 200_000:
        _STAMPS.clear()
    _STAMPS[stamp] = found
    return found


def parse_fields(line: str) -> RawRow | None:
    """`parse_line` with `time` as microseconds since 1970-01-01 UTC (what a columnar writer
    takes without building a datetime per line)."""
    match = _LINE.fullmatch(line)
    if match is None:
        return None
    ip, hit, response, stamp, method, url, protocol, status, size, referer, agent = match.groups()
    micros = _micros(stamp)
    if micros is None:
        return None
    return (
        ip, hit, None if response == "-" else int(response), micros, method, url, protocol,
        None if status == "-" else int(status), None if size == "-" else int(size), referer,
        agent,
    )  # fmt: skip


def parse_line(line: str) -> Row | None:
    """The row of one CDN log line (module docstring for the shape), None for a bad line."""
    raw = parse_fields(line)
    if raw is None:
        return None
    moment = _EPOCH + timedelta(microseconds=raw[3])
    ip, hit, response, _, method, url, protocol, status, size, referer, agent = raw
    return (ip, hit, response, moment, method, url, protocol, status, size, referer, agent)
