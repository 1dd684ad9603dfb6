"""Which engine runs a batch (issue 13, item 4): TIDEMILL_ENGINE = duckdb | spark | auto.

`auto` sends a batch to Spark when any of these holds, and to DuckDB otherwise:

* its listed input bytes exceed `min_bytes` (TIDEMILL_ENGINE__SPARK_MIN_BYTES);
* its container's memory exceeds `min_container_bytes`
  (TIDEMILL_ENGINE__SPARK_MIN_CONTAINER_BYTES; 0: never by container);
* the DuckDB engine refuses its SQL (a construct it cannot run as Spark does).

The reason is returned with the choice: it goes into the batch's history message.
"""

from __future__ import annotations

from dataclasses import dataclass

ENGINES = ("duckdb", "spark")
AUTO = "auto"


@dataclass(frozen=True, slots=True)
class Choice:
    """The engine that runs the batch and why ("set by TIDEMILL_ENGINE", "input ... bytes")."""

    engine: str
    reason: str


def choose_engine(
    setting: str,
    *,
    input_bytes: int,
    container_bytes: int,
    duckdb_refuses: bool,
    min_bytes: int,
    min_container_bytes: int = 0,
) -> Choice:
    """The engine for one batch. `setting` is TIDEMILL_ENGINE ("duckdb", "spark", "auto");
    sizes are bytes. ValueError for a setting outside those three (the settings refuse it
    first)."""
    if setting in ENGINES:
        return Choice(setting, f"TIDEMILL_ENGINE={setting}")
    if setting != AUTO:
        raise ValueError(f"TIDEMILL_ENGINE must be duckdb, spark or auto, not {setting!r}")
    if duckdb_refuses:
        return Choice("spark", "auto: the DuckDB engine refuses a construct of the SQL")
    if input_bytes > min_bytes:
        return Choice("spark", f"auto: input {input_bytes} bytes > {min_bytes}")
    if min_container_bytes and container_bytes > min_container_bytes:
        return Choice("spark", f"auto: container {container_bytes} bytes > {min_container_bytes}")
    return Choice("duckdb", f"auto: input {input_bytes} bytes <= {min_bytes}")
