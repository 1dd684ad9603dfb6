"""The random sample of cases `test_spark_sample.py` re-runs on real Spark.

Seeded per run: `TIDEMILL_FIDELITY_SEED` (to repeat a run), else the clock. The seed is printed
in pytest's header.
"""

from __future__ import annotations

import os
import random
import time

from tests.fidelity import answers
from tests.fidelity.corpus_loader import Entry, load

SIZE = int(os.environ.get("TIDEMILL_FIDELITY_SAMPLE", "25"))
SEED = int(os.environ.get("TIDEMILL_FIDELITY_SEED") or time.time_ns() % 1_000_000)


def sample() -> list[Entry]:
    """Up to SIZE cases with a current recorded answer, chosen with SEED."""
    recorded = []
    cache: dict[str, dict[str, dict[str, object]]] = {}
    for entry in load().entries:
        stored = cache.setdefault(entry.category, answers.load(entry.category))
        record = stored.get(entry.case.id)
        if record is not None and not answers.stale(entry, record):
            recorded.append(entry)
    chosen = random.Random(SEED).sample(recorded, min(SIZE, len(recorded)))
    return sorted(chosen, key=lambda e: e.case.id)
