"""Opening the metadata database: engine options per backend, and migrations to head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event

from tidemill import private_files
from tidemill.errors import ConfigError, Failure
from tidemill.store.checkpoints import AUTOCHECKPOINT_PAGES

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; busy_timeout queues writers.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Page cache up to 32 MiB a connection (default 2 MiB), grown only as pages are read: one
    # scheduler claim writes 10,000 batches across six indexes (docs/performance.md).
    cursor.execute("PRAGMA cache_size=-32768")
    # The server checkpoints on a thread of its own; a commit does only past this many pages
    # of log (store.checkpoints: a checkpoint in a commit held up the path it was on).
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cursor.close()


def create_engine(url: str) -> sa.Engine:
    """An Engine for `url` with the options Tidemill needs; no schema changes."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(Failure.INTERNAL, f"invalid metadata database URL: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if (
            parsed.database
            and parsed.database != ":memory:"
            and not parsed.database.startswith("file:")
        ):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            private_files.create(Path(parsed.database))  # it holds secret keys: 0600
        engine = sa.create_engine(
            parsed, connect_args={"check_same_thread": False}, pool_size=8, max_overflow=8
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(parsed, pool_size=8, max_overflow=8, pool_pre_ping=True)


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str) -> sa.Engine:
    """An Engine whose schema is migrated to head."""
    engine = create_engine(url)
    migrate(engine)
    return engine
