"""Fixtures of the engine tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tidemill.engines.spark import session
from tidemill.engines.spark.engine import SparkEngine


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    """The process's shared local Spark session, as the Spark engine builds it: the modules that
    compare Tidemill's answers or refusals with Spark's own."""
    yield session.shared(SparkEngine().profile())
