"""Rules for the file exports, kodo and hdfs (spec §8.2, §8.3, §8.8, §8.9). Pure: no I/O.

Each validator reads the members in the order the spec's tables list them, so the first broken
rule is the one reported. `format` and `compression` compare case-insensitively and `saveMode`
exactly (§1.4 item 8). Values are never rewritten: defaults are applied when the export runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tidemill.core.fields import (
    JSONObject,
    check_length,
    opt_bool,
    opt_int,
    opt_str,
    opt_str_list,
    req_str,
)
from tidemill.core.names import BUCKET_NAME
from tidemill.core.object_keys import hdfs_path_problem, key_problem
from tidemill.errors import Failure, InvalidInputError

FILE_FORMATS = ("json", "csv", "text", "orc", "parquet")
_ROW_CODECS = frozenset({"none", "bzip2", "gzip", "lz4", "snappy", "deflate"})
# §8.8: the compressions each format allows. orc and parquet compress internally. `lzo` is in
# the spec's table for both, but no writer Tidemill can ship produces it (Arrow and DuckDB have
# no LZO codec; Hadoop's is GPL and JVM-only), so it is refused up front rather than accepted
# and failed at every batch (docs/decisions.md).
COMPRESSIONS: Mapping[str, frozenset[str]] = {
    "json": _ROW_CODECS,
    "csv": _ROW_CODECS,
    "text": _ROW_CODECS,
    "orc": frozenset({"none", "snappy", "zlib"}),
    "parquet": frozenset({"none", "snappy", "gzip"}),
}
UNSUPPORTED_CODECS = frozenset({"lzo"})
SAVE_MODES = ("overwrite", "append", "errorIfExists", "ignore")
DEFAULT_FORMAT = "json"
DEFAULT_COMPRESSION = "none"
DEFAULT_SAVE_MODE = "overwrite"

# §3.4: a keyPrefix or path is rendered at upload time, with the time variables only.
PATH_VARIABLES = ("year", "mon", "day", "hour", "min", "sec")
LOCATION_LIMIT = 128
MAX_FILE_COUNT = 1000
# §8.10 sets no upper bound; 100 years keeps every expiry date far inside the calendar.
MAX_RETENTION_DAYS = 36_500
HDFS_SCHEME = "hdfs://"

_PLACEHOLDER = re.compile(r"\$\(([a-zA-Z_][a-zA-Z0-9_]*)\)")
# Two-character spellings of a delimiter that is awkward to type into a form field.
_DELIMITER_ESCAPES = ("\\t", "\\\\")
_WHERE = "spec."


def _invalid(message: str) -> InvalidInputError:
    return InvalidInputError(Failure.EXP_SPEC_INVALID, message)


def validate_kodo(spec: JSONObject) -> None:
    """Check a kodo export spec (§8.2); raises EXP_SPEC_INVALID, REQ_TOO_LONG or REQ_MALFORMED."""
    bucket = req_str(spec, "bucket", Failure.EXP_SPEC_INVALID, _WHERE)
    if not BUCKET_NAME.fullmatch(bucket):
        raise _invalid(
            f"spec.bucket {bucket!r} is not a bucket name: use 4-63 letters, digits or -"
        )
    key_prefix = opt_str(spec, "keyPrefix", _WHERE) or ""
    # §8.2 makes these characters EXP_SPEC_INVALID. (§1.6.3 also mentions keyPrefix under
    # DS_PATH_ILLEGAL, but that key belongs to datasources; an export's rules are EXP_*.)
    _check_location(key_prefix, "spec.keyPrefix", illegal=":\\<>")
    # The rule the storage applies to every key written (core.object_keys): a prefix that
    # breaks it could only fail every batch, so it is refused now.
    if problem := key_problem(key_prefix, prefix=True):
        raise _invalid(f"spec.keyPrefix {key_prefix!r} {problem}")
    _check_format(spec, header_required=True)
    _check_retention(opt_int(spec, "retention", _WHERE))
    _check_layout(spec)


def _check_retention(days: int | None) -> None:
    """§8.10: days to keep exported objects, at most MAX_RETENTION_DAYS; <= 0 keeps them."""
    if days is not None and days > MAX_RETENTION_DAYS:
        raise _invalid(
            f"spec.retention is {days} days: use at most {MAX_RETENTION_DAYS} (100 years),"
            " or 0 to keep the files forever"
        )


def validate_hdfs(spec: JSONObject) -> None:
    """Check an hdfs export spec (§8.3).

    `path` must be a full `hdfs://` URI (the scheme in any case). Tidemill does not guess a
    default namenode for a bare `/dir`: every example in the spec and the SDK names the cluster,
    and writing to the wrong cluster with saveMode overwrite would delete data.
    """
    path = req_str(spec, "path", Failure.EXP_SPEC_INVALID, _WHERE)
    _check_location(path, "spec.path", illegal="\\<>")
    if not path.lower().startswith(HDFS_SCHEME) or len(path) == len(HDFS_SCHEME):
        raise _invalid(
            f"spec.path {path!r} must be an HDFS URI such as hdfs://namenode:9000/out/$(year)"
        )
    if problem := hdfs_path_problem(path):
        raise _invalid(f"spec.path {path!r}: the path after the namenode {problem}")
    _check_format(spec, header_required=False)
    _check_layout(spec)


def _check_location(value: str, what: str, *, illegal: str) -> None:
    check_length(value, LOCATION_LIMIT, what)
    bad = sorted({c for c in value if c in illegal})
    if bad:
        raise _invalid(f"{what} {value!r} may not contain {' '.join(bad)}")
    for name in _PLACEHOLDER.findall(value):
        if name not in PATH_VARIABLES:
            allowed = " ".join(f"$({v})" for v in PATH_VARIABLES)
            raise _invalid(f"{what} uses $({name}); only {allowed} may appear here")
    # Substitution is plain text replacement, so a typo such as "$(year" would silently end up
    # in every object key; refuse it instead.
    if "$(" in _PLACEHOLDER.sub("", value):
        raise _invalid(f"{what} {value!r} has an unfinished magic variable: write $(name)")


def _check_format(spec: JSONObject, *, header_required: bool) -> None:
    """format, delimiter, containsHeader and compression, in that order."""
    # "" is the Go SDK's zero value for an unset string, so it means the default too.
    sent = opt_str(spec, "format", _WHERE)
    fmt = (sent or DEFAULT_FORMAT).lower()
    if fmt not in COMPRESSIONS:
        raise _invalid(f"spec.format {sent!r} is unknown: use one of {_list(FILE_FORMATS)}")
    delimiter = opt_str(spec, "delimiter", _WHERE)
    header = opt_bool(spec, "containsHeader", _WHERE)
    if fmt == "csv":
        if not delimiter:
            raise InvalidInputError(
                Failure.EXP_CSV_DELIMITER, "spec.delimiter is required when format is csv, e.g. ','"
            )
        if len(delimiter) != 1 and delimiter not in _DELIMITER_ESCAPES:
            raise _invalid(
                f"spec.delimiter {delimiter!r} must be one character (or the escapes \\t, \\\\)"
            )
        if header_required and header is None:
            raise _invalid("spec.containsHeader (true or false) is required when format is csv")
    codec = opt_str(spec, "compression", _WHERE) or DEFAULT_COMPRESSION
    if codec.lower() in UNSUPPORTED_CODECS and fmt in ("orc", "parquet"):
        allowed = _list(sorted(COMPRESSIONS[fmt]))
        raise _invalid(
            f"spec.compression {codec!r} is not available on this server (no LZO writer):"
            f" use {allowed}"
        )
    if codec.lower() not in COMPRESSIONS[fmt]:
        allowed = _list(sorted(COMPRESSIONS[fmt]))
        raise _invalid(f"spec.compression {codec!r} does not go with format {fmt}: use {allowed}")


def _check_layout(spec: JSONObject) -> None:
    """partitionBy, fileCount and saveMode, in that order."""
    partition_by = opt_str_list(spec, "partitionBy", _WHERE) or []
    repeated = sorted({name for name in partition_by if partition_by.count(name) > 1})
    if repeated:
        raise _invalid(f"spec.partitionBy names {_list(repeated)} more than once")
    file_count = opt_int(spec, "fileCount", _WHERE)
    if file_count is None or not 1 <= file_count <= MAX_FILE_COUNT:
        got = "is missing" if file_count is None else f"is {file_count}"
        raise _invalid(f"spec.fileCount {got}: it must be between 1 and {MAX_FILE_COUNT}")
    save_mode = opt_str(spec, "saveMode", _WHERE)
    if save_mode and save_mode not in SAVE_MODES:
        raise _invalid(
            f"spec.saveMode {save_mode!r} is unknown: use one of {_list(SAVE_MODES)}"
            " (exactly as written)"
        )


def _list(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)
