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
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["Row", "parse_line"]

# ip, hit, responseTime, time, method, url, protocol, statusCode, bytes, referer, userAgent
Row = tuple[str, str, int | None, datetime, str, str, str, int | None, int | None, str, str]

_NUMBER = r"(\d{1,18}|-)"
_LINE = re.compile(
    r"(\S+) (HIT|MISS|-) " + _NUMBER + r" \[(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d)"
    r" ([+-])(\d\d)(\d\d)\] \"([^\s\"]+) ([^\"]*) ([^\s\"]+)\" "
    + _NUMBER
    + " "
    + _NUMBER
    + r" \"(.*?)\" \"(.*)\"[\r\n]*"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_ZONES: dict[tuple[str, str, str], timezone] = {}


def _zone(sign: str, hours: str, minutes: str) -> timezone | None:
    key = (sign, hours, minutes)
    zone = _ZONES.get(key)
    if zone is None:
        offset = timedelta(hours=int(hours), minutes=int(minutes))
        if offset >= timedelta(hours=24) or int(minutes) >= 60:
            return None
        zone = _ZONES[key] = timezone(-offset if sign == "-" else offset)
    return zone


def _number(text: str) -> int | None:
    return None if text == "-" else int(text)


def parse_line(line: str) -> Row | None:
    """The row of one CDN log line (module docstring for the shape), None for a bad line."""
    match = _LINE.fullmatch(line)
    if match is None:
        return None
    (ip, hit, response, day, month, year, hour, minute, second, sign, zh, zm, method, url,
     protocol, status, size, referer, agent) = match.groups()  # fmt: skip
    month_number = _MONTHS.get(month)
    zone = _zone(sign, zh, zm)
    if month_number is None or zone is None:
        return None
    try:
        local = datetime(
            int(year), month_number, int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:  # 31/Feb, 25:00 ...
        return None
    return (
        ip, hit, _number(response), local.astimezone(UTC), method, url, protocol,
        _number(status), _number(size), referer, agent,
    )  # fmt: skip
