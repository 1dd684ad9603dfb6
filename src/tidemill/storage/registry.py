"""The storage registry: scheme → backend, and `Storages`, one `Storage` over all of them.

`Storages` is itself a `Storage`: each call goes to the backend of the URI's scheme, so code
holds one object and addresses any file by URI. Build it from settings with `open_storages`
(or from a picklable `StorageConfig`, which is what a worker process receives).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from tidemill.errors import Failure, InvalidInputError
from tidemill.storage.base import FileInfo, Storage, scheme_of

if TYPE_CHECKING:
    from tidemill.config import Settings, WorkerConfig

__all__ = [
    "BACKENDS",
    "HdfsConfig",
    "S3Config",
    "StorageConfig",
    "Storages",
    "open_storages",
    "storage_config",
]


@dataclass(frozen=True, slots=True)
class S3Config:
    """An S3-compatible endpoint (TIDEMILL_S3__*), as plain picklable data."""

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    region: str = "us-east-1"


@dataclass(frozen=True, slots=True)
class HdfsConfig:
    """How hdfs:// reaches namenodes (TIDEMILL_HDFS__*; config.HdfsSettings), as plain data."""

    connect_timeout: float = 5.0
    operation_timeout: float = 60.0
    chunk_bytes: int = 4 * 1024 * 1024
    deadline: float = 300.0


@dataclass(frozen=True, slots=True)
class StorageConfig:
    """What opening the backends needs: no more of the settings than that (a worker gets it)."""

    s3: S3Config | None = None  # None: no s3:// backend
    memory: bool = False  # a mem:// backend (tests); each `open_storages` gets a fresh one
    # hdfs:// is always served: each URI names its namenode, only the timeouts are settings.
    hdfs: HdfsConfig = field(default_factory=HdfsConfig)
    # http(s):// read only, when the fusion logs come from a log-list API (storage.http)
    http: bool = False


def storage_config(settings: Settings | WorkerConfig) -> StorageConfig:
    h = settings.hdfs
    hdfs = HdfsConfig(h.connect_timeout, h.operation_timeout, h.chunk_bytes, h.deadline)
    s3 = settings.s3
    fusion = getattr(settings, "fusion", None)  # Settings; a WorkerConfig has fusion_url
    fusion_url: str = fusion.url if fusion is not None else getattr(settings, "fusion_url", "")
    http = fusion_url.startswith(("http://", "https://"))
    if not s3.endpoint:
        return StorageConfig(hdfs=hdfs, http=http)
    secret = s3.secret_key.get_secret_value()
    s3_config = S3Config(s3.endpoint, s3.access_key, secret, s3.region)
    return StorageConfig(s3_config, hdfs=hdfs, http=http)


def _local(config: StorageConfig) -> Storage | None:
    from tidemill.storage.local import LocalFiles

    return LocalFiles()


def _s3(config: StorageConfig) -> Storage | None:
    if config.s3 is None:
        return None
    from tidemill.storage.s3 import S3Store  # boto3 only when S3 is configured
    from tidemill.storage.s3_files import S3Files

    s3 = config.s3
    return S3Files(S3Store(s3.endpoint, s3.access_key, s3.secret_key, s3.region))


def _hdfs(config: StorageConfig) -> Storage | None:
    from tidemill.storage.hdfs import HdfsFiles

    hdfs = config.hdfs
    return HdfsFiles(
        connect_timeout=hdfs.connect_timeout,
        operation_timeout=hdfs.operation_timeout,
        chunk_bytes=hdfs.chunk_bytes,
        deadline=hdfs.deadline,
    )


def _memory(config: StorageConfig) -> Storage | None:
    if not config.memory:
        return None
    from tidemill.storage.memory import MemoryFiles

    return MemoryFiles()


def _http(config: StorageConfig) -> Storage | None:
    if not config.http:
        return None
    from tidemill.storage.http import HttpFiles

    return HttpFiles()


# scheme → opener; an opener answers None when the config does not enable that backend.
BACKENDS: dict[str, Callable[[StorageConfig], Storage | None]] = {
    "file": _local,
    "s3": _s3,
    "hdfs": _hdfs,
    "mem": _memory,
    "http": _http,
    "https": _http,
}
# Backends that only read (storage.http: the files a Fusion log-list API names). They refuse
# every write with BackendError; the read-write contract suite covers the others.
READ_ONLY: frozenset[str] = frozenset({"http", "https"})


def open_storages(config: StorageConfig | Settings | WorkerConfig) -> Storages:
    """Every backend `config` enables (file:// always), keyed by scheme."""
    if not isinstance(config, StorageConfig):
        config = storage_config(config)
    opened = {scheme: opener(config) for scheme, opener in BACKENDS.items()}
    return Storages({scheme: b for scheme, b in opened.items() if b is not None}, config)


class Storages:
    """One `Storage` over several backends, chosen by each URI's scheme.

    A URI of a scheme no backend serves raises InvalidInputError(DS_PATH_ILLEGAL) naming it
    (e.g. s3:// without TIDEMILL_S3__ENDPOINT).
    """

    scheme = "*"

    def __init__(
        self, backends: Mapping[str, Storage], config: StorageConfig | None = None
    ) -> None:
        self.backends = dict(backends)
        # what opened them (None: built by hand); an engine that reaches s3:// itself (Spark)
        # takes the endpoint from here
        self.config = config

    def backend(self, uri: str) -> Storage:
        """The backend serving `uri`."""
        scheme = scheme_of(uri)
        found = self.backends.get(scheme)
        if found is None:
            hint = " (set TIDEMILL_S3__ENDPOINT)" if scheme == "s3" else ""
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"No storage backend serves {uri!r}: scheme {scheme!r} is not configured{hint}; "
                f"configured: {', '.join(sorted(self.backends))}",
                uri=uri,
            )
        return found

    def list(self, prefix: str) -> Iterator[FileInfo]:
        return self.backend(prefix).list(prefix)

    def exists(self, uri: str) -> bool:
        return self.backend(uri).exists(uri)

    def stat(self, uri: str) -> FileInfo:
        return self.backend(uri).stat(uri)

    def open(self, uri: str) -> BinaryIO:
        return self.backend(uri).open(uri)

    def read(self, uri: str, start: int = 0, length: int | None = None) -> bytes:
        return self.backend(uri).read(uri, start, length)

    def put(self, uri: str, data: bytes, *, durable: bool = True) -> None:
        self.backend(uri).put(uri, data, durable=durable)

    def upload(self, uri: str, source: Path, *, move: bool = False) -> None:
        self.backend(uri).upload(uri, source, move=move)

    def rename(self, src: str, dst: str) -> None:
        backend = self.backend(src)
        if self.backend(dst) is not backend:
            raise InvalidInputError(
                Failure.DS_PATH_ILLEGAL,
                f"Cannot rename {src!r} to {dst!r}: a rename stays within one storage backend",
                src=src,
                dst=dst,
            )
        backend.rename(src, dst)

    def delete(self, uri: str) -> None:
        self.backend(uri).delete(uri)

    def delete_prefix(self, prefix: str) -> int:
        return self.backend(prefix).delete_prefix(prefix)

    def local_path(self, uri: str) -> AbstractContextManager[Path]:
        return self.backend(uri).local_path(uri)
