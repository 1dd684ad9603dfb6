"""fusion datasources: Qiniu CDN access logs of one domain, by the hour (spec §4.2.3).

The logs live where TIDEMILL_FUSION__URL says (`config.FusionSettings`):

* a storage URI (`file://`, `s3://`, `hdfs://`) laid out as
  `<root>/<domain>/<yyyy-MM-dd>/<HH>/<any name>` (the hour in the installation's zone); or
* an http(s) endpoint of the Fusion log-list API: `POST <url>/v2/tune/log/list` with
  `{"day": "yyyy-MM-dd", "domains": "a.com"}` answers
  `{"code": 200, "data": {"a.com": [{"name", "size", "mtime", "url"}]}}`; a file's hour is the
  `yyyy-MM-dd-HH` in its name (as Fusion names them: `a.com_2024-03-05-14_part-00000.gz`),
  and it is read from its `url`.

The hours read (`hours`): the datasource's `spec.fileFilter` `start ~ end`, each side a fixed
`yyyy-MM-dd HH:mm` (in the installation's zone) or one time variable (`$(now)`, or a user time
variable such as `$(fiveDaysAgo)` = `$(now)-5d`, evaluated at the batch time); every hour
that overlaps [start, end): floor(start) <= H < end, none when start >= end. Absent or
empty: the hour of the batch time. At most MAX_HOURS hours. Only the hours in range are
listed (one listing per day) and read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx

from tidemill.core.compression import compression_of
from tidemill.core.models import AccountScope, Datasource
from tidemill.core.plans import InputFile
from tidemill.core.variables import PLACEHOLDER, is_system, parse_time_expression
from tidemill.errors import BackendError, Failure, InvalidInputError
from tidemill.sources.base import Moment
from tidemill.storage.base import Storage

FORMAT = "fusion"  # InputFile.format / TablePlan.file_type of CDN logs
MAX_HOURS = 24 * 366
HOUR = timedelta(hours=1)
_FIXED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_HOUR_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(\d{2})")


def _floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _side(text: str, moment: Moment) -> datetime:
    text = text.strip()
    zone = moment.time.tzinfo
    if _FIXED.fullmatch(text):
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            raise _filter(f"{text!r} is not a real date and time") from None
    match = PLACEHOLDER.fullmatch(text)
    if match is None:
        raise _filter(f"each side must be 'yyyy-MM-dd HH:mm' or one $(variable): {text!r}")
    name = match.group(1)
    if is_system(name):
        return moment.time
    variable = moment.user.get(name)
    if variable is None:
        raise InvalidInputError(
            Failure.DS_FILTER_UNDEF_VAR, f"undefined variable $({name}) in spec.fileFilter"
        )
    if variable.type != "time":
        raise InvalidInputError(
            Failure.DS_FILTER_STRING_VAR,
            f"$({name}) is a string variable; a fusion range needs time variables",
        )
    try:
        return parse_time_expression(variable.value).apply(moment.time)
    except OverflowError:
        raise _filter(f"$({name}) falls outside years 1-9999") from None


def _filter(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.DS_FILTER_INVALID, f"spec.fileFilter: {message}")


def hours(file_filter: str, moment: Moment) -> list[datetime]:
    """The hour starts (aware, in the batch's zone) a fusion range selects, in order."""
    if not file_filter.strip():
        return [_floor(moment.time)]
    sides = file_filter.split("~")
    if len(sides) != 2:
        raise _filter("it must be a range 'start ~ end'")
    start, end = (_side(side, moment) for side in sides)
    if start >= end:
        return []
    zone = moment.time.tzinfo
    hour, selected = _floor(start.astimezone(zone)), list[datetime]()
    while hour < end:  # elapsed hours: a DST change neither skips nor repeats one
        if len(selected) >= MAX_HOURS:
            raise _filter(f"the range spans more than {MAX_HOURS} hours")
        selected.append(hour)
        hour = _floor((hour.astimezone(UTC) + HOUR).astimezone(zone))
    return selected


def domain_of(datasource: Datasource) -> str:
    domains = datasource.spec.get("domains") or []
    if len(domains) != 1 or not isinstance(domains[0], str) or not domains[0]:
        raise InvalidInputError(
            Failure.DS_SPEC_INVALID, "spec.domains must hold exactly one domain"
        )
    domain: str = domains[0]
    if "/" in domain or domain in (".", ".."):
        raise InvalidInputError(Failure.DS_PATH_ILLEGAL, f"domain {domain!r} is not a host name")
    return domain


class FusionSource:
    """CDN logs from a storage URI root or a log-list API (module docstring). Thread-safe."""

    type = "fusion"

    def __init__(
        self, url: str, storages: Storage, *, timeout: float = 10.0,
        client: Callable[[], httpx.Client] | None = None,
    ) -> None:  # fmt: skip
        self.url = url.rstrip("/")
        self.storages = storages
        self.timeout = timeout
        self._client = client or (lambda: httpx.Client(timeout=self.timeout))
        self.api = self.url.startswith(("http://", "https://"))

    def list(
        self, datasource: Datasource, file_filter: str, moment: Moment, scope: AccountScope
    ) -> list[InputFile]:
        """The log files of the datasource's domain in its range's hours, in URI order.

        `file_filter` (the job src's) is not used: a fusion datasource's range is its own
        `spec.fileFilter`. DS_FILTER_* for a bad range; BackendError when the log store or
        the API fails (its answer named)."""
        domain = domain_of(datasource)
        wanted = hours(str(datasource.spec.get("fileFilter") or ""), moment)
        by_day: dict[str, set[str]] = {}
        for hour in wanted:
            by_day.setdefault(f"{hour:%Y-%m-%d}", set()).add(f"{hour:%H}")
        found: dict[str, InputFile] = {}
        for day, day_hours in sorted(by_day.items()):
            listed = self._api(domain, day) if self.api else self._storage(domain, day)
            for hour_text, info in listed:
                if hour_text in day_hours and info.uri not in found:
                    found[info.uri] = info
        return [found[uri] for uri in sorted(found)]

    def _storage(self, domain: str, day: str) -> Iterable[tuple[str, InputFile]]:
        prefix = f"{self.url}/{domain}/{day}/"
        for info in self.storages.list(prefix):
            rest = info.uri[len(prefix) :]
            hour_text, _, name = rest.partition("/")
            if not name or len(hour_text) != 2 or not hour_text.isdigit() or name.endswith("/"):
                continue
            yield hour_text, InputFile(
                info.uri, info.size, FORMAT, compression_of(name),
                name=f"{domain}/{day}/{hour_text}/{name}",
            )  # fmt: skip

    def _api(self, domain: str, day: str) -> Iterable[tuple[str, InputFile]]:
        endpoint = f"{self.url}/v2/tune/log/list"
        try:
            with self._client() as client:
                answer = client.post(endpoint, json={"day": day, "domains": domain})
        except httpx.HTTPError as exc:
            raise BackendError(
                Failure.INTERNAL, f"the Fusion log-list API at {endpoint} failed: {exc}"
            ) from exc
        for name, size, url in _entries(answer, endpoint, domain):
            match = _HOUR_IN_NAME.search(name)
            if match is None or match.group(1) != day:
                continue
            yield match.group(2), InputFile(
                url, size, FORMAT, compression_of(name),
                name=f"{domain}/{quote(name, safe='/')}",
            )  # fmt: skip


def _entries(answer: httpx.Response, endpoint: str, domain: str) -> list[tuple[str, int, str]]:
    """The file entries of a log-list answer; BackendError naming what is wrong with it."""

    def refuse(why: str) -> BackendError:
        return BackendError(
            Failure.INTERNAL, f"the Fusion log-list API at {endpoint} answered {why}"
        )

    if answer.status_code != 200:
        raise refuse(f"HTTP {answer.status_code}: {answer.text[:200]}")
    try:
        body = answer.json()
    except json.JSONDecodeError:
        raise refuse("something that is not JSON") from None
    if not isinstance(body, dict) or body.get("code") != 200:
        raise refuse(f"an error: {str(body)[:200]}")
    data = body.get("data") or {}
    entries = data.get(domain, []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise refuse(f"no list of files for {domain}")
    found: list[tuple[str, int, str]] = []
    for entry in entries:
        name, size, url = (
            (entry.get(k) for k in ("name", "size", "url"))
            if isinstance(entry, dict)
            else (None, None, None)
        )
        if not (isinstance(name, str) and isinstance(size, int) and isinstance(url, str)):
            raise refuse(f"a file entry without name, size and url: {str(entry)[:200]}")
        # The engine reads the url through every storage of the installation: an answer naming
        # file://, s3:// or hdfs:// would lead it to the server's files or the warehouse.
        if not url.lower().startswith(("http://", "https://")):
            raise refuse(f"a file url that is not http(s): {url[:200]!r}")
        found.append((name, size, url))
    return found
