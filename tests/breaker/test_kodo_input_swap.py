"""A batch's kodo inputs are listed when the batch is planned and read by the engine later, by
path: the listing checked that each key lies inside the account's bucket, but a directory of
the key renamed away and replaced by a symbolic link to another account's bucket in between
(seconds while the batch waits for a worker) had the engine read the other account's file.
`LocalBuckets.local_path` pins the file it opened and checked, but the engines were given the
raw `file://` path (`LocalFiles.local_path`). The worker now reads kodo inputs through the
account's buckets (`execute(..., kodo=)`): the swapped key is refused, DS_PATH_ILLEGAL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.duckdb.database import preview
from tidemill.errors import Failure, InvalidInputError
from tidemill.runner.worker import execute
from tidemill.storage.local import file_uri
from tidemill.storage.local_buckets import LocalKodo
from tidemill.storage.registry import StorageConfig, open_storages

MALLORY = AccountScope("mallory")


def planned(kodo: LocalKodo, out: Path) -> BatchPlan:
    """mallory's batch over what her bucket lists now (as the planner lists it)."""
    buckets = kodo.for_account(MALLORY)
    base = buckets.bucket_uri("logs")
    files = tuple(
        InputFile(base + o.key, o.size, "json", name=f"logs/{o.key}")
        for o in buckets.list("logs", "day/")
    )
    assert [f.name for f in files] == ["logs/day/salaries.json"]
    table = TablePlan("t", (("who", "string", False),), files, file_type="json")
    return BatchPlan(1, MALLORY, "j", 1, "select who from t", (table,),
                     file_uri(out / "result.parquet"), Limits(1, "256MB"), "UTC")  # fmt: skip


def test_a_link_swapped_in_after_planning_does_not_read_another_account(tmp_path: Path) -> None:
    kodo = LocalKodo(tmp_path / "kodo")
    mallory, alice = kodo.for_account(MALLORY), kodo.for_account(AccountScope("alice"))
    mallory.create_bucket("logs")
    alice.create_bucket("payroll")
    alice.write("payroll", "salaries.json", b'{"who": "alice"}\n')
    mallory.write("logs", "day/salaries.json", b'{"who": "mallory"}\n')
    out = tmp_path / "warehouse"
    out.mkdir()
    plan = planned(kodo, out)

    day = tmp_path / "kodo" / "mallory" / "logs" / "day"
    os.rename(day, day.with_name("day-aside"))
    os.symlink(tmp_path / "kodo" / "alice" / "payroll", day)

    storage = open_storages(StorageConfig())
    (tmp_path / "scratch").mkdir()
    with pytest.raises(InvalidInputError) as refused:
        execute(plan, storage, scratch=tmp_path / "scratch", kodo=kodo)
    assert refused.value.failure is Failure.DS_PATH_ILLEGAL
    assert "day/salaries.json" in refused.value.message
    assert not (out / "result.parquet").exists()


def test_inputs_inside_the_bucket_are_read_as_before(tmp_path: Path) -> None:
    kodo = LocalKodo(tmp_path / "kodo")
    kodo.for_account(MALLORY).create_bucket("logs")
    kodo.for_account(MALLORY).write("logs", "day/salaries.json", b'{"who": "mallory"}\n')
    out = tmp_path / "warehouse"
    out.mkdir()
    (tmp_path / "scratch").mkdir()
    plan = planned(kodo, out)

    execute(plan, open_storages(StorageConfig()), scratch=tmp_path / "scratch", kodo=kodo)

    assert preview(out / "result.parquet", 10, "UTC")[1] == [("mallory",)]
