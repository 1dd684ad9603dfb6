"""TIDEMILL_HDFS__ROOTS: which hdfs:// URIs an account may reach (core.hdfs_roots)."""

from __future__ import annotations

import pytest

from tidemill.core.hdfs_roots import check_roots, inside, root_problem
from tidemill.errors import Failure, InvalidInputError

ROOTS = ("hdfs://nn:8020/tenants/{account}/",)


@pytest.mark.parametrize(
    "uri",
    [
        "hdfs://nn:8020/tenants/alice",
        "hdfs://nn:8020/tenants/alice/",
        "hdfs://nn:8020/tenants/alice/logs/$(year)/",
        "hdfs://nn:8020/tenants/alice/logs/*.json",
        "HDFS://NN:8020/tenants/alice/x",  # scheme and host in any case
    ],
)
def test_paths_under_the_accounts_root_are_allowed(uri: str) -> None:
    assert root_problem(uri, ROOTS, "alice") is None


@pytest.mark.parametrize(
    "uri",
    [
        "hdfs://nn:8020/tenants/bob/x",  # another account's root
        "hdfs://nn:8020/tenants/alicex/y",  # a sibling sharing the prefix: '/' boundary
        "hdfs://nn:8020/tenants/alice*",  # a glob reaching siblings
        "hdfs://nn:8020/tenants/",
        "hdfs://nn:8020/tenants/alice/../bob/x",  # no climbing out
        "hdfs://nn:8020/tenants/alice/./../bob",
        "hdfs://nn:8020//tenants/alice/x",  # no '//' tricks
        "hdfs://nn:8020/tenants//alice/x",
        "hdfs://nn:9000/tenants/alice/x",  # another port
        "hdfs://nn/tenants/alice/x",  # the port is part of the namenode
        "hdfs://other:8020/tenants/alice/x",  # another namenode
        "hdfs://nn:8020@evil:8020/tenants/alice/x",
        "s3://nn:8020/tenants/alice/x",
        "hdfs://nn:8020/tenants/alice\\..\\bob",
    ],
)
def test_paths_outside_it_are_refused_naming_the_setting(uri: str) -> None:
    problem = root_problem(uri, ROOTS, "alice")
    assert problem is not None and "TIDEMILL_HDFS__ROOTS" in problem
    assert "hdfs://nn:8020/tenants/alice/" in problem  # the root, {account} replaced


def test_account_is_replaced_per_account() -> None:
    uri = "hdfs://nn:8020/tenants/bob/x"
    assert root_problem(uri, ROOTS, "bob") is None
    assert root_problem(uri, ROOTS, "alice") is not None


def test_any_of_several_roots_and_no_roots_means_any_path() -> None:
    roots = (*ROOTS, "hdfs://nn:8020/shared/in/")
    assert root_problem("hdfs://nn:8020/shared/in/a.json", roots, "alice") is None
    assert root_problem("hdfs://nn:8020/shared/out/a.json", roots, "alice") is not None
    assert root_problem("hdfs://anywhere:1/x", (), "alice") is None


def test_a_root_without_trailing_slash_still_ends_on_a_name() -> None:
    assert inside("hdfs://nn:8020/t/a/x", "hdfs://nn:8020/t/a")
    assert not inside("hdfs://nn:8020/t/ab/x", "hdfs://nn:8020/t/a")


def test_check_roots_raises_the_given_failure_naming_the_uri() -> None:
    with pytest.raises(InvalidInputError) as exc:
        check_roots(["hdfs://nn:8020/x"], ROOTS, "alice", Failure.DS_PATH_ILLEGAL, "spec.paths")
    assert exc.value.failure is Failure.DS_PATH_ILLEGAL
    assert "'hdfs://nn:8020/x'" in exc.value.message
