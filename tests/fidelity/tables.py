"""The shared tables every corpus case may read: small, typed, and full of edge values.

Both engines read them from the same Parquet files (`tests/fidelity/datafiles.py`), with the
types Tidemill's reader gives each valtype (spec §3.2): long BIGINT, float DOUBLE, date an
instant (TIMESTAMP in Spark, TIMESTAMPTZ in DuckDB), string, boolean. Every column of `t`, `u`
and `nums` holds a NULL somewhere. Changing a row changes Spark's answers: re-record the
categories whose cases read the table (`python -m tests.fidelity record`).

* `t` — the general table, 10 rows: `id` 1..10 (unique, never NULL); `g` a small group key;
  `s` text with spaces, unicode, '', '-', a comma list, quotes, a newline and a tab; `n` longs:
  negative, zero, past 32 bits, a repeat (10 twice); `x` doubles with fractions, a repeat
  (1.5 twice), negative and zero; `ts` instants with and without fractions (milli, micro),
  at and near midnight in Asia/Shanghai, the Unix epoch, a leap day and one inside Shanghai's
  1988 summer time (+09:00); `b` booleans; `num_str` numbers as text ('42', '-7', '3.14', ' 12 ',
  '1e3', '0', '-', 'abc', blanks); `json` JSON text (objects, arrays, nesting, duplicate keys,
  'null', malformed); `url` URLs (userinfo, port, query, fragment, repeated keys, percent
  escapes, IDN, relative, mailto).
* `u` — 8 rows to join with `t` on `u.t_id = t.id`: ids matching one, two or no `t` row, a NULL
  `t_id`, and `name`, `amount`, `created`, `active`.
* `logs` — `text`: 9 access-log lines as a text datasource reads them (one column), including a
  `-` byte count, an IPv6 client, a non-ASCII path, an empty line and a line that is not a log.
* `nums` — special numbers, 9 rows: `x` NaN, ±Infinity, -0.0, tiny and huge doubles, 0.1 and
  0.2; `l` the long extremes ±(2**63-1) and -2**63; `d` small doubles with a fractional part for
  rounding (0.5, 1.5, 2.5, -0.5, -1.5, 1.005, 2.675).
* `empty` — `id`, `s`, `x`, `ts`: no rows (aggregates over nothing, outer joins).
"""

from __future__ import annotations

from tests.fidelity.case import Table

T = Table(
    columns=(
        ("id", "long"),
        ("g", "string"),
        ("s", "string"),
        ("n", "long"),
        ("x", "float"),
        ("ts", "date"),
        ("b", "boolean"),
        ("num_str", "string"),
        ("json", "string"),
        ("url", "string"),
    ),
    rows=(
        (1, "a", "hello", 10, 1.5, "2009-07-30T10:15:30.123+08:00", True, "42",
         '{"a":1,"b":"x","c":[1,2,3],"d":{"e":true}}',
         "https://user:pw@example.com:8080/path/to/page.html?q=spark&lang=en#frag"),
        (2, "b", "Hello World", -3, -2.25, "2026-11-29T23:59:59.5+08:00", False, "-7",
         '{"a":2,"b":null,"c":[]}', "http://example.org/index.html"),
        (3, "a", "", 0, 0.0, "2026-11-30T00:00:00+08:00", True, "3.14", "[1,2,3]",
         "https://example.com/?a=1&a=2&b="),
        (4, "c", "  padded  ", 1234567890123, 12345.6789, "1970-01-01T00:00:00Z", None, " 12 ",
         "not json", "ftp://files.example.net/pub/file.tar.gz"),
        (5, "b", "日本語 café ü", 7, None, "1988-07-01T12:00:00+09:00", True, "abc",
         '{"a":"say \\"hi\\"","b":1.5e3}', None),
        (6, None, None, None, None, None, None, None, None, None),
        (7, "a", "-", -1000000, 0.1, "2000-02-29T13:45:00.000001+08:00", False, "-", "{}",
         "https://例子.测试/路径?名字=值"),
        (8, "c", "a,b,,c", 1000, 100.0, "2026-01-01T00:00:00.999999+08:00", True, "1e3",
         '{"a":[{"b":1},{"b":2}]}', "https://example.com/search?q=a%20b&x=%E4%B8%AD"),
        (9, "b", "It's \"quoted\"", 42, -0.5, "2026-11-30T23:59:59.999+08:00", False, "0",
         '{"a":1,"a":2}', "/relative/path?x=1"),
        (10, "a", "line1\nline2\ttab", 10, 1.5, "2026-11-30T08:00:00Z", True, "  ", "null",
         "mailto:someone@example.com"),
    ),
)  # fmt: skip

