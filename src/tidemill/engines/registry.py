"""The engines this Tidemill can run, by name (TIDEMILL_ENGINE; "duckdb" today, "spark" later).

`engine(name)` opens one per process and keeps it: an engine holds what is costly to build
(DuckDB's schema database, later a Spark session), so job create and a worker reuse theirs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from tidemill.engines.base import Engine
from tidemill.errors import ConfigError, Failure


def _duckdb() -> Engine:
    from tidemill.engines.duckdb.engine import DuckDBEngine

    return DuckDBEngine()


def _spark() -> Engine:
    from tidemill.engines.spark.engine import SparkEngine
    from tidemill.engines.spark.session import DEFAULT_URL

    env = os.environ.get
    return SparkEngine(
        env("TIDEMILL_SPARK__URL") or DEFAULT_URL,
        jars=env("TIDEMILL_SPARK__JARS", ""),
        driver_memory=env("TIDEMILL_SPARK__DRIVER_MEMORY") or "1g",
        executor_memory=env("TIDEMILL_SPARK__EXECUTOR_MEMORY") or "1g",
        cores_max=env("TIDEMILL_SPARK__CORES_MAX", ""),
        driver_java_options=env("TIDEMILL_SPARK__DRIVER_JAVA_OPTIONS", ""),
    )


# name → factory; a factory imports its engine's library only when that engine is used.
ENGINES: dict[str, Callable[[], Engine]] = {
    "duckdb": _duckdb,
    "spark": _spark,
}
DEFAULT = "duckdb"

_opened: dict[tuple[int, str], Engine] = {}
_lock = threading.Lock()


def close_all() -> None:
    """Close this process's engines (`Engine.close`): what they keep between runs is released;
    a later `engine(name)` opens a new one."""
    with _lock:
        opened = [e for (pid, _), e in _opened.items() if pid == os.getpid()]
        _opened.clear()
    for found in opened:
        found.close()


def names() -> list[str]:
    """The registered engines' names, sorted."""
    return sorted(ENGINES)


def engine(name: str = DEFAULT) -> Engine:
    """This process's engine called `name`. ConfigError for a name no engine has."""
    factory = ENGINES.get(name)
    if factory is None:
        raise ConfigError(
            Failure.INTERNAL,
            f"no engine {name!r}: set TIDEMILL_ENGINE to one of {', '.join(names())}",
        )
    key = (os.getpid(), name)  # a forked worker opens its own
    with _lock:
        found = _opened.get(key)
        if found is None:
            found = _opened[key] = factory()
        return found
