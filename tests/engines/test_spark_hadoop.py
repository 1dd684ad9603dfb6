"""engines.spark.hadoop: which inputs Spark reads itself, by which path, with which settings
(pure: no JVM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tidemill.engines.spark.hadoop import (
    has_s3a,
    s3_endpoint,
    s3a_settings,
    spark_path,
    writes_directly,
)
from tidemill.storage.registry import S3Config, StorageConfig, open_storages


@pytest.mark.parametrize(
    ("uri", "s3a", "expected"),
    [
        ("s3://bkt/logs/a b.json", True, "s3a://bkt/logs/a b.json"),
        ("s3://bkt/logs/a.json", False, None),  # no hadoop-aws: made local first
        ("hdfs://127.0.0.1:9000/d/f.json", False, "hdfs://127.0.0.1:9000/d/f.json"),
        ("file:///srv/in/f.json", True, "/srv/in/f.json"),
        ("mem://t/f.json", True, None),
        ("https://cdn.example/log.gz", True, None),
    ],
)
def test_the_path_spark_reads_each_input_by(uri: str, s3a: bool, expected: str | None) -> None:
    assert spark_path(uri, s3a=s3a) == expected


@pytest.mark.parametrize(
    ("uri", "s3a", "expected"),
    [("s3://wh/w/1/j/1/result.parquet", True, True), ("s3://wh/r.parquet", False, False),
     ("hdfs://nn:9000/wh/r.parquet", False, True), ("file:///srv/wh/r.parquet", True, False)],
)  # fmt: skip
def test_spark_writes_a_result_itself_on_s3_and_hdfs(uri: str, s3a: bool, expected: bool) -> None:
    assert writes_directly(uri, s3a=s3a) is expected


def test_s3a_is_there_only_with_hadoop_aws_in_the_jar_directory(tmp_path: Path) -> None:
    assert not has_s3a("")
    assert not has_s3a(str(tmp_path))
    (tmp_path / "hadoop-aws-3.3.4.jar").write_bytes(b"")
    assert has_s3a(str(tmp_path))


def test_s3a_settings_follow_the_endpoint() -> None:
    plain = s3a_settings(S3Config("http://127.0.0.1:8333", "ak", "sk", "cn-east-1"))
    tls = s3a_settings(S3Config("https://s3.example", "ak", "sk"))

    assert plain["fs.s3a.endpoint"] == "http://127.0.0.1:8333"
    assert plain["fs.s3a.path.style.access"] == "true"
    assert plain["fs.s3a.endpoint.region"] == "cn-east-1"
    assert (plain["fs.s3a.access.key"], plain["fs.s3a.secret.key"]) == ("ak", "sk")
    assert plain["fs.s3a.connection.ssl.enabled"] == "false"
    assert tls["fs.s3a.connection.ssl.enabled"] == "true"


def test_the_s3_endpoint_comes_from_the_storage_that_opened_it() -> None:
    config = S3Config("http://127.0.0.1:1", "ak", "sk")

    assert s3_endpoint(open_storages(StorageConfig(s3=config))) == config
    assert s3_endpoint(open_storages(StorageConfig())) is None
    assert s3_endpoint(object()) is None
