"""store.data_version: SQLite's data_version changes on every commit by anyone else, and only
then; no reader where changes cannot be seen that way (PostgreSQL, in-memory SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from tidemill.api.answers import AnswerCache
from tidemill.store.accounts import find_key, find_key_sqlite, put_key
from tidemill.store.data_version import DataVersion
from tidemill.store.db import create_engine, open_database


def test_the_version_changes_at_each_commit_of_another_connection_and_only_then(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as conn:
        conn.execute(sa.text("create table t (x integer)"))
    reader = DataVersion.of(engine)
    assert reader is not None
    try:
        start = reader.read()
        assert reader.read() == start
        with engine.connect() as conn:
            conn.execute(sa.text("select count(*) from t")).scalar()  # a read changes nothing
        assert reader.read() == start
        for n in range(3):
            with engine.begin() as conn:
                conn.execute(sa.text("insert into t values (:n)"), {"n": n})
            now = reader.read()
            assert now != start
            start = now
    finally:
        reader.close()
        engine.dispose()


def test_no_reader_for_postgresql_or_a_database_in_memory() -> None:
    assert DataVersion.of(sa.create_engine("postgresql+psycopg://u@127.0.0.1:1/none")) is None
    assert DataVersion.of(sa.create_engine("sqlite://")) is None
    assert DataVersion.of(sa.create_engine("sqlite:///:memory:")) is None


def test_a_body_made_across_a_change_is_not_kept(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as conn:
        conn.execute(sa.text("create table t (x integer)"))
    cache = AnswerCache(lambda: DataVersion.of(engine))
    try:
        before = cache.version()
        assert before is not None
        cache.put(before, "k", b"old")
        assert cache.get(before, "k") == b"old"
        with engine.begin() as conn:  # a commit between reading the version and keeping a body
            conn.execute(sa.text("insert into t values (1)"))
        after = cache.version()
        assert after is not None and after != before
        assert cache.get(after, "k") is None  # the old body went with the old version
        cache.put(before, "k", b"made-before-the-change")  # stamped with the old version
        assert cache.get(after, "k") is None
        assert AnswerCache(lambda: None).version() is None  # nothing is kept
    finally:
        cache.close()
        engine.dispose()


def test_a_key_read_on_the_readers_connection_is_the_stored_key_now(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        put_key(conn, "acme", "AK1", "secret-1", now)
    reader = DataVersion.of(engine)
    assert reader is not None
    try:
        found = reader.run(lambda c: find_key_sqlite(c, "AK1"))
        with engine.connect() as conn:
            assert found == find_key(conn, "AK1")
        assert found is not None and found.secret_key == "secret-1" and found.account == "acme"
        assert reader.run(lambda c: find_key_sqlite(c, "AK2")) is None
        with engine.begin() as conn:  # rotated through another connection: seen at once
            put_key(conn, "acme", "AK1", "secret-2", now)
        rotated = reader.run(lambda c: find_key_sqlite(c, "AK1"))
        assert rotated is not None and rotated.secret_key == "secret-2"
    finally:
        reader.close()
        engine.dispose()
