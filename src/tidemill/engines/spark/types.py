"""Tidemill valtypes (spec §3.2) ↔ Spark SQL types, by Spark's type names (no pyspark here).

An input column of valtype `long` is read as BIGINT, `float` as DOUBLE, `date` as TIMESTAMP
(an instant, shown in the session zone), `boolean` as BOOLEAN and `string` as STRING. A result
column gets the valtype of its Spark type (`valtype`) and is written in the type that valtype
names (`spark_type`), as the DuckDB engine writes it (`tidemill.engines.base.Engine.run`).
"""

from __future__ import annotations

from tidemill.errors import Failure, InvalidInputError

SPARK_BY_VALTYPE = {
    "long": "bigint",
    "float": "double",
    "date": "timestamp",
    "boolean": "boolean",
    "string": "string",
}

# Spark's simpleString of a type (its name before any "(" or "<") → valtype; others: string.
_VALTYPE_BY_SPARK = {
    **dict.fromkeys(["bigint", "int", "smallint", "tinyint"], "long"),
    **dict.fromkeys(["double", "float", "decimal"], "float"),
    **dict.fromkeys(["timestamp", "timestamp_ntz", "date"], "date"),
    "boolean": "boolean",
}

# Spark types of valtype string written as they are, not as text (the DuckDB engine writes
# nested values and binary natively too).
NATIVE = ("array", "map", "struct", "binary")


def spark_type(valtype: str) -> str:
    """The Spark type name a column of `valtype` has. SCHEMA_TYPE_INVALID outside spec §3.2."""
    found = SPARK_BY_VALTYPE.get(valtype)
    if found is None:
        raise InvalidInputError(Failure.SCHEMA_TYPE_INVALID, f"valtype {valtype!r} is unknown")
    return found


def valtype(simple: str) -> str:
    """The valtype of a result column whose Spark type is `simple` ("decimal(10,2)", "bigint")."""
    base = simple.split("(", 1)[0].split("<", 1)[0].strip().lower()
    return _VALTYPE_BY_SPARK.get(base, "string")
