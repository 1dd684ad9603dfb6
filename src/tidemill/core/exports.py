"""Job export bodies (spec §8): the six target types, their specs and their column references.

Pure: it takes the decoded body and the job's output columns and returns what to store, or raises
a domain error. Whether a target (bucket, repo, table, cluster) exists needs I/O and is checked
elsewhere. The checks run in the order of spec §1.6.3: `type`, then the spec members in the
order the spec's tables list them, then the columns that the spec refers to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tidemill.core.export_files import validate_hdfs, validate_kodo
from tidemill.core.fields import (
    JSONObject,
    opt_bool,
    opt_obj,
    opt_str,
    req_obj,
    req_str,
    str_map,
    strip_nulls,
)
from tidemill.core.names import RESOURCE_NAME
from tidemill.errors import Failure, InvalidInputError, NotFoundError, malformed

EXPORT_TYPES = ("kodo", "hdfs", "http", "logdb", "tsdb", "report")
HTTP_FORMATS = ("text", "json")
HTTP_SCHEMES = ("http", "https")
REPORT_SAVE_MODES = ("append", "overwrite")
# §8.6: the job column types a TSDB timestamp can be read from.
TIMESTAMP_VALTYPES = ("long", "string", "date")
LOGDB_REPO_NAME = re.compile(r"[a-z][a-z0-9_]{0,127}")
# §8.5: a LogDB doc may nest objects; `doc` itself is level 1 (the Go SDK's NestLimit).
MAX_DOC_LEVELS = 5
FIELD_PREFIX = "#"

_WHERE = "spec."
_NAME_RULE = "1-128 letters, digits or underscores, not starting with a digit"


@dataclass(frozen=True, slots=True)
class ExportTarget:
    """A validated export: its lower-case type and the spec to store.

    `spec` is what the client sent with `null` members dropped and nothing else changed (spec
    D-9), so a GET echoes it and a GET-then-PUT round trip is lossless. Defaults are applied
    when the export runs.
    """

    type: str
    spec: dict[str, Any]


def validate_export(
    body: dict[str, Any],
    *,
    output_columns: Mapping[str, str] | None,
    stored_type: str | None = None,
) -> ExportTarget:
    """Check a create body (`stored_type` None) or an update body (the export's current type).

    Args:
        body: the decoded JSON object `{"type": ..., "spec": {...}}`. On update `type` may be
            left out; when present it must name the stored type.
        output_columns: the job's output column names and their valtypes (§6.9), or None when
            the schema is unknown, which skips the checks that need it.

    Raises:
        InvalidInputError: REQ_MALFORMED, REQ_TOO_LONG, EXP_TYPE_INVALID, EXP_SPEC_INVALID,
            EXP_FIELD_PREFIX or EXP_TYPES.
        NotFoundError: EXP_FIELD_NOT_FOUND, for a reference to a column the job does not output.
    """
    if not isinstance(body, dict):
        raise malformed("the body must be a JSON object")
    export_type = _export_type(body, stored_type)
    spec: JSONObject = strip_nulls(req_obj(body, "spec"))
    _VALIDATORS[export_type](spec)
    target = ExportTarget(export_type, spec)
    _check_columns(target, output_columns)
    return target


def referenced_columns(target: ExportTarget) -> list[str]:
    """The job output columns `target` reads, each once, in the order the spec names them.

    These are the `partitionBy` names of kodo and hdfs, and the `#column` references of logdb,
    tsdb and report. An http export sends every column and so refers to none by name.
    """
    return list(dict.fromkeys(column for _, column in _references(target)))


def _export_type(body: JSONObject, stored_type: str | None) -> str:
    sent = opt_str(body, "type")
    if stored_type is not None:
        stored = stored_type.lower()
        if stored not in _VALIDATORS:
            raise ValueError(f"stored export type {stored_type!r} is not one of {EXPORT_TYPES}")
        if sent is not None and sent.lower() != stored:
            raise InvalidInputError(
                Failure.EXP_TYPE_INVALID,
                f"type {sent!r} does not match this export's type {stored!r}: only spec can"
                " change; to change the type, delete the export and create it again",
            )
        return stored
    if not sent:
        raise InvalidInputError(
            Failure.EXP_TYPE_INVALID, f"type is required: one of {', '.join(EXPORT_TYPES)}"
        )
    if sent.lower() not in _VALIDATORS:
        raise InvalidInputError(
            Failure.EXP_TYPE_INVALID,
            f"type {sent!r} is not an export type: use one of {', '.join(EXPORT_TYPES)}",
        )
    return sent.lower()


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.EXP_SPEC_INVALID, message)


def _check_name(spec: JSONObject, key: str, pattern: re.Pattern[str], rule: str) -> None:
    value = req_str(spec, key, Failure.EXP_SPEC_INVALID, _WHERE)
    if not pattern.fullmatch(value):
        raise _invalid(f"spec.{key} {value!r} is not a valid name: use {rule}")


def _check_reference(value: str, what: str) -> None:
    if not value.startswith(FIELD_PREFIX):
        raise InvalidInputError(
            Failure.EXP_FIELD_PREFIX,
            f"{what} is {value!r}: name a job output column with a leading #, e.g. '#{value}'",
        )


def _check_mapping(spec: JSONObject, key: str, noun: str, *, allow_empty: bool = False) -> None:
    """A required object mapping names in the target to `#column` strings."""
    mapping = str_map(spec, key, _WHERE)
    if mapping is None:
        none = " ({} for none)" if allow_empty else ""
        raise _invalid(
            f"spec.{key} is required: map each {noun} to a job column as '#column'{none}"
        )
    if not mapping and not allow_empty:
        raise _invalid(f"spec.{key} is empty: map at least one {noun} to a job column as '#column'")
    for name, value in mapping.items():
        _check_reference(value, f"spec.{key}.{name}")


def _validate_http(spec: JSONObject) -> None:
    host = req_str(spec, "host", Failure.EXP_SPEC_INVALID, _WHERE)
    _check_host(host)
    uri = req_str(spec, "uri", Failure.EXP_SPEC_INVALID, _WHERE)
    if not uri.startswith("/"):
        raise _bad_url(f"spec.uri {uri!r} must be a path starting with /, e.g. /test/repos")
    fmt = opt_str(spec, "format", _WHERE)
    # "" is the Go SDK's zero value for an unset string, so it means the default (text).
    if fmt and fmt.lower() not in HTTP_FORMATS:
        raise _invalid(f"spec.format {fmt!r} is unknown: use one of {', '.join(HTTP_FORMATS)}")


def _check_host(host: str) -> None:
    """`host[:port]`, optionally after http:// or https:// (no scheme means http, §8.4)."""
    scheme, separator, _ = host.partition("://")
    if separator and scheme.lower() not in HTTP_SCHEMES:
        raise _bad_url(f"spec.host {host!r} must use http:// or https://, or no scheme at all")
    example = "use host[:port], e.g. https://pipeline.qiniu.com or 127.0.0.1:7758"
    try:
        parts = urlsplit(host if separator else f"http://{host}")
        port = parts.port  # raises for a port that is not a number in 0..65535
    except ValueError as exc:
        raise _bad_url(f"spec.host {host!r} is not a valid address: {example}") from exc
    if not parts.hostname or port == 0 or any(c.isspace() for c in host):
        raise _bad_url(f"spec.host {host!r} is not a valid address: {example}")
    # A lone trailing / is harmless; any other path belongs in spec.uri.
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _bad_url(f"spec.host {host!r} has a path: {example}, and put the path in spec.uri")


def _bad_url(message: str) -> InvalidInputError:
    """EXP_URL_INVALID: EXP_SPEC_INVALID's finer key for an http address (SDK E18310)."""
    return InvalidInputError(Failure.EXP_URL_INVALID, message)


def _validate_logdb(spec: JSONObject) -> None:
    rule = "1-128 lower-case letters, digits or underscores, starting with a letter"
    _check_name(spec, "destRepoName", LOGDB_REPO_NAME, rule)
    opt_bool(spec, "omitInvalid", _WHERE)
    doc = opt_obj(spec, "doc", _WHERE)
    if doc is None:
        raise _invalid("spec.doc is required: map each LogDB field to a job column as '#column'")
    _check_doc(doc, "spec.doc", level=1)


def _check_doc(doc: JSONObject, what: str, *, level: int) -> None:
    if level > MAX_DOC_LEVELS:
        raise _invalid(f"{what} nests objects more than {MAX_DOC_LEVELS} levels deep")
    if not doc:
        raise _invalid(f"{what} is empty: map at least one LogDB field to '#column'")
    for name, value in doc.items():
        if isinstance(value, dict):
            _check_doc(value, f"{what}.{name}", level=level + 1)
        elif isinstance(value, str):
            _check_reference(value, f"{what}.{name}")
        else:
            raise malformed(f"{what}.{name} must be a '#column' string or an object")


def _validate_tsdb(spec: JSONObject) -> None:
    _check_name(spec, "destRepoName", RESOURCE_NAME, _NAME_RULE)
    opt_bool(spec, "omitInvalid", _WHERE)
    _check_name(spec, "series", RESOURCE_NAME, _NAME_RULE)
    _check_mapping(spec, "tags", "tag", allow_empty=True)
    _check_mapping(spec, "fields", "field")
    clash = sorted(spec["tags"].keys() & spec["fields"].keys())
    if clash:
        raise _invalid(
            f"spec.tags and spec.fields both name {', '.join(clash)}: a TSDB key is either a tag"
            " or a field, so rename one of them"
        )
    timestamp = opt_str(spec, "timestamp", _WHERE)
    if timestamp:  # absent or "" means "use the time of writing"
        _check_reference(timestamp, "spec.timestamp")


def _validate_report(spec: JSONObject) -> None:
    _check_name(spec, "dbName", RESOURCE_NAME, _NAME_RULE)
    _check_name(spec, "tableName", RESOURCE_NAME, _NAME_RULE)
    _check_mapping(spec, "columns", "report column")
    save_mode = opt_str(spec, "saveMode", _WHERE)
    if save_mode and save_mode not in REPORT_SAVE_MODES:
        raise _invalid(
            f"spec.saveMode {save_mode!r} is unknown: use append (the default) or overwrite"
        )


_VALIDATORS: dict[str, Callable[[JSONObject], None]] = {
    "kodo": validate_kodo,
    "hdfs": validate_hdfs,
    "http": _validate_http,
    "logdb": _validate_logdb,
    "tsdb": _validate_tsdb,
    "report": _validate_report,
}


def _references(target: ExportTarget) -> Iterator[tuple[str, str]]:
    """(where, column) for each column reference of a validated target, in field order."""
    spec = target.spec
    if target.type in ("kodo", "hdfs"):
        yield from (("spec.partitionBy", name) for name in spec.get("partitionBy", ()))
    elif target.type == "logdb":
        yield from _mapping_references(spec.get("doc", {}), "spec.doc")
    elif target.type == "tsdb":
        yield from _mapping_references(spec.get("tags", {}), "spec.tags")
        yield from _mapping_references(spec.get("fields", {}), "spec.fields")
        yield from _mapping_references({"timestamp": spec.get("timestamp")}, "spec")
    elif target.type == "report":
        yield from _mapping_references(spec.get("columns", {}), "spec.columns")


def _mapping_references(mapping: JSONObject, what: str) -> Iterator[tuple[str, str]]:
    for name, value in mapping.items():
        if isinstance(value, dict):
            yield from _mapping_references(value, f"{what}.{name}")
        elif isinstance(value, str) and value.startswith(FIELD_PREFIX):
            yield f"{what}.{name}", value.removeprefix(FIELD_PREFIX)


def _check_columns(target: ExportTarget, columns: Mapping[str, str] | None) -> None:
    for where, name in _references(target):
        # No job outputs a column without a name, so "#" fails even when the schema is unknown.
        if not name:
            raise NotFoundError(
                Failure.EXP_FIELD_NOT_FOUND, f"{where} names no column: write '#column'"
            )
        if columns is not None and name not in columns:
            raise NotFoundError(
                Failure.EXP_FIELD_NOT_FOUND,
                f"{where} refers to column {name!r}, which the job does not output"
                f" (its columns: {_some(sorted(columns))})",
            )
    timestamp = target.spec.get("timestamp")
    if target.type == "tsdb" and timestamp and columns is not None:
        valtype = columns[timestamp.removeprefix(FIELD_PREFIX)]
        if valtype not in TIMESTAMP_VALTYPES:
            raise InvalidInputError(
                Failure.EXP_TYPES,
                f"spec.timestamp refers to {timestamp[1:]!r}, a {valtype} column: a TSDB"
                " timestamp must come from a long, string or date column",
            )


def _some(names: list[str], limit: int = 30) -> str:
    if not names:
        return "none"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
