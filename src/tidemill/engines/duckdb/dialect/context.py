"""What a rewrite pass may know besides the query: the tables it reads and their columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Spark's type for each Pandora valtype (spec §3.2): the types Spark infers for a datasource's
# columns, and so the types Spark's own rules (implicit casts, function signatures) see.
SPARK_TYPE_BY_VALTYPE: Mapping[str, str] = {
    "boolean": "boolean",
    "long": "bigint",
    "float": "double",
    "date": "timestamp",
    "string": "string",
}


@dataclass(frozen=True, slots=True)
class Context:
    """`tables` maps each table the job reads to its (column key, valtype) pairs.

    Empty when the caller does not know the tables (a pass that needs column types must then
    leave the query as it is, or refuse what it cannot translate without them).
    """

    tables: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)

    def spark_schema(self) -> dict[str, dict[str, str]]:
        """{table: {column: Spark type}}, the shape sqlglot's type annotation takes."""
        return {
            table: {key: SPARK_TYPE_BY_VALTYPE.get(vt, "string") for key, vt in columns}
            for table, columns in self.tables.items()
        }
