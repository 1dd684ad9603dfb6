"""Schema inference (spec §5) and the verification of a declared schema at create (D-7).

Both read a sample of the files a datasource's spec selects *now*, as its Source lists them
(`tidemill.sources`, the planner's way too): paths are rendered with the account's variables at
the current time in the configured zone.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa

from tidemill.core import datasources as rules
from tidemill.core import fields
from tidemill.core.models import JSON, Datasource, SchemaField
from tidemill.engines.duckdb.inference import infer_schema, verify_schema
from tidemill.errors import Failure, InvalidInputError
from tidemill.runtime import Runtime
from tidemill.services.variables import user_variables, variable_types
from tidemill.sources.base import Moment
from tidemill.sources.kodo import no_bucket
from tidemill.storage.local_buckets import reads_through_buckets
from tidemill.store import accounts

SAMPLE_FILES = 10
SAMPLE_RECORDS = 1000


def retrieve(rt: Runtime, account: int, body: JSON) -> JSON:
    """POST /v2/schemas: the schema of the data a datasource spec selects."""
    type_ = rules.check_type(fields.opt_str(body, "type"))
    spec = fields.req_obj(body, "spec")
    if type_ == "fusion":  # §5.2: the fixed CDN-log schema, whatever the spec holds
        return _public(rules.FUSION_SCHEMA)
    with rt.db.connect() as conn:
        rules.check_spec(type_, spec, variable_types(conn, account))
        return _public(infer(rt, conn, account, type_, spec))


def verify(
    rt: Runtime, conn: sa.Connection, account: int, type_: str, spec: JSON,
    declared: tuple[SchemaField, ...],
) -> None:  # fmt: skip
    """Check `declared` against the data (D-7); fusion's fixed schema was checked already."""
    if type_ == "fusion":
        return
    verify_schema(declared, infer(rt, conn, account, type_, spec))


def infer(
    rt: Runtime, conn: sa.Connection, account: int, type_: str, spec: JSON
) -> list[SchemaField]:
    """The schema of the first SAMPLE_FILES files the spec selects now (spec §5).

    InvalidInputError: DS_VERIFY_NOT_FOUND for a bucket the account cannot use or an HDFS
    namenode that cannot be reached (with the reason), DS_VERIFY_NO_FILES when nothing
    matches, and what `infer_schema` raises for files that do not parse.
    """
    datasource = Datasource("", "", type_, spec, ())
    moment = Moment(rt.clock.now().astimezone(rt.zone), user_variables(conn, account))
    scope = accounts.scope_of(conn, account)
    try:
        files = rt.sources.list(datasource, "", moment, scope)
    except InvalidInputError as exc:
        if type_ != "hdfs" or exc.failure is not Failure.DS_VERIFY_NOT_FOUND:
            raise
        raise InvalidInputError(
            exc.failure,
            f"{exc.message}; to create the datasource without reading its files, send "
            "noVerifySchema: true",
        ) from exc
    if not files:
        raise InvalidInputError(Failure.DS_VERIFY_NO_FILES, _nothing_matches(spec, moment))
    # A kodo file is read through the account's buckets: checked and pinned as it is opened.
    storage = reads_through_buckets(rt.storages, rt.kodo, scope)
    with ExitStack() as stack:
        names: dict[Path, str] = {}
        for file in files[:SAMPLE_FILES]:
            names[stack.enter_context(storage.local_path(file.uri))] = file.name or file.uri
        return infer_schema(
            list(names), file_type=str(spec["fileType"]).lower(),
            delimiter=spec.get("delimiter"),
            contains_header=spec.get("containsHeader"), max_files=SAMPLE_FILES,
            max_records=SAMPLE_RECORDS, names=names,
        )  # fmt: skip


def _nothing_matches(spec: JSON, moment: Moment) -> str:
    if "paths" in spec:  # hdfs
        paths = ", ".join(repr(moment.render(str(p))) for p in spec.get("paths") or [])
        return f"no file on HDFS is under {paths}"
    prefixes = [moment.render(str(p)) for p in spec.get("keyPrefixes") or []]
    shown = ", ".join(repr(p) for p in prefixes) or "(the whole bucket)"
    return f"no file in bucket {spec.get('bucket')!r} matches {shown}"


def check_bucket(rt: Runtime, conn: sa.Connection, account: int, type_: str, spec: JSON) -> None:
    """DS_VERIFY_NOT_FOUND if a kodo spec names a bucket the account may not use (on S3: one
    not granted to it), checked even when the schema is not verified."""
    if type_ != "kodo":
        return
    bucket = str(spec["bucket"])
    if not rt.store_for(conn, account).can_use(bucket):
        raise InvalidInputError(Failure.DS_VERIFY_NOT_FOUND, no_bucket(bucket))


def _public(schema: list[SchemaField] | tuple[SchemaField, ...]) -> JSON:
    return {"schema": [{"key": f.key, "valtype": f.valtype, "required": False} for f in schema]}
