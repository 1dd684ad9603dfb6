"""Variable use cases (spec §9)."""

from __future__ import annotations

import sqlalchemy as sa

from tidemill.core import fields
from tidemill.core.models import JSON, Variable
from tidemill.core.names import check_name
from tidemill.core.variables import (
    SYSTEM_VARIABLES,
    UserVariable,
    system_variable_public,
    validate_variable,
)
from tidemill.errors import ConflictError, Failure, InvalidInputError, NotFoundError
from tidemill.runtime import Runtime
from tidemill.store import repository as repo

LIST_TYPES = ("system", "user")


def variable_types(conn: sa.Connection, account: int) -> dict[str, str]:
    """The account's variable names and their types (what spec checks need)."""
    return {v.name: v.type for v in repo.list_variables(conn, account)}


def user_variables(conn: sa.Connection, account: int) -> dict[str, UserVariable]:
    """The account's variables, by name, ready for `core.variables.resolve`."""
    return {
        v.name: UserVariable(v.name, v.type, v.value, v.format)
        for v in repo.list_variables(conn, account)
    }


def _parse(name: str, body: JSON) -> Variable:
    type_, value, format_ = validate_variable(
        fields.opt_str(body, "type"), fields.opt_str(body, "value"), fields.opt_str(body, "format")
    )
    return Variable(name, type_, value, format_)


def _refuse_system(name: str, verb: str) -> None:
    if name in SYSTEM_VARIABLES:
        raise InvalidInputError(
            Failure.VAR_SYSTEM_CHANGE,
            f"$({name}) is a system variable; system variables can be used but not {verb}",
        )


def _need(conn: sa.Connection, account: int, name: str) -> Variable:
    found = repo.get_variable(conn, account, name)
    if found is None:
        raise NotFoundError(Failure.VAR_NOT_FOUND, f"variable {name!r} does not exist")
    return found


def create(rt: Runtime, account: int, name: str, body: JSON) -> None:
    check_name(name, Failure.VAR_NAME_INVALID, "variable")
    var = _parse(name, body)
    if name in SYSTEM_VARIABLES:
        raise ConflictError(
            Failure.VAR_SYSTEM_CREATE, f"$({name}) is a system variable; choose another name"
        )
    with rt.db.begin() as conn:
        if repo.get_variable(conn, account, name) is not None:
            raise ConflictError(Failure.VAR_EXISTS, f"variable {name!r} already exists")
        repo.put_variable(conn, account, var, rt.clock.now(), new=True)


def update(rt: Runtime, account: int, name: str, body: JSON) -> None:
    check_name(name, Failure.VAR_NAME_INVALID, "variable")
    _refuse_system(name, "modified")
    var = _parse(name, body)
    with rt.db.begin() as conn:
        _need(conn, account, name)
        repo.put_variable(conn, account, var, rt.clock.now(), new=False)


def get(rt: Runtime, account: int, name: str) -> JSON:
    check_name(name, Failure.VAR_NAME_INVALID, "variable")
    if name in SYSTEM_VARIABLES:
        return system_variable_public(name)
    with rt.db.connect() as conn:
        return _need(conn, account, name).public()


def list_all(rt: Runtime, account: int, type_: str | None) -> JSON:
    if type_ is not None and type_ not in LIST_TYPES:
        raise InvalidInputError(
            Failure.QUERY_INVALID, f"type must be system or user, not {type_!r}"
        )
    listed: list[JSON] = []
    if type_ in (None, "user"):
        with rt.db.connect() as conn:
            listed.extend(v.public() for v in repo.list_variables(conn, account))
    if type_ in (None, "system"):
        listed.extend(system_variable_public(name) for name in SYSTEM_VARIABLES)
    return {"variables": listed}


def delete(rt: Runtime, account: int, name: str) -> None:
    check_name(name, Failure.VAR_NAME_INVALID, "variable")
    _refuse_system(name, "deleted")
    with rt.db.begin() as conn:
        _need(conn, account, name)
        repo.delete_variable(conn, account, name)