U = Table(
    columns=(
        ("id", "long"),
        ("t_id", "long"),
        ("name", "string"),
        ("amount", "float"),
        ("created", "date"),
        ("active", "boolean"),
    ),
    rows=(
        (101, 1, "alpha", 10.5, "2026-11-01T09:00:00+08:00", True),
        (102, 1, "alpha2", 20.25, "2026-11-02T09:00:00+08:00", False),
        (103, 2, "beta", -5.0, "2026-11-03T00:00:00+08:00", True),
        (104, 4, "delta", 0.0, "2026-11-04T23:59:59+08:00", None),
        (105, 42, "orphan", 1.0, "2026-11-05T12:30:00.250+08:00", True),
        (106, None, "no parent", None, None, False),
        (107, 7, None, 3.75, "2025-12-31T16:00:00Z", True),
        (108, 10, "ten", 1000000.0, "2026-11-30T00:00:00+08:00", False),
    ),
)

LOGS = Table(
    columns=(("text", "string"),),
    rows=(
        ('203.0.113.10 - - [30/Nov/2026:10:15:30 +0800] "GET /index.html HTTP/1.1" 200 37431'
         ' "-" "Mozilla/5.0"',),
        ('192.0.2.33 - alice [30/Nov/2026:10:15:31 +0800] "GET /video.mp4 HTTP/1.1" 206'
         ' 1048576 "https://example.com/" "curl/8.0"',),
        ('198.51.100.7 - - [30/Nov/2026:10:16:02 +0800] "POST /api/v1/items?id=3 HTTP/2.0" 500'
         ' - "-" "python-requests/2.32"',),
        ('2001:db8::1 - - [30/Nov/2026:23:59:59 +0800] "GET /%E4%B8%AD%E6%96%87.html HTTP/1.1"'
         ' 404 512 "-" "Mozilla/5.0"',),
        ('203.0.113.10 - - [01/Dec/2026:00:00:00 +0800] "HEAD /health HTTP/1.1" 304 0 "-"'
         ' "kube-probe/1.29"',),
        ("",),
        ("not a log line at all",),
        ('192.0.2.33 - - [30/Nov/2026:10:15:30 +0800] "GET /路径/文件 HTTP/1.1" 200 999'
         ' "-" "Mozilla/5.0"',),
        (None,),
    ),
)  # fmt: skip

NUMS = Table(
    columns=(("id", "long"), ("x", "float"), ("l", "long"), ("d", "float")),
    rows=(
        (1, float("nan"), 9223372036854775807, 0.5),
        (2, float("inf"), -9223372036854775807, 1.5),
        (3, float("-inf"), -9223372036854775808, 2.5),
        (4, -0.0, 0, -0.5),
        (5, 1e-300, 1, -1.5),
        (6, 1e300, -1, 1.005),
        (7, 0.1, 2147483647, 2.675),
        (8, 0.2, 2147483648, None),
        (9, None, None, 0.125),
    ),
)

EMPTY = Table(
    columns=(("id", "long"), ("s", "string"), ("x", "float"), ("ts", "date")),
    rows=(),
)

TABLES: dict[str, Table] = {"t": T, "u": U, "logs": LOGS, "nums": NUMS, "empty": EMPTY}
