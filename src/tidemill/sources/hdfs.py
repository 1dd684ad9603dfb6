"""hdfs datasources: files under the HDFS paths a datasource names (spec §4.2.2, §4.3).

The selection: each of `spec.paths` (hdfs://namenode:port/dir URIs) followed by the job src's
`fileFilter`, system magic variables rendered at the batch moment; a pattern holding '*' is a
glob over the whole URI, any other a prefix (`core.file_patterns`, as for kodo). One exception
keeps a path what HDFS means by one: a path with no filter and no '*' that does not end with
'/' names that file or directory — `hdfs://nn/logs` selects `logs` and what is under `logs/`,
never a sibling `logs-old` (Spark reads a path so). Files are only ever taken from listings of
the patterns' own prefixes and matched against the patterns, so nothing outside them is read.
Writers' temporary files are never listed (storage.hdfs).

Fenced paths (the warehouse, when it is on HDFS) are never read: every account's batch results
live there, and HDFS has no accounts to keep them apart. A path whose listing lies inside a
fence is refused with DS_PATH_ILLEGAL; files inside a fence that a wider path lists are skipped.
Fences are compared by path on any namenode, since one cluster answers to many spellings of its
name (host, alias, address).
"""

from __future__ import annotations

from collections.abc import Sequence

from tidemill.core.compression import compression_of
from tidemill.core.file_patterns import covering_prefixes, listing_prefix, selects
from tidemill.core.hdfs_roots import check_roots, inside, roots_of
from tidemill.core.models import AccountScope, Datasource
from tidemill.core.plans import InputFile
from tidemill.errors import BackendError, Failure, InvalidInputError
from tidemill.sources.base import Moment
from tidemill.storage.base import Storage
from tidemill.storage.hdfs_uris import fenced


def patterns_of(datasource: Datasource, file_filter: str, moment: Moment) -> list[str]:
    """The rendered patterns of an hdfs datasource: each path + the src's fileFilter (§4.3).

    DS_SPEC_INVALID when the spec names no path; JOB_SQL_UNDEF_VAR for an unknown variable.
    """
    paths = [moment.render(str(p)) for p in datasource.spec.get("paths") or [] if p]
    if not paths:
        raise InvalidInputError(
            Failure.DS_SPEC_INVALID, f"datasource {datasource.name!r} names no HDFS path"
        )
    rendered = moment.render(file_filter)
    return [path + rendered for path in paths]


def path_selects(pattern: str, uri: str, *, filtered: bool) -> bool:
    """Whether `pattern` selects `uri`: a glob with '*'; with a fileFilter (`filtered`) or
    ending in '/', a prefix; else the file or the directory the path names (module docstring)."""
    if filtered or "*" in pattern or pattern.endswith("/"):
        return selects(pattern, uri)
    return uri == pattern or uri.startswith(pattern + "/")


class HdfsSource:
    """hdfs over the installation's storage (`hdfs://` of storage.registry). HDFS has no
    accounts: an account reads the paths its datasource names, and only those, with `roots`
    (TIDEMILL_HDFS__ROOTS, core.hdfs_roots) only under its own roots, and never inside `fences`
    (hdfs:// URIs; the warehouse's when it is on HDFS: module docstring)."""

    type = "hdfs"

    def __init__(
        self, storage: Storage, roots: Sequence[str] = (), fences: tuple[str, ...] = ()
    ) -> None:
        self.storage = storage
        self.roots = tuple(roots)
        self.fences = fences

    def list(
        self, datasource: Datasource, file_filter: str, moment: Moment, scope: AccountScope
    ) -> list[InputFile]:
        """See `Source.list`. A file's `name` is its URI. A path that does not exist selects
        nothing. An unreachable namenode is DS_VERIFY_NOT_FOUND with the storage's reason
        (it names the namenode, within TIDEMILL_HDFS__CONNECT_TIMEOUT); DS_PATH_ILLEGAL for a
        rendered path HDFS cannot hold, or one outside the account's roots, checked on the
        rendered patterns (path + fileFilter) before any listing, so a datasource made before
        the roots changed reads nothing outside them."""
        patterns = patterns_of(datasource, file_filter, moment)
        filtered = bool(moment.render(file_filter))
        for pattern in patterns:
            if not pattern.startswith("hdfs://"):
                raise InvalidInputError(
                    Failure.DS_SPEC_INVALID,
                    f"datasource {datasource.name!r}: {pattern!r} is not an hdfs:// path",
                )
        check_roots(patterns, self.roots, scope.name, Failure.DS_PATH_ILLEGAL, "hdfs path")
        for pattern in patterns:
            if fenced(listing_prefix(pattern), self.fences):
                raise InvalidInputError(
                    Failure.DS_PATH_ILLEGAL,
                    f"datasource {datasource.name!r}: {pattern!r} lies in the warehouse, where "
                    "Tidemill keeps batch results; read a job's results by naming the job as "
                    "a source instead",
                )
        found: dict[str, int] = {}
        own = roots_of(self.roots, scope.name)

        def inside_any(uri: str) -> bool:  # a second guard on what a listing returns
            return not own or any(inside(uri, root) for root in own)

        for prefix in covering_prefixes(patterns):
            try:
                listing = list(self.storage.list(prefix))
            except BackendError as exc:
                of = f" for datasource {datasource.name!r}" if datasource.name else ""
                raise InvalidInputError(
                    Failure.DS_VERIFY_NOT_FOUND, f"cannot list {prefix}{of}: {exc.message}"
                ) from exc
            for info in listing:
                if fenced(info.uri, self.fences):
                    continue  # the warehouse (module docstring)
                if (
                    info.uri not in found
                    and inside_any(info.uri)
                    and any(path_selects(p, info.uri, filtered=filtered) for p in patterns)
                ):
                    found[info.uri] = info.size
        file_format = str(datasource.spec.get("fileType") or "").lower()
        return [
            InputFile(uri, found[uri], file_format, compression_of(uri), name=uri)
            for uri in sorted(found)
        ]
