"""Which member of a group Spark's percentile_approx answers: the rank its GK summary picks.

Spark's percentile_approx (ApproximatePercentile over QuantileSummaries, a Greenwald-Khanna
summary with relative error 1/accuracy) buffers up to 50,000 values, then inserts them sorted
as samples (g = 1; delta = floor(2·ε·i) for the i-th, 0 for the first and last), compresses
the samples (from the largest down, a sample is merged into the next kept one while
g + g_next + delta_next < 2·ε·n), and answers the first kept sample whose rank interval
[minRank, minRank + delta] lies within half the summary's largest g + delta of ceil(p·n) — the
smallest member when p <= ε, the largest when p >= 1 - ε.

For a group of up to 50,000 values read by one Spark task (every value in one buffer), that
answer depends only on n, p and accuracy, not on the values: `rank` computes it, and the
`aggregates` pass picks that member of the sorted group. Larger groups Spark compresses while
it reads, in the order it reads, and merges the summaries of its tasks; its answer then depends
on how its input was split and ordered, and this one is the single-buffer answer (both within
Spark's documented error, n/accuracy ranks).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def rank(count: int, percentage: float, accuracy: int) -> int | None:
    """The 1-based rank, among `count` sorted values, of the member Spark's percentile_approx
    answers for `percentage` (0..1) at `accuracy`; None when there are no values."""
    if count <= 0 or accuracy <= 0:
        return None
    epsilon = 1.0 / accuracy
    threshold = 2 * epsilon * count

    def delta(index: int) -> int:  # the sample of 0-based index `index` when it was inserted
        if index in (0, count - 1):
            return 0
        return math.floor(2 * epsilon * (index + 1))

    # Compress, from the largest sample down: kept samples as (index, g, delta), reversed.
    kept: list[tuple[int, int, int]] = []
    head_index, head_g, head_delta = count - 1, 1, 0
    index = count - 2
    while index >= 1:
        # Merge samples index, index-1, ... into the head while 1 + g + delta < threshold.
        merges = max(0, math.ceil(threshold - 1 - head_delta) - head_g)
        while merges > 0 and not 1 + (head_g + merges - 1) + head_delta < threshold:
            merges -= 1
        while 1 + (head_g + merges) + head_delta < threshold:
            merges += 1
        merges = min(merges, index)
        head_g += merges
        index -= merges
        if index >= 1:
            kept.append((head_index, head_g, head_delta))
            head_index, head_g, head_delta = index, 1, delta(index)
            index -= 1
    kept.append((head_index, head_g, head_delta))
    if count > 1:
        kept.append((0, 1, 0))
    kept.reverse()

    if percentage <= epsilon:
        return kept[0][0] + 1
    if percentage >= 1 - epsilon:
        return kept[-1][0] + 1
    target = math.ceil(percentage * count)
    error = max(g + d for _, g, d in kept) // 2
    min_rank = 0
    for sample_index, g, d in kept[:-1]:
        min_rank += g
        if min_rank + d - error <= target <= min_rank + error:
            return sample_index + 1
    return kept[-1][0] + 1


# name, function, parameter types, return type (DuckDB); see translate.register_functions.
FUNCTIONS: tuple[tuple[str, Callable[..., Any], tuple[str, ...], str], ...] = (
    ("tidemill_gk_rank", rank, ("BIGINT", "DOUBLE", "BIGINT"), "BIGINT"),
)
