"""Spark's answers: one local SparkSession over the corpus tables' Parquet files.

The reference of the fidelity issue: Spark 3.5 (pyspark 3.5.9), `spark.sql.ansi.enabled=false`,
session time zone = Tidemill's zone, local mode, no UI. Start one session per process
(`session()`), and stop it (`stop()`): it is a JVM.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.fidelity import canonical

ZONE = "Asia/Shanghai"

_session: Any = None
_views: dict[str, Path] = {}
_saved_tz: list[str | None] = []

# Spark type name (simpleString prefix) → valtype, for the output schema (spec §3.2).
_LONG = ("tinyint", "smallint", "int", "bigint")
_FLOAT = ("float", "double", "decimal")
_DATE = ("date", "timestamp", "timestamp_ntz")


def valtype(spark_type: str) -> str:
    """The spec §3.2 valtype Spark's column type stands for."""
    base = spark_type.split("(", 1)[0]
    if base in _LONG:
        return "long"
    if base in _FLOAT:
        return "float"
    if base in _DATE:
        return "date"
    if base == "boolean":
        return "boolean"
    return "string"


def session() -> Any:
    """The process's SparkSession, started on first use (5-40 s)."""
    global _session
    if _session is not None:
        return _session
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    # pyspark turns TIMESTAMP values into naive datetimes in the process's local zone: make it
    # UTC so they convert back to instants exactly (no DST folds).
    _saved_tz.append(os.environ.get("TZ"))
    os.environ["TZ"] = "UTC"
    time.tzset()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    _session = (
        SparkSession.builder.master("local[2]")
        .appName("tidemill-fidelity")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.session.timeZone", ZONE)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        # C1 only and the serial collector: tiny queries on a shared 2-core machine ran 2-3x
        # faster (measured); neither changes an answer.
        .config(
            "spark.driver.extraJavaOptions",
            f"-Duser.timezone={ZONE} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        )
        .config("spark.sql.adaptive.enabled", "true")
        .getOrCreate()
    )
    _session.sparkContext.setLogLevel("ERROR")
    return _session


def stop() -> None:
    """Stop the session's JVM, if one was started."""
    global _session
    if _session is not None:
        _session.stop()
        _session = None
        _views.clear()
    while _saved_tz:  # the process's own zone again
        saved = _saved_tz.pop()
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def register(paths: Mapping[str, Path]) -> None:
    """Make each {table: Parquet file} a temporary view (again only if its file changed)."""
    spark = session()
    for name, path in paths.items():
        if _views.get(name) != path:
            spark.read.parquet(str(path)).createOrReplaceTempView(name)
            _views[name] = path


def register_files(
    table: str, files: list[Path], file_type: str, schema: list[tuple[str, str]]
) -> None:
    """Make a Pandora datasource's files (json, text, parquet) the temporary view `table`, typed
    as Spark types the schema's valtypes (`dialect.context.SPARK_TYPE_BY_VALTYPE`)."""
    from tidemill.engines.duckdb.dialect.context import SPARK_TYPE_BY_VALTYPE

    spark = session()
    names = [str(f) for f in files]
    if file_type == "text":
        ((key, _),) = schema
        frame = spark.read.text(names).withColumnRenamed("value", key)
    elif file_type == "json":
        ddl = ", ".join(f"`{k}` {SPARK_TYPE_BY_VALTYPE[v]}" for k, v in schema)
        frame = spark.read.schema(ddl).json(names)
    elif file_type == "parquet":
        frame = spark.read.parquet(*names)
    else:
        raise ValueError(f"no Spark reader for fileType {file_type!r} here")
    frame.createOrReplaceTempView(table)
    _views.pop(table, None)


def answer(sql: str) -> dict[str, Any]:
    """Spark's answer to `sql`: {"schema": [{name, sparkType, valtype}], "rows": [[...]]}, or
    {"error": message} when Spark refuses or fails it (the case is then invalid)."""
    spark = session()
    try:
        frame = spark.sql(sql)
        fields = frame.schema.fields
        shown = [_shown(f.name, f.dataType) for f in fields]
        if any(s is not None for s in shown):
            from pyspark.sql import functions as F

            frame = frame.select(
                *[
                    F.col(f"`{f.name}`") if s is None else F.expr(s).alias(f.name)
                    for f, s in zip(fields, shown, strict=True)
                ]
            )
        rows = frame.collect()
    except Exception as exc:
        return {"error": _error_text(exc)}
    schema = [
        {"name": f.name, "sparkType": f.dataType.simpleString(),
         "valtype": valtype(f.dataType.simpleString())}
        for f in fields
    ]  # fmt: skip
    converted = [[_value(v, f.dataType) for v, f in zip(row, fields, strict=True)] for row in rows]
    return {"schema": schema, "rows": converted}


def _shown(name: str, data_type: Any) -> str | None:
    """Spark SQL turning a column Python cannot receive (intervals) into Spark's own text."""
    text = data_type.simpleString()
    if "interval" in text:
        return f"CAST(`{name}` AS STRING)"
    return None


def _value(v: Any, data_type: Any) -> Any:
    from pyspark.sql import types as T

    if v is None:
        return None
    if isinstance(data_type, T.TimestampType):
        # a naive datetime in the process zone, UTC (see session())
        return canonical.rfc3339(v.replace(tzinfo=dt.UTC), ZONE)
    if isinstance(data_type, T.TimestampNTZType):
        return canonical.rfc3339(v.replace(tzinfo=zoneinfo.ZoneInfo(ZONE)), ZONE)
    if isinstance(data_type, T.DateType):
        midnight = dt.datetime.combine(v, dt.time(), tzinfo=zoneinfo.ZoneInfo(ZONE))
        return canonical.rfc3339(midnight, ZONE)
    if isinstance(data_type, T.ArrayType):
        return [_value(x, data_type.elementType) for x in v]
    if isinstance(data_type, T.MapType):
        return {
            canonical.key_text(_value(k, data_type.keyType)): _value(x, data_type.valueType)
            for k, x in v.items()
        }
    if isinstance(data_type, T.StructType):
        return {f.name: _value(x, f.dataType) for f, x in zip(data_type.fields, v, strict=True)}
    return canonical.value(v, ZONE)


def _error_text(exc: Exception) -> str:
    text = str(exc).strip().split("\n\nJVM stacktrace")[0].split("\n\tat ")[0]
    return text.split(";\n'")[0].split(";\n+-")[0][:2000]  # not the plan Spark appends
