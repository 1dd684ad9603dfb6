"""Errors the service raises on purpose. Nothing here knows about HTTP, SQLAlchemy or an engine.

Every expected failure names one `Failure` key (the stable keys of spec §1.6.3). The key says
*what* went wrong; the API edge (`tidemill.api.errors`) alone decides how it looks on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")


class Failure(StrEnum):
    """The failure catalogue of spec §1.6.3, one member per stable key."""

    AUTH = "AUTH"
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    REQ_NO_LENGTH = "REQ_NO_LENGTH"
    REQ_BAD_LENGTH = "REQ_BAD_LENGTH"
    REQ_TOO_LARGE = "REQ_TOO_LARGE"
    REQ_EMPTY = "REQ_EMPTY"
    REQ_MALFORMED = "REQ_MALFORMED"
    REQ_TOO_LONG = "REQ_TOO_LONG"
    QUERY_INVALID = "QUERY_INVALID"
    REGION_INVALID = "REGION_INVALID"
    INTERNAL = "INTERNAL"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    REQ_TOO_MANY = "REQ_TOO_MANY"  # Tidemill: an account's listings in flight at the cap (429)
    DS_NAME_INVALID = "DS_NAME_INVALID"
    DS_EXISTS = "DS_EXISTS"
    DS_NOT_FOUND = "DS_NOT_FOUND"
    DS_TYPE_INVALID = "DS_TYPE_INVALID"
    DS_SPEC_INVALID = "DS_SPEC_INVALID"
    DS_PATH_ILLEGAL = "DS_PATH_ILLEGAL"
    DS_FILTER_INVALID = "DS_FILTER_INVALID"
    SCHEMA_EMPTY = "SCHEMA_EMPTY"
    SCHEMA_KEY_INVALID = "SCHEMA_KEY_INVALID"
    SCHEMA_KEY_DUP = "SCHEMA_KEY_DUP"
    SCHEMA_TYPE_INVALID = "SCHEMA_TYPE_INVALID"
    SCHEMA_INCOMPATIBLE_UPDATE = "SCHEMA_INCOMPATIBLE_UPDATE"
    DS_VERIFY_NOT_FOUND = "DS_VERIFY_NOT_FOUND"
    DS_VERIFY_NO_FILES = "DS_VERIFY_NO_FILES"
    DS_VERIFY_FORMAT = "DS_VERIFY_FORMAT"
    DS_VERIFY_SCHEMA = "DS_VERIFY_SCHEMA"
    DS_CASCADING = "DS_CASCADING"
    JOB_NAME_INVALID = "JOB_NAME_INVALID"
    JOB_EXISTS = "JOB_EXISTS"
    JOB_NOT_FOUND = "JOB_NOT_FOUND"
    JOB_SPEC_INVALID = "JOB_SPEC_INVALID"
    JOB_TABLE_INVALID = "JOB_TABLE_INVALID"
    JOB_TABLE_DUP = "JOB_TABLE_DUP"
    JOB_COMP_TYPE = "JOB_COMP_TYPE"
    JOB_SQL_INVALID = "JOB_SQL_INVALID"
    JOB_SQL_UNDEF_VAR = "JOB_SQL_UNDEF_VAR"
    JOB_CONTAINER_TYPE = "JOB_CONTAINER_TYPE"
    JOB_CONTAINER_COUNT = "JOB_CONTAINER_COUNT"
    JOB_SCHED_INVALID = "JOB_SCHED_INVALID"
    JOB_PARAM_INVALID = "JOB_PARAM_INVALID"
    JOB_START_PARAM = "JOB_START_PARAM"
    JOB_CASCADING = "JOB_CASCADING"
    JOB_START_REFUSED = "JOB_START_REFUSED"
    JOB_STOP_REFUSED = "JOB_STOP_REFUSED"
    BATCH_NOT_FOUND = "BATCH_NOT_FOUND"
    BATCH_CANNOT_STOP = "BATCH_CANNOT_STOP"
    BATCH_CANNOT_RERUN = "BATCH_CANNOT_RERUN"
    EXP_NAME_INVALID = "EXP_NAME_INVALID"
    EXP_EXISTS = "EXP_EXISTS"
    EXP_NOT_FOUND = "EXP_NOT_FOUND"
    EXP_TYPE_INVALID = "EXP_TYPE_INVALID"
    EXP_SPEC_INVALID = "EXP_SPEC_INVALID"
    EXP_FIELD_NOT_FOUND = "EXP_FIELD_NOT_FOUND"
    EXP_FIELD_PREFIX = "EXP_FIELD_PREFIX"
    EXP_TYPES = "EXP_TYPES"
    EXP_DEST_NOT_FOUND = "EXP_DEST_NOT_FOUND"
    # EXP_DEST_NOT_FOUND for a kodo bucket: the same seed code, its own SDK code (E18323).
    EXP_BUCKET_NOT_FOUND = "EXP_BUCKET_NOT_FOUND"
    EXP_SUBMIT_FAILED = "EXP_SUBMIT_FAILED"
    EXP_DELETE_FAILED = "EXP_DELETE_FAILED"
    VAR_NAME_INVALID = "VAR_NAME_INVALID"
    VAR_TYPE_INVALID = "VAR_TYPE_INVALID"
    VAR_VALUE_INVALID = "VAR_VALUE_INVALID"
    VAR_FORMAT_INVALID = "VAR_FORMAT_INVALID"
    VAR_EXISTS = "VAR_EXISTS"
    VAR_NOT_FOUND = "VAR_NOT_FOUND"
    VAR_SYSTEM_CREATE = "VAR_SYSTEM_CREATE"
    VAR_SYSTEM_CHANGE = "VAR_SYSTEM_CHANGE"
    WF_NAME_INVALID = "WF_NAME_INVALID"
    WF_EXISTS = "WF_EXISTS"
    WF_NAME_CLASH = "WF_NAME_CLASH"
    WF_NOT_FOUND = "WF_NOT_FOUND"
    WF_SPEC_INVALID = "WF_SPEC_INVALID"
    WF_STRUCTURE = "WF_STRUCTURE"
    WF_STATE = "WF_STATE"
    WF_CANNOT_START = "WF_CANNOT_START"
    WF_CANNOT_STOP = "WF_CANNOT_STOP"
    WF_NOT_EMPTY = "WF_NOT_EMPTY"
    # Finer keys: one condition of a row above that the Go SDK tells apart with a code of its
    # own (the row's "SDK code" column lists several). Each has its row's HTTP status and seed
    # code; only the sdk profile shows the difference. The row is named after the key.
    DS_SRC_NOT_FOUND = "DS_SRC_NOT_FOUND"  # DS_NOT_FOUND: a job src (E18612)
    JOB_SRC_NOT_FOUND = "JOB_SRC_NOT_FOUND"  # JOB_NOT_FOUND: a job src (E18612)
    DS_FILTER_UNDEF_VAR = "DS_FILTER_UNDEF_VAR"  # DS_FILTER_INVALID: fusion range (E18705)
    DS_FILTER_STRING_VAR = "DS_FILTER_STRING_VAR"  # DS_FILTER_INVALID: fusion range (E18704)
    JOB_PARAM_VALUE_INVALID = "JOB_PARAM_VALUE_INVALID"  # JOB_PARAM_INVALID: default (E18018)
    JOB_START_IN_WORKFLOW = "JOB_START_IN_WORKFLOW"  # JOB_START_REFUSED (E18663)
    JOB_STOP_IN_WORKFLOW = "JOB_STOP_IN_WORKFLOW"  # JOB_STOP_REFUSED (E18663)
    EXP_CSV_DELIMITER = "EXP_CSV_DELIMITER"  # EXP_SPEC_INVALID: csv without delimiter (E18330)
    EXP_URL_INVALID = "EXP_URL_INVALID"  # EXP_SPEC_INVALID: http host or uri (E18310)
    EXP_TYPE_DISABLED = "EXP_TYPE_DISABLED"  # EXP_SUBMIT_FAILED: no target configured (E18339)
    WF_JOBS_COEXIST = "WF_JOBS_COEXIST"  # WF_STRUCTURE: manual beside scheduled (E18653)
    WF_NO_EXECUTABLE_JOB = "WF_NO_EXECUTABLE_JOB"  # WF_CANNOT_START: nothing to run (E18650)


# The §1.6.3 row each finer key belongs to.
ROW_OF: dict[Failure, Failure] = {
    Failure.DS_SRC_NOT_FOUND: Failure.DS_NOT_FOUND,
    Failure.JOB_SRC_NOT_FOUND: Failure.JOB_NOT_FOUND,
    Failure.DS_FILTER_UNDEF_VAR: Failure.DS_FILTER_INVALID,
    Failure.DS_FILTER_STRING_VAR: Failure.DS_FILTER_INVALID,
    Failure.JOB_PARAM_VALUE_INVALID: Failure.JOB_PARAM_INVALID,
    Failure.JOB_START_IN_WORKFLOW: Failure.JOB_START_REFUSED,
    Failure.JOB_STOP_IN_WORKFLOW: Failure.JOB_STOP_REFUSED,
    Failure.EXP_CSV_DELIMITER: Failure.EXP_SPEC_INVALID,
    Failure.EXP_URL_INVALID: Failure.EXP_SPEC_INVALID,
    Failure.EXP_TYPE_DISABLED: Failure.EXP_SUBMIT_FAILED,
    Failure.WF_JOBS_COEXIST: Failure.WF_STRUCTURE,
    Failure.WF_NO_EXECUTABLE_JOB: Failure.WF_CANNOT_START,
    Failure.EXP_BUCKET_NOT_FOUND: Failure.EXP_DEST_NOT_FOUND,
}


class TidemillError(Exception):
    """Base class: catch this to handle every expected failure."""

    def __init__(self, failure: Failure, message: str, **details: Any) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message
        self.details = details  # machine-readable context; must be safe to show a user


class InvalidInputError(TidemillError, ValueError):
    """The request or the data it names breaks a rule; the caller can fix it."""


class NotFoundError(TidemillError):
    """A named resource does not exist (in the caller's account)."""


class ConflictError(TidemillError):
    """The resource already exists, or a name clashes with another one."""


class StateError(TidemillError):
    """The operation is not allowed in the resource's current state."""


class AuthError(TidemillError):
    """The request is not authenticated."""

    def __init__(self, message: str = "bad token") -> None:
        super().__init__(Failure.AUTH, message)


class ConfigError(TidemillError):
    """Tidemill is configured wrongly; the operator must act."""


class BackendError(TidemillError):
    """A storage backend, engine or sink failed in a way the caller cannot fix."""


def lookup(table: Mapping[type[TidemillError], T], exc: TidemillError, default: T) -> T:
    """The entry for the most specific class of `exc` in `table`, walking its MRO."""
    return next((table[cls] for cls in type(exc).__mro__ if cls in table), default)


def malformed(message: str) -> InvalidInputError:
    """The REQ_MALFORMED error (a body that is not the JSON shape we need)."""
    return InvalidInputError(Failure.REQ_MALFORMED, message)
