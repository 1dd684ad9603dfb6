"""Pure job rules: what a container means for a batch, what a job can read."""

from __future__ import annotations

import pytest

from tidemill.core.job_graph import readable_sources
from tidemill.core.jobs import container_limits
from tidemill.core.models import Job, JobSource, SchedulerMode


@pytest.mark.parametrize(
    ("container", "cpus", "limits"),
    [
        ({"type": "1U2G", "count": 1}, 2, (1, "2GB")),
        ({"type": "2U4G", "count": 1}, 2, (2, "4GB")),
        ({"type": "4U16G", "count": 2}, 2, (2, "32GB")),  # threads capped at the machine's
        ({"type": "8U32G", "count": 3}, 64, (24, "96GB")),
        ({}, 8, (1, "2GB")),  # a depend job's root without a container
    ],
)
def test_container_limits(container: dict[str, object], cpus: int, limits: tuple[int, str]) -> None:
    assert container_limits(container, cpus) == limits


def test_readable_sources_walk_the_upstream_chain_once_each() -> None:
    logs = JobSource("datasource", "logs", "l")
    a = Job("a", {}, SchedulerMode.MANUAL, (logs,))
    b = Job("b", {}, SchedulerMode.DEPEND, (JobSource("job", "a", "ta"), logs))
    jobs = {"a": a, "b": b}
    c_sources = (JobSource("job", "b", "tb"), JobSource("job", "gone", "tg"))

    walked = list(readable_sources(c_sources, jobs.get))

    assert [(s.table_name, u.name if u else None) for s, u in walked] == [
        ("tb", "b"), ("tg", None), ("ta", "a"), ("l", None), ("l", None),
    ]  # fmt: skip
