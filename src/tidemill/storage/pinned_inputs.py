"""The files a batch reads, with its account's local kodo inputs pinned (`PinnedInputs`).

A kodo datasource on local buckets lists its files as `file://<kodo>/<account>/<bucket>/<key>`
URIs (sources.kodo), and the engines make each input local with `local_path`. Through the plain
`file` backend that is the key's own path, read later by DuckDB or Spark: a directory of the
path swapped for a symbolic link in between would make the engine read a file outside the
account's bucket. `PinnedInputs` answers `local_path` of such a URI through the account's bucket
view instead (`LocalBuckets.local_path`: opened, checked to lie inside the bucket, hard-linked
into a private directory), so what the engine reads is what was checked. Every other URI, and
every other call, is the wrapped `Storages`' own.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from tidemill.storage.base import Buckets
from tidemill.storage.local import file_uri
from tidemill.storage.local_buckets import LocalBuckets
from tidemill.storage.registry import Storages

__all__ = ["PinnedInputs"]


class PinnedInputs(Storages):
    """`storages` with `local_path` of a file in `buckets` (one account's view; only a local
    one has files to pin) answered by the view (module docstring). Errors as the view's: a
    missing key NotFoundError, a path leading out of the bucket DS_PATH_ILLEGAL."""

    def __init__(self, storages: Storages, buckets: Buckets) -> None:
        super().__init__(storages.backends, storages.config)
        self._buckets = buckets if isinstance(buckets, LocalBuckets) else None
        self._root = file_uri(buckets.root) + "/" if isinstance(buckets, LocalBuckets) else ""

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        if self._buckets is not None and uri.startswith(self._root):
            bucket, _, key = uri[len(self._root) :].partition("/")
            if bucket and key:
                return self._buckets.local_path(bucket, key)
        return super().local_path(uri)
