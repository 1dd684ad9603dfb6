"""core.spark_resources: a container as Spark executors."""

from __future__ import annotations

import pytest

from tidemill.core.models import JSON
from tidemill.core.spark_resources import SparkResources, spark_resources


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
