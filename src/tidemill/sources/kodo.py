"""kodo datasources: objects of one bucket of the account, on local storage or S3 (spec §4.2.1).

The selection (spec §4.3, D-4): each of `spec.keyPrefixes` (none: the whole bucket) followed by
the job src's `fileFilter`, magic variables rendered; each a glob or a prefix as
`core.file_patterns` says. Keys ending with '/' ("directory" markers) are never read.
"""

from __future__ import annotations

from collections.abc import Iterable

from tidemill.core.compression import compression_of
from tidemill.core.file_patterns import covering_prefixes, selects
from tidemill.core.models import AccountScope, Datasource
from tidemill.core.plans import InputFile
from tidemill.errors import Failure, InvalidInputError, NotFoundError
from tidemill.sources.base import Moment
from tidemill.storage.base import Buckets, Kodo, ObjectInfo


def patterns_of(datasource: Datasource, file_filter: str, moment: Moment) -> list[str]:
    """The rendered key patterns of a kodo datasource: each prefix + the src's fileFilter."""
    prefixes = [moment.render(p) for p in datasource.spec.get("keyPrefixes") or []] or [""]
    rendered = moment.render(file_filter)
    return [prefix + rendered for prefix in prefixes]


def matching(buckets: Buckets, bucket: str, patterns: Iterable[str]) -> list[ObjectInfo]:
    """The objects of `bucket` any of `patterns` selects, in key order, each once.

    One listing per distinct listing prefix; a prefix another one covers is not listed again.
    Missing bucket: NotFoundError (from the view).
    """
    wanted = sorted(set(patterns))
    found: dict[str, ObjectInfo] = {}
    for prefix in covering_prefixes(wanted):
        for info in buckets.list(bucket, prefix):
            if info.key.endswith("/") or info.key in found:
                continue
            if any(selects(p, info.key) for p in wanted):
                found[info.key] = info
    return [found[key] for key in sorted(found)]


def no_bucket(bucket: str) -> str:
    return (
        f"bucket {bucket!r} does not exist in this account (or, on S3, is not granted to it); "
        "check the bucket name"
    )


class KodoSource:
    """kodo over the installation's bucket views (local directories or S3), one account at a
    time: `scope` picks the view, so another account's bucket is never listed."""

    type = "kodo"

    def __init__(self, kodo: Kodo) -> None:
        self.kodo = kodo

    def list(
        self, datasource: Datasource, file_filter: str, moment: Moment, scope: AccountScope
    ) -> list[InputFile]:
        """See `Source.list`. URIs are the view's `bucket_uri(bucket) + key`; a file's `name`
        (what messages show) is `bucket/key`, never the server's path."""
        spec = datasource.spec
        bucket = str(spec.get("bucket") or "")
        if not bucket:
            raise InvalidInputError(
                Failure.DS_SPEC_INVALID, f"datasource {datasource.name!r} names no bucket"
            )
        patterns = patterns_of(datasource, file_filter, moment)
        buckets = self.kodo.for_account(scope)
        try:
            objects = matching(buckets, bucket, patterns)
        except NotFoundError as exc:
            raise InvalidInputError(
                Failure.DS_VERIFY_NOT_FOUND, no_bucket(bucket), bucket=bucket
            ) from exc
        base = buckets.bucket_uri(bucket)
        file_format = str(spec.get("fileType") or "").lower()
        return [
            InputFile(
                base + o.key, o.size, file_format, compression_of(o.key), name=f"{bucket}/{o.key}"
            )
            for o in objects
        ]
