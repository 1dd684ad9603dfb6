"""Schema inference (spec §5) and the verification of a declared schema at create (D-7).

Both read a sample of the files a datasource's spec selects *now*: key prefixes are rendered
with the account's variables at the current time in the configured zone.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa

from tidemill.core import datasources as rules
from tidemill.core import fields
from tidemill.core.models import JSON, SchemaField
from tidemill.core.variables import fill
from tidemill.engines.duckdb.inference import infer_schema, verify_schema
from tidemill.errors import Failure, InvalidInputError
from tidemill.runtime import Runtime
from tidemill.services.variables import user_variables, variable_types
from tidemill.storage.selection import matching_keys

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
    if type_ == "hdfs":
        raise InvalidInputError(
            Failure.DS_VERIFY_NOT_FOUND,
            "this Tidemill has no HDFS connection to read the paths from; "
            "send noVerifySchema: true to store the declared schema as it is",
        )
    bucket = str(spec["bucket"])
    store = rt.store_for(conn, account)
    if not store.bucket_exists(bucket):
        raise InvalidInputError(Failure.DS_VERIFY_NOT_FOUND, _no_bucket(bucket))
    user, moment = user_variables(conn, account), rt.clock.now().astimezone(rt.zone)
    prefixes = [fill(p, moment=moment, user=user) for p in spec.get("keyPrefixes") or []]
    keys = matching_keys(store, bucket, prefixes or [""])[:SAMPLE_FILES]
    if not keys:
        shown = ", ".join(repr(p) for p in prefixes) or "(the whole bucket)"
        raise InvalidInputError(
            Failure.DS_VERIFY_NO_FILES, f"no file in bucket {bucket!r} matches {shown}"
        )
    with ExitStack() as stack:
        names: dict[Path, str] = {}
        for key in keys:
            names[stack.enter_context(store.local_path(bucket, key))] = f"{bucket}/{key}"
        return infer_schema(
            list(names), file_type=str(spec["fileType"]).lower(),
            delimiter=spec.get("delimiter"),
            contains_header=spec.get("containsHeader"), max_files=SAMPLE_FILES,
            max_records=SAMPLE_RECORDS, names=names,
        )  # fmt: skip


def _no_bucket(bucket: str) -> str:
    return (
        f"bucket {bucket!r} does not exist in this account (or, on S3, is not granted to it); "
        "check the bucket name"
    )


def check_bucket(rt: Runtime, conn: sa.Connection, account: int, type_: str, spec: JSON) -> None:
    """DS_VERIFY_NOT_FOUND if a kodo spec names a bucket the account may not use (on S3: one
    not granted to it), checked even when the schema is not verified."""
    if type_ != "kodo":
        return
    bucket = str(spec["bucket"])
    if not rt.store_for(conn, account).can_use(bucket):
        raise InvalidInputError(Failure.DS_VERIFY_NOT_FOUND, _no_bucket(bucket))


def _public(schema: list[SchemaField] | tuple[SchemaField, ...]) -> JSON:
    return {"schema": [{"key": f.key, "valtype": f.valtype, "required": False} for f in schema]}
