"""Datasource type → Source: the one way to a datasource's files (planner, inference, verify)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tidemill.core.models import AccountScope, Datasource
from tidemill.core.plans import InputFile
from tidemill.errors import Failure, InvalidInputError
from tidemill.sources.base import Moment, Source
from tidemill.sources.hdfs import HdfsSource
from tidemill.sources.kodo import KodoSource
from tidemill.storage.base import Kodo, Storage


class Sources:
    """The sources this installation can read, by datasource type (spec §4.1)."""

    def __init__(self, by_type: Mapping[str, Source]) -> None:
        self.by_type: Mapping[str, Source] = MappingProxyType(dict(by_type))

    def get(self, datasource: Datasource) -> Source:
        """The source of `datasource`'s type; DS_TYPE_INVALID naming it when there is none."""
        source = self.by_type.get(datasource.type)
        if source is None:
            runs = ", ".join(sorted(self.by_type)) or "no"
            raise InvalidInputError(
                Failure.DS_TYPE_INVALID,
                f"datasource {datasource.name!r} is of type {datasource.type}; "
                f"this Tidemill runs {runs} sources only",
            )
        return source

    def list(
        self, datasource: Datasource, file_filter: str, moment: Moment, scope: AccountScope
    ) -> list[InputFile]:
        """`Source.list` of `datasource`'s source (errors as there, and as `get`)."""
        return self.get(datasource).list(datasource, file_filter, moment, scope)


def open_sources(kodo: Kodo, storage: Storage) -> Sources:
    """The built-in sources over the installation's storage: kodo (local directories or S3)
    and hdfs (the `hdfs://` URIs of `storage`, storage.registry's `Storages`)."""
    return Sources({"kodo": KodoSource(kodo), "hdfs": HdfsSource(storage)})
