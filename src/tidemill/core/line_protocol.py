"""InfluxDB 1.x line protocol for tsdb exports (spec §8.6). Pure: rows in, lines out.

`measurement,tag=v,tag=v field=v,field=v timestamp`. Tags with no value are left out (InfluxDB
refuses empty tag values); a row whose fields are all empty is invalid, as is an unparsable
timestamp: the caller drops it (omitInvalid) or fails the export.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

_NS = 1_000_000_000


class InvalidPoint(ValueError):
    """A row that cannot become a point; the message says why."""


def _escape_key(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def escape_measurement(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def _tag_value(value: Any) -> str | None:
    if value is None:
        return None
    text = rfc3339(value) if isinstance(value, datetime) else _scalar_text(value)
    if not text:
        return None
    if "\n" in text or "\r" in text:
        raise InvalidPoint(f"tag value {text[:40]!r} has a line break")
    return _escape_key(text)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidPoint(f"field value {value} is not a finite number")
        return repr(value)
    text = rfc3339(value) if isinstance(value, datetime) else str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def rfc3339(moment: datetime) -> str:
    return moment.isoformat()


def timestamp_ns(value: Any) -> int:
    """A timestamp column value as nanoseconds: date, RFC 3339 text, or epoch milliseconds."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return _to_ns(moment)
    if isinstance(value, bool):
        raise InvalidPoint(f"timestamp {value} is not a time")
    if isinstance(value, int):
        return value * 1_000_000
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidPoint(f"timestamp {value[:40]!r} is not RFC 3339") from None
        if moment.tzinfo is None:
            raise InvalidPoint(f"timestamp {value[:40]!r} has no UTC offset")
        return _to_ns(moment)
    raise InvalidPoint("the timestamp is empty" if value is None else f"timestamp {value!r}")


def _to_ns(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1_000


def point(measurement: str, tags: Mapping[str, Any], fields: Mapping[str, Any], ns: int) -> str:
    """One line; raises InvalidPoint when no field has a value."""
    tag_parts = [(k, _tag_value(v)) for k, v in sorted(tags.items())]
    tag_text = "".join(f",{_escape_key(k)}={v}" for k, v in tag_parts if v is not None)
    field_parts = [(k, _field_value(v)) for k, v in fields.items()]
    field_text = ",".join(f"{_escape_key(k)}={v}" for k, v in field_parts if v is not None)
    if not field_text:
        raise InvalidPoint("every field is empty")
    return f"{escape_measurement(measurement)}{tag_text} {field_text} {ns}"
