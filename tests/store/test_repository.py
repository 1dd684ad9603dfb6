"""The metadata store on both backends: migrations, round trips, account scoping."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tidemill.core.models import (
    AccountScope,
    Datasource,
    Export,
    Job,
    JobSource,
    SchedulerMode,
    SchemaField,
    Variable,
    Workflow,
    WorkflowStatus,
)
from tidemill.errors import NotFoundError
from tidemill.store import accounts
from tidemill.store import repository as repo
from tidemill.store.db import migrate, open_database

NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
DS = Datasource(
    "ds",
    "nb",
    "kodo",
    {"bucket": "bkt1", "fileType": "json"},
    (SchemaField("a", "long", True), SchemaField("b", "string")),
    "wf",
)
JOB = Job(
    "j",
    {
        "srcs": [{"name": "ds", "type": "DataSource", "tableName": "t", "fileFilter": "$(date)"}],
        "computation": {"code": "select a from t", "type": "sql"},
    },
    SchedulerMode.MANUAL,
    (JobSource("datasource", "ds", "t", "$(date)"),),
    (SchemaField("a", "long"),),
    "wf",
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = open_database(url)
    yield db
    db.dispose()


@pytest.fixture
def account(engine: sa.Engine) -> int:
    with engine.begin() as conn:
        return accounts.ensure_account(conn, "acme", NOW)


def test_migrating_twice_is_a_no_op(engine: sa.Engine) -> None:
    migrate(engine)

    tables = set(sa.inspect(engine).get_table_names())
    assert {
        "accounts",
        "access_keys",
        "datasources",
        "jobs",
        "job_sources",
        "job_exports",
        "variables",
        "workflows",
        "alembic_version",
    } <= tables


def test_keys_round_trip_and_resolve_to_their_account(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        made = accounts.create_key(conn, "acme", NOW)
        accounts.put_key(conn, "other", "AK2", "SK2", NOW)

    with engine.connect() as conn:
        found = accounts.find_key(conn, made.access_key)
        other = accounts.find_key(conn, "AK2")
        missing = accounts.find_key(conn, "nope")

    assert found == made
    assert other is not None and other.account == "other" and other.secret_key == "SK2"
    assert other.account_id != made.account_id
    assert missing is None


def test_put_key_replaces_the_secret_of_an_existing_key(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        accounts.put_key(conn, "acme", "AK", "old", NOW)
        accounts.put_key(conn, "acme", "AK", "new", NOW)

    with engine.connect() as conn:
        found = accounts.find_key(conn, "AK")

    assert found is not None and found.secret_key == "new"


def test_datasource_round_trip(engine: sa.Engine, account: int) -> None:
    with engine.begin() as conn:
        repo.insert_datasource(conn, account, DS, NOW)

    with engine.connect() as conn:
        found = repo.get_datasource(conn, account, "ds")
        listed = repo.list_datasources(conn, account)

    assert found == DS
    assert listed == [DS]


def test_job_round_trip_keeps_sources_filters_and_schema(engine: sa.Engine, account: int) -> None:
    with engine.begin() as conn:
        repo.insert_datasource(conn, account, DS, NOW)
        repo.insert_job(conn, account, JOB, NOW)

    with engine.connect() as conn:
        found = repo.get_job(conn, account, "j")
        readers = repo.list_jobs(conn, account, source_type="datasource", source="ds")
        none = repo.list_jobs(conn, account, source_type="job", source="ds")

    assert found == JOB
    assert [j.name for j in readers] == ["j"]
    assert none == []


def test_job_update_replaces_its_sources(engine: sa.Engine, account: int) -> None:
    changed = Job(
        "j",
        {
            "srcs": [{"name": "up", "type": "job", "tableName": "u"}],
            "scheduler": {"type": "depend"},
        },
        SchedulerMode.DEPEND,
        (JobSource("job", "up", "u"),),
    )
    with engine.begin() as conn:
        repo.insert_job(conn, account, JOB, NOW)
        repo.update_job(conn, account, changed, NOW + timedelta(minutes=1))

    with engine.connect() as conn:
        found = repo.get_job(conn, account, "j")
        downstream = repo.list_jobs(conn, account, source_type="job", source="up")

    assert (
        found is not None
        and found.sources == changed.sources
        and found.mode is SchedulerMode.DEPEND
    )
    assert [j.name for j in downstream] == ["j"]


def test_exports_are_scoped_to_their_job(engine: sa.Engine, account: int) -> None:
    other_job = Job("k", {}, SchedulerMode.MANUAL, ())
    with engine.begin() as conn:
        repo.insert_job(conn, account, JOB, NOW)
        repo.insert_job(conn, account, other_job, NOW)
        for job in ("j", "k"):
            repo.put_export(
                conn, account, Export(job, "e1", "http", {"host": "h", "uri": "/u"}), NOW, new=True
            )
        repo.put_export(
            conn, account, Export("j", "e1", "http", {"host": "h2", "uri": "/u"}), NOW, new=False
        )

    with engine.connect() as conn:
        of_j = repo.list_exports(conn, account, "j")
        every = repo.list_exports(conn, account)

    assert of_j == [Export("j", "e1", "http", {"host": "h2", "uri": "/u"})]
    assert [(e.job_name, e.name) for e in every] == [("j", "e1"), ("k", "e1")]


def test_variables_and_workflows_round_trip(engine: sa.Engine, account: int) -> None:
    wf = Workflow("wf", "nb", "c", WorkflowStatus.READY, NOW, NOW)
    var = Variable("v", "time", "$(now)-1d", "yyyy-MM-dd")
    with engine.begin() as conn:
        repo.insert_workflow(conn, account, wf)
        repo.update_workflow(
            conn, account, "wf", NOW + timedelta(hours=1), status=WorkflowStatus.STARTED
        )
        repo.put_variable(conn, account, var, NOW, new=True)

    with engine.connect() as conn:
        found_wf = repo.get_workflow(conn, account, "wf")
        found_var = repo.get_variable(conn, account, "v")

    assert found_wf is not None
    assert found_wf.status is WorkflowStatus.STARTED
    assert found_wf.created_at == NOW  # aware UTC on both backends
    assert found_wf.updated_at == NOW + timedelta(hours=1)
    assert found_var == var


def test_every_read_is_scoped_to_the_account(engine: sa.Engine, account: int) -> None:
    with engine.begin() as conn:
        other = accounts.ensure_account(conn, "other", NOW)
        repo.insert_datasource(conn, account, DS, NOW)
        repo.insert_job(conn, account, JOB, NOW)
        repo.put_variable(conn, account, Variable("v", "string", "x", ""), NOW, new=True)
        repo.insert_workflow(
            conn, account, Workflow("wf", "nb", "", WorkflowStatus.READY, NOW, NOW)
        )

    with engine.connect() as conn:
        seen = (
            repo.get_datasource(conn, other, "ds"),
            repo.list_datasources(conn, other),
            repo.get_job(conn, other, "j"),
            repo.list_jobs(conn, other),
            repo.get_variable(conn, other, "v"),
            repo.list_variables(conn, other),
            repo.get_workflow(conn, other, "wf"),
            repo.list_workflows(conn, other),
        )

    assert seen == (None, [], None, [], None, [], None, [])


def test_same_names_may_exist_in_two_accounts(engine: sa.Engine, account: int) -> None:
    with engine.begin() as conn:
        other = accounts.ensure_account(conn, "other", NOW)
        repo.insert_datasource(conn, account, DS, NOW)
        repo.insert_datasource(conn, other, DS, NOW)

    with engine.connect() as conn:
        assert repo.get_datasource(conn, other, "ds") == DS
        assert repo.get_datasource(conn, account, "ds") == DS


def test_duplicate_primary_key_is_refused_by_the_database(engine: sa.Engine, account: int) -> None:
    with engine.begin() as conn:
        repo.insert_datasource(conn, account, DS, NOW)

    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        repo.insert_datasource(conn, account, DS, NOW)


def test_workflow_members(engine: sa.Engine, account: int) -> None:
    with engine.begin() as conn:
        repo.insert_workflow(
            conn, account, Workflow("wf", "nb", "", WorkflowStatus.READY, NOW, NOW)
        )
        repo.insert_datasource(conn, account, DS, NOW)
        repo.insert_job(conn, account, JOB, NOW)
        repo.put_export(conn, account, Export("j", "e", "http", {}), NOW, new=True)

    with engine.connect() as conn:
        datasources, jobs, exports = repo.workflow_members(conn, account, "wf")

    assert [d.name for d in datasources] == ["ds"]
    assert [j.name for j in jobs] == ["j"]
    assert [e.name for e in exports] == ["e"]


def test_an_accounts_scope_is_its_name_and_only_its_own_grants(
    engine: sa.Engine, account: int
) -> None:
    # One statement (the account joined to its grants): none, several, and another
    # account's grants never in it.
    with engine.begin() as conn:
        other = accounts.ensure_account(conn, "other", NOW)
        accounts.grant_bucket(conn, other, "theirs", NOW)
    with engine.connect() as conn:
        assert accounts.scope_of(conn, account) == AccountScope("acme", frozenset())
    with engine.begin() as conn:
        accounts.grant_bucket(conn, account, "bkt-b", NOW)
        accounts.grant_bucket(conn, account, "bkt-a", NOW)
    with engine.connect() as conn:
        scope = accounts.scope_of(conn, account)
        assert scope == AccountScope("acme", frozenset({"bkt-a", "bkt-b"}))
        assert accounts.scope_of(conn, other).granted == frozenset({"theirs"})
        with pytest.raises(NotFoundError):
            accounts.scope_of(conn, max(account, other) + 1)
