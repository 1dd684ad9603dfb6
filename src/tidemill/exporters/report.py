"""report exports: rows into dbName.tableName of a SQL database (spec §8.7, D-23, D-24).

The target is `TIDEMILL_REPORT_URL`, a SQLAlchemy URL: with `{db}` in it each dbName is its own
database (the default: one SQLite file per dbName under `<data>/report/`); without it, dbName is
a schema of that one database (PostgreSQL). Either way account A's dbName D is `A-D` there
(`ExportContext.scoped`): one account's exports, `overwrite` included, never reach another's.
A missing table is created from the job's output types. Every row carries the batch it came
from in `_tidemill_batch` (added to an existing table when missing), and the whole write is one
transaction that first removes the rows an earlier attempt of the same batch wrote: a rerun
replaces them, and a failed write leaves nothing. `overwrite` empties the table first instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tidemill.errors import BackendError, Failure
from tidemill.exporters._reading import result_valtypes, row_batches
from tidemill.exporters.base import SUCCESSFUL, ExportContext, ExportOutcome, ExportPlan

BATCH_COLUMN = "_tidemill_batch"
_TYPES: dict[str, Any] = {
    "long": sa.BigInteger,
    "float": sa.Float(precision=53),
    "boolean": sa.Boolean,
    "date": sa.DateTime(timezone=True),
    "string": sa.Text,
}


def database_url(template: str, db_name: str) -> tuple[str, str | None]:
    """(URL, schema) for `db_name`: `{db}` substituted, else dbName is the schema."""
    if "{db}" in template:
        return template.replace("{db}", db_name), None
    return template, db_name


def export_report(ctx: ExportContext, plan: ExportPlan) -> ExportOutcome:
    spec = plan.spec
    db_name, table_name = str(spec["dbName"]), str(spec["tableName"])
    mapping = {str(k): str(v)[1:] for k, v in dict(spec["columns"]).items()}
    overwrite = str(spec.get("saveMode") or "append") == "overwrite"
    url, schema = database_url(ctx.targets.report_url, ctx.scoped(db_name))
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise BackendError(Failure.INTERNAL, f"invalid report database URL: {exc}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    where = f"{db_name}.{table_name}"
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    written = 0
    try:
        with engine.begin() as conn:
            table = _table(conn, table_name, schema, mapping, result_valtypes(ctx))
            if overwrite:
                conn.execute(sa.delete(table))
            else:
                conn.execute(sa.delete(table).where(table.c[BATCH_COLUMN] == ctx.batch_key))
            for rows in row_batches(ctx, list(mapping.values())):
                conn.execute(
                    sa.insert(table),
                    [
                        {**{k: row[c] for k, c in mapping.items()}, BATCH_COLUMN: ctx.batch_key}
                        for row in rows
                    ],
                )
                written += len(rows)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).split("\n")[0]
        raise BackendError(Failure.INTERNAL, f"cannot write {where}: {reason}") from exc
    finally:
        engine.dispose()
    return ExportOutcome(
        plan.name,
        plan.type,
        SUCCESSFUL,
        f"{written} row(s) into {where}",
        rows=written,
        written={"db": db_name, "table": table_name, "batch": ctx.batch_key, "rows": written},
    )


def _table(
    conn: sa.Connection,
    name: str,
    schema: str | None,
    mapping: dict[str, str],
    valtypes: dict[str, str],
) -> sa.Table:
    inspector = sa.inspect(conn)
    if schema is not None and conn.dialect.name == "sqlite":
        raise BackendError(
            Failure.INTERNAL, "a SQLite report URL needs {db} in it (one file per dbName)"
        )
    if schema is not None and schema not in inspector.get_schema_names():
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
    if not inspector.has_table(name, schema=schema):
        columns = [sa.Column(k, _TYPES[valtypes.get(c, "string")]) for k, c in mapping.items()]
        created = sa.Table(
            name,
            sa.MetaData(),
            *columns,
            sa.Column(BATCH_COLUMN, sa.String(200), index=True),
            schema=schema,
        )
        created.create(conn)
        return created
    table = sa.Table(name, sa.MetaData(), autoload_with=conn, schema=schema)
    if BATCH_COLUMN not in table.c:
        full = conn.dialect.identifier_preparer.format_table(table)
        conn.execute(sa.text(f"ALTER TABLE {full} ADD COLUMN {BATCH_COLUMN} VARCHAR(200)"))
        table = sa.Table(name, sa.MetaData(), autoload_with=conn, schema=schema)
    missing = [k for k in mapping if k not in table.c]
    if missing:
        raise BackendError(
            Failure.INTERNAL,
            f"table {name} has no column {', '.join(missing)}: add it or change spec.columns",
        )
    return table
