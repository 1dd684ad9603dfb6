"""The SQL an engine runs for a batch's Spark SQL, without running it (the dry run, issue 14).

DuckDB runs the dialect's translation of the Spark SQL (`engines.duckdb.dialect.to_duckdb`,
the very function its `run` calls); Spark runs the Spark SQL itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def engine_sql(engine: str, spark_sql: str, tables: Mapping[str, Sequence[tuple[str, str]]]) -> str:
    """What `engine` ("duckdb" or "spark") executes for `spark_sql` over `tables` (name ->
    (key, valtype) columns). Raises InvalidInputError(JOB_SQL_INVALID) where DuckDB refuses a
    construct, as its run would."""
    if engine != "duckdb":
        return spark_sql
    from tidemill.engines.duckdb.dialect import to_duckdb  # the engine's own translation

    return to_duckdb(spark_sql, tables)
