"""Fidelity tests: the sample seed in the report header."""

from __future__ import annotations

from tests.fidelity import sampling


def pytest_report_header() -> str:
    return (
        f"fidelity: Spark sample of {sampling.SIZE} cases, seed {sampling.SEED}"
        " (repeat with TIDEMILL_FIDELITY_SEED)"
    )
