"""core.spark_resources: a container as Spark executors."""

from __future__ import annotations

import pytest

from tidemill.core.models import JSON
from tidemill.core.spark_resources import (
    SparkResources,
    heap_mib,
    local_heap_mib,
    memory_fraction,
    size_bytes,
    spark_resources,
)


@pytest.mark.parametrize(
    ("container", "expected"),
    [
        ({}, SparkResources(1, 1, 1664, 384)),
        ({"type": "1U2G", "count": 1}, SparkResources(1, 1, 1664, 384)),
        ({"type": "1U4G", "count": 2}, SparkResources(2, 1, 3712, 384)),
        ({"type": "2U4G", "count": 3}, SparkResources(3, 2, 3712, 384)),
        ({"type": "4U8G", "count": 1}, SparkResources(1, 4, 7447, 745)),
        ({"type": "8U32G", "count": 10}, SparkResources(10, 8, 29789, 2979)),
        ({"type": "16U64G", "count": 6}, SparkResources(6, 16, 59578, 5958)),
    ],
)
def test_each_container_unit_is_one_executor_of_its_cores_and_memory(
    container: JSON, expected: SparkResources
) -> None:
    got = spark_resources(container)

    assert got == expected
    unit_gib = int(str(container.get("type") or "1U2G").split("U")[1].rstrip("G"))
    assert got.memory_mib + got.overhead_mib == unit_gib * 1024  # exactly the unit's memory
    assert got.overhead_mib >= max(384, int(got.memory_mib * 0.10))  # Spark's own floor


def test_the_settings_name_spark_properties() -> None:
    conf = spark_resources({"type": "2U4G", "count": 3}).conf()

    assert conf["spark.executor.instances"] == "3"
    assert conf["spark.executor.cores"] == "2"
    assert conf["spark.executor.memory"] == "3712m"
    assert conf["spark.executor.memoryOverhead"] == "384m"
    assert conf["spark.cores.max"] == "6"
    assert conf["spark.dynamicAllocation.maxExecutors"] == "3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("48MiB", 48 * 2**20), ("2GB", 2 * 10**9), ("1344MiB", 1344 * 2**20), ("1 GiB", 2**30),
     ("512", 512), ("0.5GiB", 2**29), ("10kb", 10_000)],
)  # fmt: skip
def test_sizes_are_read_with_their_unit(text: str, expected: int) -> None:
    assert size_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "MiB", "12 parsecs", "1.2.3GB", "-"])
def test_a_size_without_a_known_unit_or_number_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a size"):
        size_bytes(text)


@pytest.mark.parametrize(
    ("limit", "heap", "expected"),
    [
        ("48MiB", 1024, 0.066),  # (1024 - 300) MiB usable: 48 / 724
        ("32MiB", 1024, 0.044),
        ("64MiB", 1024, 0.088),
        ("1GB", 1024, 0.6),  # more than the heap gives: Spark's default
        ("2GB", 4096, 0.502),  # 2e9 B / (3796 MiB)
        ("1MiB", 1024, 0.01),  # floored
        ("100MiB", 512, 0.472),
    ],
)
def test_a_memory_limit_is_the_share_of_the_heap_spark_may_use(
    limit: str, heap: int, expected: float
) -> None:
    got = memory_fraction(limit, heap)

    assert got == expected
    if expected not in (0.6, 0.01):  # uncapped: the limit is what Spark may use, to 0.1 %
        usable = (heap - 300) * 2**20 * got
        assert abs(usable - size_bytes(limit)) / size_bytes(limit) < 0.01


def test_a_heap_no_larger_than_sparks_reserve_is_refused() -> None:
    with pytest.raises(ValueError, match="no memory past the reserved 300"):
        memory_fraction("1GB", 300)


@pytest.mark.parametrize(
    ("text", "expected"), [("512m", 512), ("1g", 1024), ("2G", 2048), ("1048576k", 1024),
                           (str(3 * 2**30), 3072)],
)  # fmt: skip
def test_jvm_memory_settings_in_mib(text: str, expected: int) -> None:
    assert heap_mib(text) == expected


@pytest.mark.parametrize(
    ("limit", "configured", "expected"),
    [("32MiB", 1024, 512), ("48MiB", 1024, 512), ("200MiB", 1024, 633), ("1GB", 1024, 1024),
     ("2GB", 4096, 3480), ("64MiB", 400, 400)],
)  # fmt: skip
def test_a_local_run_gets_a_heap_for_its_limit_within_the_configured_one(
    limit: str, configured: int, expected: int
) -> None:
    assert local_heap_mib(limit, configured) == expected
