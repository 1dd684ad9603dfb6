"""Write `src/tidemill/core/spark_functions.py`: the names of Spark's built-in functions.

Run with the project's virtual environment (its pyspark is the reference, design.md):

    .venv/bin/python scripts/spark_functions.py

The names are what `SHOW FUNCTIONS` lists in a fresh local session (operators left out) and
the table-valued functions of its `tableFunctionRegistry`. `tests/engines/test_spark_functions.py`
checks the written list against the pyspark installed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

TARGET = Path(__file__).resolve().parent.parent / "src" / "tidemill" / "core" / "spark_functions.py"
WORD = re.compile(r"[a-z_][a-z0-9_]*")


def spark_names() -> tuple[str, frozenset[str], frozenset[str]]:
    """(Spark's version, its scalar/aggregate/window function names, its table functions)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    import pyspark
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    try:
        return (pyspark.__version__, *names_in(spark))
    finally:
        spark.stop()


def names_in(spark: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The word names `SHOW FUNCTIONS` lists in `spark` (a SparkSession) and its table-valued
    functions, lower case."""
    listed = {row[0].lower() for row in spark.sql("SHOW FUNCTIONS").collect()}
    registry = spark._jsparkSession.sessionState().tableFunctionRegistry()
    found = registry.listFunction().iterator()
    tables = set()
    while found.hasNext():
        tables.add(found.next().funcName().lower())
    return frozenset(name for name in listed if WORD.fullmatch(name)), frozenset(tables)


def module_text(version: str, functions: frozenset[str], tables: frozenset[str]) -> str:
    def block(names: frozenset[str]) -> str:
        return "".join(f'        "{name}",\n' for name in sorted(names))

    return (
        f'"""The names of Spark {version}\'s built-in functions (lower case), as its\n'
        "`SHOW FUNCTIONS` lists them (operators left out), and its table-valued functions.\n\n"
        "Written by `scripts/spark_functions.py` from the pyspark the project installs; do not\n"
        "edit by hand. A call of any other name is not Spark SQL (`core.sql`).\n"
        '"""\n\n'
        f'SPARK_VERSION = "{version}"\n\n'
        f"SPARK_FUNCTIONS = frozenset(\n    {{\n{block(functions)}    }}\n)\n\n"
        f"SPARK_TABLE_FUNCTIONS = frozenset(\n    {{\n{block(tables)}    }}\n)\n"
    )


def main() -> None:
    TARGET.write_text(module_text(*spark_names()))
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
