"""A job's container (spec §3.3, `1U2G x count`) as Spark executor resources (issue 13).

One container unit is one executor: `count` executors of the type's cores, and the type's
memory split between the executor's JVM heap (`spark.executor.memory`) and its off-heap
overhead (`spark.executor.memoryOverhead`), so heap + overhead is exactly the unit's memory.
Spark's own default overhead is max(384 MiB, 10 % of the heap) ("Application Properties",
spark.executor.memoryOverhead, Spark 3.5 configuration docs); the split keeps that rule.
Dynamic allocation, where the cluster supports it, may run from one executor up to `count`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tidemill.core.jobs import CONTAINER_CORES
from tidemill.core.models import JSON

MIB_PER_GIB = 1024
MIN_OVERHEAD_MIB = 384  # Spark's floor of spark.executor.memoryOverhead
OVERHEAD_FACTOR = 0.10  # Spark's spark.executor.memoryOverheadFactor


@dataclass(frozen=True, slots=True)
class SparkResources:
    """Executors for one container: `instances` executors of `cores` cores, `memory_mib` MiB
    of heap and `overhead_mib` MiB of overhead each."""

    instances: int
    cores: int
    memory_mib: int
    overhead_mib: int

    def conf(self) -> dict[str, str]:
        """The Spark settings (names as Spark's configuration docs spell them)."""
        return {
            "spark.executor.instances": str(self.instances),
            "spark.executor.cores": str(self.cores),
            "spark.executor.memory": f"{self.memory_mib}m",
            "spark.executor.memoryOverhead": f"{self.overhead_mib}m",
            "spark.cores.max": str(self.instances * self.cores),  # standalone's cap
            "spark.dynamicAllocation.minExecutors": "1",
            "spark.dynamicAllocation.initialExecutors": str(self.instances),
            "spark.dynamicAllocation.maxExecutors": str(self.instances),
        }


def spark_resources(container: JSON) -> SparkResources:
    """The executors of `container` ({"type": "2U4G", "count": 3}); none stored: one 1U2G.

    An unknown type counts as one core (as `core.jobs.container_limits` does); the memory is
    the type's G read as GiB.
    """
    kind = str(container.get("type") or "1U2G")
    count = max(1, int(container.get("count") or 1))
    unit_mib = int(kind.split("U", 1)[1].rstrip("G")) * MIB_PER_GIB
    heap = int(unit_mib / (1 + OVERHEAD_FACTOR))
    if unit_mib - heap < MIN_OVERHEAD_MIB:
        heap = unit_mib - MIN_OVERHEAD_MIB
    return SparkResources(count, CONTAINER_CORES.get(kind, 1), heap, unit_mib - heap)
