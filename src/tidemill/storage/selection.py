"""Which objects of a bucket a datasource reads: key prefixes, or globs when they hold '*'."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from tidemill.storage.base import Buckets


def matching_keys(store: Buckets, bucket: str, patterns: Iterable[str]) -> list[str]:
    """The keys of `bucket` selected by any of `patterns` (spec §4.3), sorted, no 'directories'.

    A pattern without '*' is a key prefix; with '*' it is a glob matched against the whole key
    (the listing is narrowed to the text before the first '*').
    """
    keys: set[str] = set()
    for pattern in patterns:
        if "*" in pattern:
            listed = store.list(bucket, pattern.split("*", 1)[0])
            keys.update(o.key for o in listed if fnmatch.fnmatchcase(o.key, pattern))
        else:
            keys.update(o.key for o in store.list(bucket, pattern))
    return sorted(k for k in keys if not k.endswith("/"))
