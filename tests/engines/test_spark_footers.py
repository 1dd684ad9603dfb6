"""`engines.spark.footers`: a Parquet read is given the declared schema only where Spark's own
inference would give exactly that schema (checked side by side with real pyspark)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tidemill.engines.spark import footers

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

INSTANT = dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC)
WALL_CLOCK = pa.array([INSTANT.replace(tzinfo=None)], pa.timestamp("us"))  # not UTC-adjusted
DECLARED = [
    ("n", "bigint"), ("x", "double"), ("s", "string"), ("b", "boolean"), ("t", "timestamp"),
]  # fmt: skip
SAME = {
    "n": pa.array([1], pa.int64()),
    "x": pa.array([1.5], pa.float64()),
    "s": pa.array(["a"], pa.string()),
    "b": pa.array([True], pa.bool_()),
    "t": pa.array([INSTANT], pa.timestamp("us", tz="UTC")),
}

# file name → (its columns, whether Spark infers DECLARED for the declared columns)
FILES: dict[str, tuple[dict[str, pa.Array], bool]] = {
    "same": (SAME, True),
    "extra-column": ({**SAME, "other": pa.array([[1]], pa.list_(pa.int64()))}, True),
    "milliseconds": ({**SAME, "t": pa.array([INSTANT], pa.timestamp("ms", tz="UTC"))}, True),
    "int32": ({**SAME, "n": pa.array([1], pa.int32())}, False),
    "float32": ({**SAME, "x": pa.array([1.5], pa.float32())}, False),
    "binary": ({**SAME, "s": pa.array([b"a"], pa.binary())}, False),
    "local-time": ({**SAME, "t": WALL_CLOCK}, False),
    "missing": ({k: v for k, v in SAME.items() if k != "b"}, False),
    "other-case": ({("N" if k == "n" else k): v for k, v in SAME.items()}, False),
    "nested": ({**SAME, "n": pa.array([{"v": 1}], pa.struct([("v", pa.int64())]))}, False),
}  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("footers")
    paths = {}
    for name, (columns, _) in FILES.items():
        paths[name] = directory / f"{name}.parquet"
        pq.write_table(pa.table(columns), paths[name])
    return paths


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_declared_schema_is_given_only_where_it_is_what_spark_infers(
    name: str, files: dict[str, Path]
) -> None:
    assert footers.inferred_as_declared([str(files[name])], DECLARED) is FILES[name][1]


def test_every_file_of_a_table_must_match(files: dict[str, Path]) -> None:
    assert footers.inferred_as_declared([str(files["same"]), str(files["milliseconds"])], DECLARED)
    assert not footers.inferred_as_declared([str(files["same"]), str(files["int32"])], DECLARED)


def test_files_spark_reads_itself_or_cannot_be_read_keep_inference(
    files: dict[str, Path], tmp_path: Path
) -> None:
    assert not footers.inferred_as_declared([], DECLARED)
    assert not footers.inferred_as_declared([f"s3a://bucket/{files['same'].name}"], DECLARED)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    assert not footers.inferred_as_declared([str(broken)], DECLARED)
    assert not footers.inferred_as_declared([str(tmp_path / "gone.parquet")], DECLARED)


def test_a_file_with_sparks_own_schema_keeps_inference(tmp_path: Path) -> None:
    table = pa.table(SAME).replace_schema_metadata({footers.SPARK_METADATA: b"{}"})
    pq.write_table(table, tmp_path / "spark.parquet")
    assert not footers.inferred_as_declared([str(tmp_path / "spark.parquet")], DECLARED)


def test_spark_infers_the_declared_types_exactly_where_the_footers_say_so(
    files: dict[str, Path], spark: object
) -> None:
    from pyspark.sql import SparkSession

    assert isinstance(spark, SparkSession)
    for name, path in files.items():
        inferred = {f.name: f.dataType.simpleString() for f in spark.read.parquet(str(path)).schema}
        spark_agrees = all(inferred.get(k) == kind for k, kind in DECLARED)
        assert footers.inferred_as_declared([str(path)], DECLARED) is spark_agrees, name
