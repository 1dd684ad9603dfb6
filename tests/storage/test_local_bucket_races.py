"""A symbolic link swapped into a key's path after the bucket checked it (a directory renamed
away and a link to another account's bucket put in its place) does not carry a write, an
upload or a delete out of the bucket (storage.local_buckets; the static case is
tests/breaker/test_local_kodo_symlinks.py).

The swap is made at the first audited file-system call (sys.addaudithook) of the operation, so
after the bucket's own checks and before any file is touched: the race, every time."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tidemill.core.models import AccountScope
from tidemill.errors import Failure, InvalidInputError
from tidemill.storage.base import Buckets
from tidemill.storage.local_buckets import LocalKodo

_armed: list[Callable[[], None]] = []
EVENTS = {"open", "os.mkdir", "os.remove", "os.rename", "os.replace", "os.rmdir"}


def _audit(event: str, args: Any) -> None:
    if event in EVENTS and _armed:
        _armed.pop()()


sys.addaudithook(_audit)  # cannot be removed: inert while nothing is armed


class World:
    def __init__(self, root: Path) -> None:
        kodo = LocalKodo(root / "kodo")
        self.mallory = kodo.for_account(AccountScope("mallory"))
        self.alice = kodo.for_account(AccountScope("alice"))
        self.mallory.create_bucket("logs")
        self.alice.create_bucket("payroll")
        self.alice.write("payroll", "salaries.json", b'{"who": "alice"}\n')
        self.mallory.write("logs", "day/salaries.json", b"{}\n")
        self.day = root / "kodo" / "mallory" / "logs" / "day"
        self.payroll = root / "kodo" / "alice" / "payroll"

    def swap(self) -> None:
        """`day/` becomes a link to alice's bucket (the real directory kept aside)."""
        os.rename(self.day, self.day.with_name("day-aside"))
        os.symlink(self.payroll, self.day)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield World(tmp_path)
    _armed.clear()


def racing(world: World, action: Callable[[Buckets], object]) -> None:
    _armed.append(world.swap)
    try:
        action(world.mallory)
    except InvalidInputError as exc:
        assert exc.failure is Failure.DS_PATH_ILLEGAL and "symbolic link" in exc.message
    assert not _armed, "the swap never happened"


@pytest.mark.parametrize(
    "action",
    [
        lambda b: b.write("logs", "day/salaries.json", b"overwritten"),
        lambda b: b.write("logs", "day/new.json", b"planted"),
        lambda b: b.delete("logs", "day/salaries.json"),
    ],
    ids=["overwrite", "plant", "delete"],
)
def test_a_link_swapped_in_after_the_check_leads_nowhere(
    world: World, action: Callable[[Buckets], object]
) -> None:
    racing(world, action)

    assert world.alice.read("payroll", "salaries.json") == b'{"who": "alice"}\n'
    assert [o.key for o in world.alice.list("payroll")] == ["salaries.json"]
    assert sorted(p.name for p in world.payroll.iterdir()) == ["salaries.json"]


def test_an_upload_raced_the_same_way_stays_in_the_bucket(world: World, tmp_path: Path) -> None:
    staged = tmp_path / "staged.json"
    staged.write_bytes(b"planted")

    racing(world, lambda b: b.upload("logs", "day/new.json", staged, move=True))

    assert sorted(p.name for p in world.payroll.iterdir()) == ["salaries.json"]


def test_the_bucket_still_writes_reads_and_deletes_through_its_own_links(
    world: World, tmp_path: Path
) -> None:
    inner = world.day.with_name("inner")
    inner.symlink_to(world.day)  # a link that stays inside the bucket is followed
    staged = tmp_path / "staged.json"
    staged.write_bytes(b"moved")

    world.mallory.write("logs", "inner/b.json", b"b")
    world.mallory.upload("logs", "deep/er/c.json", staged, move=True)
    written = (world.day / "b.json").read_bytes(), world.mallory.read("logs", "deep/er/c.json")
    world.mallory.delete("logs", "deep/er/c.json")
    world.mallory.delete("logs", "no/such/key.json")

    assert written == (b"b", b"moved") and not staged.exists()
    assert not (world.day.parent / "deep").exists()  # emptied directories go
    assert sorted(o.key for o in world.mallory.list("logs")) == [
        "day/b.json", "day/salaries.json", "inner/b.json", "inner/salaries.json",
    ]  # fmt: skip
