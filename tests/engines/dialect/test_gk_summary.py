"""The rank percentile_approx answers (engines/duckdb/dialect/gk_summary.py) against a literal,
sample-by-sample run of the GK summary Spark builds for one buffer (insert sorted, compress
from the largest sample down, query). Real Spark's answers: tests/fidelity/corpus/aggregates.py
(percentile-approx-*)."""

from __future__ import annotations

import math
import random

import pytest

from tidemill.engines.duckdb.dialect.gk_summary import rank


def _literal_rank(count: int, percentage: float, accuracy: int) -> int:
    epsilon = 1.0 / accuracy
    samples = [
        [i, 1, 0 if i in (0, count - 1) else math.floor(2 * epsilon * (i + 1))]
        for i in range(count)
    ]
    threshold = 2 * epsilon * count
    kept: list[list[int]] = []
    head = samples[-1]
    for i in range(count - 2, 0, -1):
        if samples[i][1] + head[1] + head[2] < threshold:
            head = [head[0], head[1] + samples[i][1], head[2]]
        else:
            kept.insert(0, head)
            head = samples[i]
    kept.insert(0, head)
    if count > 1:
        kept.insert(0, samples[0])
    if percentage <= epsilon:
        return kept[0][0] + 1
    if percentage >= 1 - epsilon:
        return kept[-1][0] + 1
    target = math.ceil(percentage * count)
    error = max(g + d for _, g, d in kept) // 2
    min_rank = 0
    for index, g, d in kept[:-1]:
        min_rank += g
        if min_rank + d - error <= target <= min_rank + error:
            return index + 1
    return kept[-1][0] + 1


def test_rank_is_the_literal_summarys_answer() -> None:
    generator = random.Random(20261130)
    for _ in range(1500):
        count = generator.randint(1, 2500)
        accuracy = generator.choice([1, 2, 3, 7, 10, 50, 100, 1000, 10000])
        percentage = generator.choice(
            [0.0, 0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0, generator.random()]
        )
        assert rank(count, percentage, accuracy) == _literal_rank(count, percentage, accuracy)


@pytest.mark.parametrize(
    ("count", "percentage", "accuracy", "expected"),
    [
        (100, 0.5, 10, 48),  # Spark 3.5.9: 144.0, the 48th of aggregates_series.y
        (4, 0.5, 10000, 2),  # small groups: rank ceil(p·n)
        (0, 0.5, 10000, None),
    ],
)
def test_known_ranks(count: int, percentage: float, accuracy: int, expected: int | None) -> None:
    assert rank(count, percentage, accuracy) == expected
