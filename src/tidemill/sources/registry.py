"""Datasource type → Source: the one way to a datasource's files (planner, inference, verify)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from tidemill.config import FusionSettings
from tidemill.core.models import AccountScope, Datasource
from tidemill.core.plans import InputFile
from tidemill.errors import Failure, InvalidInputError
from tidemill.sources.base import Moment, Source
from tidemill.sources.fusion import FusionSource
from tidemill.sources.hdfs import HdfsSource
from tidemill.sources.kodo import KodoSource
from tidemill.storage.base import Kodo
from tidemill.storage.registry import Storages


class Sources:
    """The sources this installation can read, by datasource type (spec §4.1)."""

    def __init__(self, by_type: Mapping[str, Source], *, bad_line_share: float = 0.01) -> None:
        self.by_type: Mapping[str, Source] = MappingProxyType(dict(by_type))
        self.bad_line_share = bad_line_share  # fusion: TIDEMILL_FUSION__MAX_BAD_SHARE

    def get(self, datasource: Datasource) -> Source:
        """The source of `datasource`'s type; DS_TYPE_INVALID naming it when there is none."""
        source = self.by_type.get(datasource.type)
        if source is None:
            runs = ", ".join(sorted(self.by_type)) or "no"
            hint = ""
            if datasource.type == "fusion":
                hint = "; set TIDEMILL_FUSION__URL to where the CDN logs are to read fusion"
            raise InvalidInputError(
                Failure.DS_TYPE_INVALID,
                f"datasource {datasource.name!r} is of type {datasource.type}; "
                f"this Tidemill runs {runs} sources only{hint}",
            )
        return source

    def list(
        self, datasource: Datasource, file_filter: str, moment: Moment, scope: AccountScope
    ) -> list[InputFile]:
        """`Source.list` of `datasource`'s source (errors as there, and as `get`)."""
        return self.get(datasource).list(datasource, file_filter, moment, scope)


def open_sources(
    kodo: Kodo,
    storage: Storages,
    fusion: FusionSettings | None = None,
    hdfs_roots: Sequence[str] = (),
    *,
    warehouse: str = "",
) -> Sources:
    """The built-in sources over the installation's storage: kodo (local directories or S3),
    hdfs (the `hdfs://` URIs of `storage`, storage.registry's `Storages`, confined to
    `hdfs_roots`, TIDEMILL_HDFS__ROOTS, and never inside `warehouse`, the warehouse's URI, when
    it is on HDFS), and fusion when `fusion.url` says where the CDN logs are (read through
    `storage`)."""
    fences = (warehouse,) if warehouse.lower().startswith("hdfs://") else ()
    hdfs = HdfsSource(storage, hdfs_roots, fences)
    by_type: dict[str, Source] = {"kodo": KodoSource(kodo), "hdfs": hdfs}
    if fusion is not None and fusion.url:
        by_type["fusion"] = FusionSource(fusion.url, storage, timeout=fusion.timeout)
    share = fusion.max_bad_share if fusion is not None else 0.01
    return Sources(by_type, bad_line_share=share)
