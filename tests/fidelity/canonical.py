"""The canonical form of answers, and how two answers are compared (docs/decisions.md,
"Spark fidelity harness").

Values are JSON-able, as the result endpoint shows them: None, bool, int, str, float (NaN and
±Infinity as the strings "NaN", "Infinity", "-Infinity"), lists, and dicts with string keys.

* Instants (Spark TIMESTAMP, DuckDB TIMESTAMPTZ) are RFC 3339 text in the session zone:
  `2009-07-30T10:15:30.123000+08:00`, seconds only when there is no fraction (the shape
  `tidemill.engines.duckdb.database.rfc3339_sql` writes). A Spark DATE is midnight in the
  zone, a Spark TIMESTAMP_NTZ its wall-clock time in the zone: the `date` valtype is an instant.
* Decimals are floats (valtype float); binary is base64 text; Spark Row / DuckDB struct →
  dict of field → value; maps → dict with each key in canonical form turned into text (JSON text
  unless it is already a string); arrays → lists.
* Doubles compare equal within a relative 1e-9 (or both within 1e-300 of zero): Spark and DuckDB
  sum in different orders (partial aggregates per partition/thread), so the last bits of a sum or
  an average may differ while the value is the same. Integers compare exactly; an int never
  equals a float, and a bool never equals a number.
* Rows compare in order when the case says `ordered`, else as multisets.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import uuid
import zoneinfo
from collections.abc import Sequence
from typing import Any

REL_TOL = 1e-9
ABS_TOL = 1e-300


def rfc3339(moment: dt.datetime, zone: str) -> str:
    """An aware datetime as RFC 3339 text in `zone` (fraction only when non-zero)."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    text = local.isoformat(timespec="microseconds" if local.microsecond else "seconds")
    return text


def number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def value(v: Any, zone: str) -> Any:
    """`v` (a Python value either engine's client returned) in canonical form.

    Aware datetimes become RFC 3339 in `zone`; naive datetimes and dates keep the ISO text the
    result endpoint prints for them (callers convert Spark's zone-less values first).
    """
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return number(v)
    if isinstance(v, decimal.Decimal):
        return number(float(v))
    if isinstance(v, dt.datetime):
        return rfc3339(v, zone) if v.tzinfo is not None else v.isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, dict):
        return {key_text(value(k, zone)): value(x, zone) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [value(x, zone) for x in v]
    if isinstance(v, uuid.UUID):
        return str(v)
    return str(v)


def key_text(k: Any) -> str:
    return k if isinstance(k, str) else json.dumps(k, sort_keys=True, ensure_ascii=False)


def same(a: Any, b: Any) -> bool:
    """Canonical values `a` and `b` are equal (doubles within REL_TOL)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _sort_key(row: Sequence[Any]) -> str:
    def rounded(v: Any) -> Any:
        if isinstance(v, float):
            return float(f"{v:.8g}")
        if isinstance(v, list):
            return [rounded(x) for x in v]
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        return v

    return json.dumps([rounded(v) for v in row], sort_keys=True, ensure_ascii=False)


def same_rows(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]], ordered: bool) -> bool:
    """Row lists `a` and `b` are equal: in order, or as multisets."""
    if len(a) != len(b):
        return False
    if not ordered:
        a, b = sorted(a, key=_sort_key), sorted(b, key=_sort_key)
    return all(same(list(x), list(y)) for x, y in zip(a, b, strict=True))


def unmatched(
    a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]], ordered: bool
) -> tuple[list[Sequence[Any]], list[Sequence[Any]]]:
    """The rows of `a` with no equal row in `b`, and of `b` with none in `a` (for messages).

    Ordered: the rows at the positions where the lists differ.
    """
    if ordered:
        pairs = [(x, y) for x, y in zip(a, b, strict=False) if not same(list(x), list(y))]
        return (
            [x for x, _ in pairs] + list(a[len(b) :]),
            [y for _, y in pairs] + list(b[len(a) :]),
        )
    rest = list(b)
    only_a = []
    for row in a:
        match = next((i for i, other in enumerate(rest) if same(list(row), list(other))), None)
        if match is None:
            only_a.append(row)
        else:
            rest.pop(match)
    return only_a, rest
