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
from tidemill.core.variables import UserVariable, referenced_names, render, resolve
from tidemill.engines.inference import infer_schema, verify_schema
from tidemill.errors import Failure, InvalidInputError
from tidemill.runtime import Runtime
from tidemill.storage import open_store
from tidemill.storage.selection import matching_keys
from tidemill.store import repository as repo

SAMPLE_FILES = 10
SAMPLE_RECORDS = 1000


def retrieve(rt: Runtime, account: int, body: JSON) -> JSON:
    """POST /v2/schemas: the schema of the data a datasource spec selects."""
    type_ = rules.check_type(fields.opt_str(body, "type"))
    spec = fields.req_obj(body, "spec")
    if type_ == "fusion":  # §5.2: the fixed CDN-log schema, whatever the spec holds
        return _public(rules.FUSION_SCHEMA)
    with rt.db.connect() as conn:
        variables = {v.name: v.type for v in repo.list_variables(conn, account)}
        rules.check_spec(type_, spec, variables)
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
    store = open_store(rt.settings)
    if not store.bucket_exists(bucket):
        raise InvalidInputError(Failure.DS_VERIFY_NOT_FOUND, f"bucket {bucket!r} does not exist")
    prefixes = [_rendered(rt, conn, account, p) for p in spec.get("keyPrefixes") or []]
    keys = matching_keys(store, bucket, prefixes or [""])[:SAMPLE_FILES]
    if not keys:
        shown = ", ".join(repr(p) for p in prefixes) or "(the whole bucket)"
        raise InvalidInputError(
            Failure.DS_VERIFY_NO_FILES, f"no file in bucket {bucket!r} matches {shown}"
        )
    delimiter = spec.get("delimiter")
    with ExitStack() as stack:
        names: dict[Path, str] = {}
        for key in keys:
            names[stack.enter_context(store.local_path(bucket, key))] = f"{bucket}/{key}"
        return infer_schema(
            list(names), file_type=str(spec["fileType"]).lower(),
            delimiter=rules.unescape_delimiter(delimiter) if delimiter is not None else None,
            contains_header=spec.get("containsHeader"), max_files=SAMPLE_FILES,
            max_records=SAMPLE_RECORDS, names=names,
        )  # fmt: skip


def _rendered(rt: Runtime, conn: sa.Connection, account: int, text: str) -> str:
    names = referenced_names(text)
    if not names:
        return text
    user = {
        v.name: UserVariable(v.name, v.type, v.value, v.format)
        for v in repo.list_variables(conn, account)
    }
    moment = rt.clock.now().astimezone(rt.zone)
    return render(text, resolve(names, runtime={}, params={}, user=user, moment=moment))


def _public(schema: list[SchemaField] | tuple[SchemaField, ...]) -> JSON:
    return {"schema": [{"key": f.key, "valtype": f.valtype, "required": False} for f in schema]}
