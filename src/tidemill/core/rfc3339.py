"""RFC 3339 date-times as the Tidemill extensions take them (a backfill's `from`/`to`, a dry
run's `batchTime`): `2026-11-01T00:00:00+08:00`, `...Z`, with an optional fraction.

`datetime.fromisoformat` is not this: it also reads ISO week dates (`2026-W01-1`), hours
without minutes, comma fractions, offsets without a colon, and characters it skips.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# RFC 3339 §5.6: date-time = full-date "T" full-time; "T" and "Z" may be lower case (§5.6
# note); a space for the "T" is allowed by agreement (the note again): `space=True`.
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


def parse_time(text: str, *, space: bool = False) -> datetime | None:
    """The aware datetime `text` writes (fraction cut to microseconds), or None when `text` is
    not an RFC 3339 date-time with an offset (`space`: a space may stand for the `T`)."""
    found = _TIME.fullmatch(text)
    if found is None or (found[4] == " " and not space):
        return None
    year, month, day, _, hour, minute, second, fraction, zulu, sign, oh, om = found.groups()
    if zulu:
        zone = UTC
    else:
        if int(oh) > 23 or int(om) > 59:
            return None
        offset = timedelta(hours=int(oh), minutes=int(om))
        zone = timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
            tzinfo=zone,
        )  # fmt: skip
    except ValueError:  # a month 13, a 30 February, a second 60...
        return None
