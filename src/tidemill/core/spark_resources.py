"""A job's container (spec §3.3, `1U2G x count`) as Spark executor resources (issue 13).

One container unit is one executor: `count` executors of the type's cores, and the type's
memory split between the executor's JVM heap (`spark.executor.memory`) and its off-heap
overhead (`spark.executor.memoryOverhead`), so heap + overhead is exactly the unit's memory.
Spark's own default overhead is max(384 MiB, 10 % of the heap) ("Application Properties",
spark.executor.memoryOverhead, Spark 3.5 configuration docs); the split keeps that rule.
Dynamic allocation, where the cluster supports it, may run from one executor up to `count`.
"""

from __future__ import annotations

import re
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


# Spark's unified memory (execution + storage: what a sort, aggregate or join may hold before it
# spills) is (heap - 300 MiB) * spark.memory.fraction ("Memory Management Overview", Spark 3.5
# tuning guide; UnifiedMemoryManager's reserved memory).
RESERVED_MIB = 300
DEFAULT_FRACTION = 0.6  # Spark's default spark.memory.fraction
MIN_FRACTION = 0.01
_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)")


def size_bytes(text: str) -> int:
    """Bytes of a size written with a unit, as `Limits.memory` holds it ("48MiB", "2GB").

    ValueError for text that is not a number and one of B, KB, MB, GB, TB, KiB, MiB, GiB, TiB.
    """
    found = _SIZE.fullmatch(text.strip())
    unit = (found.group(2) or "b").lower() if found else ""
    if found is None or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size such as 48MiB or 2GB")
    return int(float(found.group(1)) * _UNITS[unit])


def memory_fraction(limit: str, heap_mib: int) -> float:
    """spark.memory.fraction that gives a JVM of `heap_mib` MiB heap `limit` of unified memory.

    Capped at Spark's default 0.6 (a limit the heap cannot give gets what Spark gives by
    default; the rest of the heap is Spark's "user memory") and floored at 0.01. Rounded to
    3 places, so limits that differ by less share one Spark application.
    """
    usable = (heap_mib - RESERVED_MIB) * 2**20
    if usable <= 0:
        raise ValueError(f"a Spark heap of {heap_mib} MiB leaves no memory past the reserved 300")
    wanted = size_bytes(limit) / usable
    return round(min(DEFAULT_FRACTION, max(MIN_FRACTION, wanted)), 3)


def heap_mib(text: str) -> int:
    """MiB of a JVM memory setting as Spark writes it ("512m", "1g", "2048")."""
    value = text.strip().lower()
    scale = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}.get(value[-1:])
    if scale is None:
        return int(value) // 2**20  # plain bytes
    return int(float(value[:-1]) * scale)


MIN_LOCAL_HEAP_MIB = 512  # above Spark's floor for a JVM that runs tasks (450 MiB)


def local_heap_mib(limit: str, configured_mib: int) -> int:
    """The driver heap (MiB) of a local-mode run whose memory limit is `limit`: what the limit
    needs at Spark's default fraction plus the reserved 300 MiB, at least 512, at most the
    configured heap. Small limits get a small JVM, so memory Spark does not account (objects
    of collect_list, a row's own bytes) is bounded near the limit too."""
    wanted = -(-size_bytes(limit) // 2**20) / DEFAULT_FRACTION + RESERVED_MIB
    return int(min(configured_mib, max(MIN_LOCAL_HEAP_MIB, wanted)))
