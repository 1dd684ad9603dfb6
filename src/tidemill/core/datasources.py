"""Datasource rules (spec §3.2, §4): what a create or update body must look like."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidemill.core import fields
from tidemill.core.models import JSON, Datasource, SchemaField
from tidemill.core.names import BUCKET_NAME, RESOURCE_NAME
from tidemill.core.object_keys import hdfs_path_problem, key_problem
from tidemill.core.variables import PLACEHOLDER, SYSTEM_VARIABLES
from tidemill.errors import Failure, InvalidInputError, malformed

DATASOURCE_TYPES = ("kodo", "hdfs", "fusion")
FILE_TYPES = ("json", "csv", "text", "parquet")
VALTYPES = ("boolean", "long", "date", "float", "string")
PATH_LIMIT = 128
ILLEGAL_PATH_CHARS = "\\<>"

# D-8: no source gives the CDN log layout; this one is Tidemill's, modelled on the fields of a
# Qiniu CDN access-log line, and documented in docs/datasources.md.
FUSION_SCHEMA = (
    SchemaField("ip", "string"),
    SchemaField("hit", "string"),
    SchemaField("responseTime", "long"),
    SchemaField("time", "date"),
    SchemaField("method", "string"),
    SchemaField("url", "string"),
    SchemaField("protocol", "string"),
    SchemaField("statusCode", "long"),
    SchemaField("bytes", "long"),
    SchemaField("referer", "string"),
    SchemaField("userAgent", "string"),
)

_FIXED_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


@dataclass(frozen=True, slots=True)
class DatasourceInput:
    """A validated create body."""

    region: str
    type: str
    spec: JSON
    schema: tuple[SchemaField, ...]
    workflow: str
    no_verify_schema: bool


def _invalid(message: str, failure: Failure = Failure.DS_SPEC_INVALID) -> InvalidInputError:
    return InvalidInputError(failure, message)


def check_region(region: str | None, regions: Collection[str], failure: Failure) -> str:
    if not region:
        raise InvalidInputError(failure, "region is required")
    if region not in regions:
        raise InvalidInputError(
            failure, f"region {region!r} is not served here; use one of {sorted(regions)}"
        )
    return region


def check_path(value: str, what: str) -> None:
    fields.check_length(value, PATH_LIMIT, what)
    bad = sorted({c for c in value if c in ILLEGAL_PATH_CHARS})
    if bad:
        raise _invalid(f"{what} {value!r} may not contain {' '.join(bad)}", Failure.DS_PATH_ILLEGAL)


def _check_delimiter(spec: JSON) -> None:
    delimiter = fields.opt_str(spec, "delimiter", "spec.")
    if not delimiter:
        raise _invalid("spec.delimiter is required when fileType is csv")
    if len(delimiter) != 1 and delimiter not in ("\\t", "\\\\"):
        raise _invalid("spec.delimiter must be one character (or the escapes \\t and \\\\)")
    if fields.opt_bool(spec, "containsHeader", "spec.") is None:
        raise _invalid("spec.containsHeader (true or false) is required when fileType is csv")


def check_file_type(spec: JSON) -> str:
    file_type = fields.opt_str(spec, "fileType", "spec.")
    if not file_type or file_type.lower() not in FILE_TYPES:
        raise _invalid(f"spec.fileType must be one of {', '.join(FILE_TYPES)}")
    if file_type.lower() == "csv":
        _check_delimiter(spec)
    return file_type.lower()


def _kodo_spec(spec: JSON) -> None:
    bucket = fields.opt_str(spec, "bucket", "spec.")
    if not bucket or not BUCKET_NAME.fullmatch(bucket):
        raise _invalid("spec.bucket must be 4-63 letters, digits or '-'")
    for prefix in fields.opt_str_list(spec, "keyPrefixes", "spec.") or []:
        check_path(prefix, "spec.keyPrefixes entry")
        if problem := key_problem(prefix, prefix=True):  # it could match no key (§4.2)
            raise _invalid(f"spec.keyPrefixes entry {prefix!r} {problem}", Failure.DS_PATH_ILLEGAL)
    check_file_type(spec)


def _hdfs_spec(spec: JSON) -> None:
    paths = fields.opt_str_list(spec, "paths", "spec.")
    if not paths or not all(paths):
        raise _invalid("spec.paths must hold at least one non-empty path")
    for path in paths:
        check_path(path, "spec.paths entry")
        if not path.startswith("hdfs://") or len(path) <= len("hdfs://"):
            raise _invalid(f"spec.paths entry {path!r} must be a URL like hdfs://host:9000/dir")
        if problem := hdfs_path_problem(path):
            raise _invalid(
                f"spec.paths entry {path!r}: the path after the namenode {problem}",
                Failure.DS_PATH_ILLEGAL,
            )
        others = [n for n in PLACEHOLDER.findall(path) if n not in SYSTEM_VARIABLES]
        if others:
            raise _invalid(
                f"spec.paths may use only system variables; $({others[0]}) is not one",
                Failure.DS_FILTER_INVALID,
            )
    check_file_type(spec)


def _fusion_side(side: str, time_variables: Mapping[str, str]) -> str | None:
    """The fixed time of one side of a range, or None for a variable side."""
    side = side.strip()
    if _FIXED_TIME.fullmatch(side):
        try:
            datetime.strptime(side, "%Y-%m-%d %H:%M")
        except ValueError as exc:
            raise _invalid(
                f"{side!r} is not a real date and time", Failure.DS_FILTER_INVALID
            ) from exc
        return side
    match = PLACEHOLDER.fullmatch(side)
    if match is None:
        raise _invalid(
            f"each side of spec.fileFilter must be 'yyyy-MM-dd HH:mm' or one $(variable): {side!r}",
            Failure.DS_FILTER_INVALID,
        )
    name = match.group(1)
    if name in SYSTEM_VARIABLES:
        return None
    kind = time_variables.get(name)
    if kind is None:
        raise _invalid(
            f"undefined variable $({name}) in spec.fileFilter", Failure.DS_FILTER_UNDEF_VAR
        )
    if kind != "time":
        raise _invalid(
            f"$({name}) is a string variable; a fusion range needs time variables",
            Failure.DS_FILTER_STRING_VAR,
        )
    return None


def check_fusion_filter(value: str, user_variables: Mapping[str, str]) -> None:
    """A fusion range `start ~ end`; `user_variables` maps user variable names to their type."""
    fields.check_length(value, 64, "spec.fileFilter")
    if not value:
        return  # [PROPOSAL] §4.2.3: empty means the hour of the batch time
    sides = value.split("~")
    if len(sides) != 2:
        raise _invalid("spec.fileFilter must be a range 'start ~ end'", Failure.DS_FILTER_INVALID)
    start, end = (_fusion_side(side, user_variables) for side in sides)
    if start is not None and end is not None and start >= end:
        raise _invalid("spec.fileFilter range must start before it ends", Failure.DS_FILTER_INVALID)


def _fusion_spec(spec: JSON, user_variables: Mapping[str, str]) -> None:
    domains = fields.opt_str_list(spec, "domains", "spec.")
    if not domains or len(domains) != 1 or not domains[0]:
        raise _invalid("spec.domains must hold exactly one domain (single domain only)")
    check_fusion_filter(fields.opt_str(spec, "fileFilter", "spec.") or "", user_variables)


def check_spec(type_: str, spec: JSON, user_variables: Mapping[str, str]) -> JSON:
    """The stored echo of a valid `spec` of a datasource of `type_`."""
    if type_ == "kodo":
        _kodo_spec(spec)
    elif type_ == "hdfs":
        _hdfs_spec(spec)
    else:
        _fusion_spec(spec, user_variables)
    echo: JSON = fields.strip_nulls(spec)
    return echo


def check_schema(
    entries: Sequence[Any] | None, *, allow_empty: bool = False
) -> tuple[SchemaField, ...]:
    if not entries:
        if allow_empty:
            return ()
        raise _invalid("schema must hold at least one field", Failure.SCHEMA_EMPTY)
    result: list[SchemaField] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"schema[{index}]."
        if not isinstance(entry, dict):
            raise malformed(f"schema[{index}] must be an object")
        key = fields.opt_str(entry, "key", where) or ""
        if not RESOURCE_NAME.fullmatch(key):
            raise _invalid(
                f"{where}key {key!r} must be 1-128 letters, digits or '_', "
                "not starting with a digit",
                Failure.SCHEMA_KEY_INVALID,
            )
        if key in seen:
            raise _invalid(f"schema key {key!r} appears twice", Failure.SCHEMA_KEY_DUP)
        seen.add(key)
        valtype = (fields.opt_str(entry, "valtype", where) or "").lower()
        if valtype not in VALTYPES:
            raise _invalid(
                f"{where}valtype {entry.get('valtype')!r} is not supported; "
                f"use one of {', '.join(VALTYPES)}",
                Failure.SCHEMA_TYPE_INVALID,
            )
        required = fields.opt_bool(entry, "required", where) or False
        result.append(SchemaField(key, valtype, required))
    return tuple(result)


def _fusion_schema(declared: tuple[SchemaField, ...]) -> tuple[SchemaField, ...]:
    fixed = {f.key: f.valtype for f in FUSION_SCHEMA}
    for entry in declared:
        if fixed.get(entry.key) != entry.valtype:
            raise _invalid(
                f"fusion datasources have a fixed schema; {entry.key}:{entry.valtype} is not in it "
                f"(fields: {', '.join(f'{k}:{v}' for k, v in fixed.items())})",
                Failure.DS_VERIFY_SCHEMA,
            )
    return FUSION_SCHEMA


def check_type(value: str | None) -> str:
    if not value or value.lower() not in DATASOURCE_TYPES:
        raise _invalid(
            f"type must be one of {', '.join(DATASOURCE_TYPES)}", Failure.DS_TYPE_INVALID
        )
    return value.lower()


def validate_create(
    body: JSON, regions: Collection[str], user_variables: Mapping[str, str]
) -> DatasourceInput:
    """Checks 3-6 of spec §4.1, in order; `user_variables` maps names to variable types."""
    region = check_region(fields.opt_str(body, "region"), regions, Failure.REGION_INVALID)
    type_ = check_type(fields.opt_str(body, "type"))
    spec = check_spec(type_, fields.req_obj(body, "spec"), user_variables)
    entries = fields.opt_list(body, "schema")
    schema = check_schema(entries, allow_empty=type_ == "fusion")
    if type_ == "fusion":
        schema = _fusion_schema(schema)
    workflow = fields.opt_str(body, "workflow")
    if workflow is None:  # [PROPOSAL] O-2: accept the doc's table name as an alias
        workflow = fields.opt_str(body, "workflowName")
    no_verify = fields.opt_bool(body, "noVerifySchema") or False
    return DatasourceInput(region, type_, spec, schema, workflow or "", no_verify)


def validate_update(
    body: JSON, stored: Datasource, user_variables: Mapping[str, str]
) -> tuple[JSON, tuple[SchemaField, ...]]:
    """The new (spec, schema) of a PUT: the type stays, fields may only be added (§4.4)."""
    spec = check_spec(stored.type, fields.req_obj(body, "spec"), user_variables)
    schema = check_schema(fields.opt_list(body, "schema"), allow_empty=stored.type == "fusion")
    if stored.type == "fusion":
        return spec, _fusion_schema(schema)
    new = {f.key: f.valtype for f in schema}
    for old in stored.schema:
        if old.key not in new:
            raise _invalid(
                f"schema field {old.key!r} may not be removed", Failure.SCHEMA_INCOMPATIBLE_UPDATE
            )
        if new[old.key] != old.valtype:
            raise _invalid(
                f"schema field {old.key!r} may not change type ({old.valtype} -> {new[old.key]})",
                Failure.SCHEMA_INCOMPATIBLE_UPDATE,
            )
    return spec, schema


def datasource_public(ds: Datasource, *, with_name: bool = False) -> JSON:
    body: JSON = {"name": ds.name} if with_name else {}
    body.update(
        region=ds.region,
        type=ds.type,
        spec=ds.spec,
        schema=[f.public() for f in ds.schema],
        workflow=ds.workflow,
    )
    if ds.workflow:
        body["fromDag"] = True
    return body
