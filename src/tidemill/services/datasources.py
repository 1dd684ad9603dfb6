"""Datasource use cases (spec §4)."""

from __future__ import annotations

import sqlalchemy as sa

from tidemill.core import datasources as rules
from tidemill.core.hdfs_roots import check_roots
from tidemill.core.models import JSON, Datasource
from tidemill.core.names import check_name
from tidemill.errors import ConflictError, Failure, NotFoundError, StateError
from tidemill.runtime import Runtime
from tidemill.services import schemas
from tidemill.services.guards import need_datasource, workflow_idle
from tidemill.services.variables import variable_types
from tidemill.store import repository as repo
from tidemill.store.accounts import scope_of


def create(rt: Runtime, account: int, name: str, body: JSON) -> None:
    check_name(name, Failure.DS_NAME_INVALID, "datasource")
    with rt.db.begin() as conn:
        given = rules.validate_create(body, rt.settings.api.regions, variable_types(conn, account))
        if repo.get_datasource(conn, account, name) is not None:
            raise ConflictError(Failure.DS_EXISTS, f"datasource {name!r} already exists")
        if given.workflow:
            check_name(given.workflow, Failure.WF_NAME_INVALID, "workflow")
            if repo.get_workflow(conn, account, given.workflow) is None:
                raise NotFoundError(
                    Failure.WF_NOT_FOUND,
                    f"workflow {given.workflow!r} does not exist; create it before its datasources",
                )
            workflow_idle(conn, account, given.workflow, f"add datasource {name!r}")
        schemas.check_bucket(rt, conn, account, given.type, given.spec)
        _check_roots(rt, conn, account, given.type, given.spec)
        if given.type == "fusion":  # refused when TIDEMILL_FUSION__URL is unset
            rt.sources.get(Datasource(name, given.region, given.type, given.spec, ()))
        if not given.no_verify_schema:
            schemas.verify(rt, conn, account, given.type, given.spec, given.schema)
        ds = Datasource(name, given.region, given.type, given.spec, given.schema, given.workflow)
        repo.insert_datasource(conn, account, ds, rt.clock.now())


def _check_roots(rt: Runtime, conn: sa.Connection, account: int, kind: str, spec: JSON) -> None:
    """DS_PATH_ILLEGAL for an hdfs path outside the account's TIDEMILL_HDFS__ROOTS
    (core.hdfs_roots): checked before the namenode is asked anything (schemas.verify)."""
    if kind == "hdfs":
        paths = [str(p) for p in spec.get("paths") or []]
        tenant = scope_of(conn, account).name
        check_roots(
            paths, rt.settings.hdfs.roots, tenant, Failure.DS_PATH_ILLEGAL, "spec.paths entry"
        )


def update(rt: Runtime, account: int, name: str, body: JSON) -> None:
    check_name(name, Failure.DS_NAME_INVALID, "datasource")
    with rt.db.begin() as conn:
        stored = need_datasource(conn, account, name)
        spec, schema = rules.validate_update(body, stored, variable_types(conn, account))
        schemas.check_bucket(rt, conn, account, stored.type, spec)
        _check_roots(rt, conn, account, stored.type, spec)
        workflow_idle(conn, account, stored.workflow, f"update datasource {name!r}")
        new = Datasource(name, stored.region, stored.type, spec, schema, stored.workflow)
        repo.update_datasource(conn, account, new, rt.clock.now())


def get(rt: Runtime, account: int, name: str) -> JSON:
    check_name(name, Failure.DS_NAME_INVALID, "datasource")
    with rt.db.connect() as conn:
        return rules.datasource_public(need_datasource(conn, account, name))


def list_all(rt: Runtime, account: int) -> JSON:
    with rt.db.connect() as conn:
        found = repo.list_datasources(conn, account)
    return {"datasources": [rules.datasource_public(ds, with_name=True) for ds in found]}


def exists(rt: Runtime, account: int, name: str) -> JSON:
    check_name(name, Failure.DS_NAME_INVALID, "datasource")
    with rt.db.connect() as conn:
        return {"exist": repo.get_datasource(conn, account, name) is not None}


def delete(rt: Runtime, account: int, name: str) -> None:
    check_name(name, Failure.DS_NAME_INVALID, "datasource")
    with rt.db.begin() as conn:
        stored = need_datasource(conn, account, name)
        readers = repo.list_jobs(conn, account, source_type="datasource", source=name)
        if readers:
            raise StateError(
                Failure.DS_CASCADING,
                f"datasource {name!r} is read by job(s) {', '.join(j.name for j in readers)}; "
                "delete or change those jobs first",
            )
        workflow_idle(conn, account, stored.workflow, f"delete datasource {name!r}")
        repo.delete_datasource(conn, account, name)
