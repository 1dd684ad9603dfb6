"""A generated Qiniu CDN access-log corpus for the fusion tests, with what it holds.

`corpus(domains, start, hours)` makes one gzip file per domain and hour, laid out as the
fusion log store is (`<domain>/<yyyy-MM-dd>/<HH>/<name>.gz`, the hour in the installation's
zone), with a seeded mix of IPv4/IPv6, HIT/MISS/-, `-` numbers, quoted agents and a few bad
lines. The expected counts are kept from the generator's own choices, not from parsing.
"""

from __future__ import annotations

import gzip
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STATUSES = (200, 206, 304, 404, 500)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Corpus:
    """files: relative path → gz bytes. requests[(domain, hour start, status)] = good lines."""

    files: dict[str, bytes] = field(default_factory=dict)
    requests: Counter[tuple[str, datetime, int | None]] = field(default_factory=Counter)
    bad: Counter[tuple[str, datetime]] = field(default_factory=Counter)

    def count(self, domain: str, hours: set[datetime]) -> Counter[tuple[datetime, int | None]]:
        """(hour, status) → requests of `domain` in `hours`."""
        return Counter(
            {(h, s): n for (d, h, s), n in self.requests.items() if d == domain and h in hours}
        )

    def bad_lines(self, domain: str, hours: set[datetime]) -> int:
        return sum(n for (d, h), n in self.bad.items() if d == domain and h in hours)


def _line(rng: random.Random, moment: datetime, status: int | None) -> str:
    ip = rng.choice([f"10.0.0.{rng.randrange(256)}", f"2001:db8::{rng.randrange(65536):x}"])
    hit = rng.choice(["HIT", "MISS", "-"])
    response = rng.choice([str(rng.randrange(1000)), "-"])
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    zone = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    stamp = (
        f"{moment.day:02d}/{MONTHS[moment.month - 1]}/{moment.year}:"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {zone}"
    )
    url = rng.choice(["/a.png", "/v/b c.mp4?x=1", "/"])
    size = rng.choice([str(rng.randrange(10**6)), "-"])
    agent = rng.choice(["curl/8.0", 'Mozilla/5.0 (X11; "quoted") Gecko', "-"])
    return (
        f'{ip} {hit} {response} [{stamp}] "GET {url} HTTP/1.1" {"-" if status is None else status}'
        f' {size} "-" "{agent}"'
    )


def corpus(domains: list[str], start: datetime, hours: int, *, lines: int = 30,
           bad_every: int = 7, seed: int = 7) -> Corpus:  # fmt: skip
    """`hours` hours from `start` (aware, on the hour) for each domain; one bad line in the
    files of every `bad_every`-th hour."""
    rng = random.Random(seed)
    made = Corpus()
    for domain in domains:
        for index in range(hours):
            hour = start + timedelta(hours=index)
            body: list[str] = []
            for _ in range(rng.randrange(lines // 2, lines)):
                status = rng.choice([*STATUSES, None])
                moment = hour + timedelta(seconds=rng.randrange(3600))
                body.append(_line(rng, moment, status))
                made.requests[(domain, hour, status)] += 1
            if index % bad_every == 0:
                body.insert(rng.randrange(len(body) + 1), "this is not a CDN log line")
                made.bad[(domain, hour)] += 1
            path = f"{domain}/{hour:%Y-%m-%d}/{hour:%H}/part-{index}.gz"
            made.files[path] = gzip.compress(("\n".join(body) + "\n").encode())
    return made
