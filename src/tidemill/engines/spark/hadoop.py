"""Which inputs Spark reads itself, by which Hadoop path, and with which Hadoop settings.

Spark reads `hdfs://` with the HDFS client in pyspark's own jars, and `s3://` as `s3a://` when
hadoop-aws is on its class path (TIDEMILL_SPARK__JARS; scripts/spark-jars.sh) and the node has an
S3 endpoint (TIDEMILL_S3__*, the Storage's). `file://` is read by its local path (a `spark://`
cluster must see the node's file system there). Anything else (`mem://`, `http(s)://`, or
`s3://` without hadoop-aws) is copied to a local file first through the Storage (None here).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from tidemill.core.object_keys import TEMP_PREFIX


class S3Endpoint(Protocol):
    """An S3-compatible endpoint with its keys (`tidemill.storage.registry.S3Config`)."""

    @property
    def endpoint(self) -> str: ...

    @property
    def access_key(self) -> str: ...

    @property
    def secret_key(self) -> str: ...

    @property
    def region(self) -> str: ...


def s3_endpoint(files: object) -> S3Endpoint | None:
    """The S3 endpoint the Storage `files` reaches s3:// through, or None (no s3:// there, or a
    Storage built by hand). Engines may not import the storage layer: its `config` is read."""
    config = getattr(files, "config", None)
    return getattr(config, "s3", None)


def has_s3a(jars: str) -> bool:
    """Whether the jar directory `jars` holds hadoop-aws (the s3a:// file system)."""
    return bool(jars) and any(Path(jars).glob("hadoop-aws-*.jar"))


def spark_path(uri: str, *, s3a: bool) -> str | None:
    """The path Spark reads `uri` by, or None when it must be made local first."""
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme == "hdfs":
        return uri
    if scheme == "s3" and s3a:
        return "s3a://" + uri[len("s3://") :]
    if scheme == "file":
        return uri[len("file://") :]
    return None


def staging_uri(result_uri: str) -> str:
    """Where Spark writes a result it writes itself (`writes_directly`) before the publish
    renames its part file to `result_uri`: a new directory beside it, hidden (a writer's
    temporary name, core.object_keys.TEMP_PREFIX): no listing shows it, and a dead worker's
    is dropped by its runner with its other unfinished uploads (runner.uploads)."""
    return f"{result_uri.rsplit('/', 1)[0]}/{TEMP_PREFIX}run-{uuid.uuid4().hex}"


def writes_directly(uri: str, *, s3a: bool) -> bool:
    """Whether Spark writes a result at `uri` itself (s3:// with hadoop-aws, hdfs://) rather
    than into local scratch followed by an upload through the Storage."""
    return uri.startswith("hdfs://") or (s3a and uri.startswith("s3://"))


def s3a_settings(s3: S3Endpoint) -> Mapping[str, str]:
    """Hadoop's s3a settings for the endpoint `s3` (hadoop-aws 3.3 "Working with third-party
    S3 stores"): path-style addressing (SeaweedFS, MinIO), TLS as the endpoint's scheme says,
    its region, and the keys."""
    parts = urlsplit(s3.endpoint)
    return {
        "fs.s3a.endpoint": s3.endpoint,
        "fs.s3a.endpoint.region": s3.region,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": str(parts.scheme == "https").lower(),
        "fs.s3a.access.key": s3.access_key,
        "fs.s3a.secret.key": s3.secret_key,
        "fs.s3a.aws.credentials.provider": (
            "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
        ),
        # upload blocks buffered off-heap, not in files: local files are read through Hadoop's
        # raw local file system (session._FIXED), which S3A's disk buffer refuses; at most
        # 2 blocks of 32 MiB per file being written
        "fs.s3a.fast.upload.buffer": "bytebuffer",
        "fs.s3a.multipart.size": "32M",
        "fs.s3a.fast.upload.active.blocks": "2",
        # one attempt's failures are the batch's: no minutes of silent retries
        "fs.s3a.attempts.maximum": "3",
        "fs.s3a.retry.limit": "3",
    }
