"""The GET answer cache (api/answers.py) kept up to 4,096 encoded bodies, whatever their size.
A job's definition is bounded only by the 4 MiB request limit (its SQL may carry a comment that
long), so one account with a few hundred such jobs, reading each once while nothing commits,
had the API process hold gigabytes (4,096 x 4 MiB = 16 GiB at the limit): the server, its
runner and scheduler included, killed for memory. The cache now keeps bodies up to a byte
budget, and none larger than a small share of it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tidemill.api import answers
from tidemill.api.answers import AnswerCache
from tidemill.store.data_version import DataVersion


def test_the_cache_holds_a_bounded_number_of_bytes(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    cache = AnswerCache(lambda: DataVersion.of(engine))
    version = cache.version()
    assert version is not None
    body = b"x" * (1 << 20)
    for name in range(200):  # 200 MiB offered
        cache.put(version, ("get", 1, f"j{name}"), body)
    kept = sum(len(cache.get(version, ("get", 1, f"j{n}")) or b"") for n in range(200))
    assert 0 < kept <= answers.MAX_BYTES, kept
    huge = b"y" * (4 << 20)  # a 4 MiB definition: never kept
    cache.put(version, ("get", 1, "huge"), huge)
    assert cache.get(version, ("get", 1, "huge")) is None
    small = b"{}"
    cache.put(version, ("get", 1, "small"), small)
    assert cache.get(version, ("get", 1, "small")) == small
    cache.close()
    engine.dispose()
