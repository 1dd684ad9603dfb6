"""Pure job rules: what a container means for a batch."""

from __future__ import annotations

import pytest

from tidemill.core.jobs import container_limits


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
