"""Which object keys and key prefixes can exist in a bucket. Pure: no I/O.

One rule serves both ends, so they cannot drift: the storage backends refuse such a key when it
is read or written, and the create-time checks of datasources and exports (spec §4.2, §8.2,
§8.3) refuse a prefix or path that could only ever produce such keys.

A key is '/'-separated names relative to its bucket: not empty, no leading '/', no empty name
(`a//b`), no `.` or `..` name, no backslash (a path separator on other systems), no NUL or other
control character, and UTF-8 text: a local file name of other bytes lists as lone surrogates
(Python's surrogateescape), which nothing downstream can write (JSON, logs, DuckDB's paths).
A key prefix follows the same rule except that it may be empty or end with '/' (it names a
"directory").
"""

from __future__ import annotations

from tidemill.errors import Failure, InvalidInputError

# Writers use these names for temporary files beside the target; keys may not take them.
TEMP_PREFIX = ".tidemill-tmp."


def key_problem(key: str, *, prefix: bool = False) -> str | None:
    """Why `key` (a key prefix when `prefix`) can name no object, or None if it can.

    The reason reads after the key, e.g. f"{key!r} {reason}".
    """
    if not key:
        return None if prefix else "is empty"
    if key.startswith("/"):
        return "starts with '/': keys are relative to the bucket"
    if "\\" in key:
        return "holds a backslash: use '/' between names"
    if any(ord(c) < 0x20 or c == "\x7f" for c in key):
        return "holds a control character (such as NUL or a line break)"
    if not key.isascii() and any("\ud800" <= c <= "\udfff" for c in key):
        return "is not UTF-8 text (a file name of other bytes): rename the file in UTF-8"
    parts = key.split("/")
    if prefix and parts[-1] == "":
        parts.pop()  # a prefix may end with '/'
    for part in parts:
        if part == "":
            return "has an empty name between two '/'"
        if part in (".", ".."):
            return f"has a {part!r} name: keys cannot climb out of their place"
    if not prefix and parts[-1].startswith(TEMP_PREFIX):
        return f"ends in a name starting with {TEMP_PREFIX!r}, which is reserved"
    return None


def check_key(bucket: str, key: str) -> None:
    """Raise InvalidInputError(DS_PATH_ILLEGAL) naming `key` when `key_problem` finds one: the
    one refusal every storage backend gives for a key it must not write."""
    problem = key_problem(key)
    if problem is not None:
        raise InvalidInputError(
            Failure.DS_PATH_ILLEGAL,
            f"Key {key!r} in bucket {bucket!r} is not allowed: it {problem}",
            bucket=bucket,
            key=key,
        )


def hdfs_path_problem(uri: str) -> str | None:
    """Why the path of `hdfs://namenode[:port]/path` can name no file, or None: the path after
    the namenode's '/' is held to the key-prefix rule (so `//`, `.`, `..` are refused)."""
    rest = uri.split("://", 1)[-1]
    slash = rest.find("/")
    return None if slash < 0 else key_problem(rest[slash + 1 :], prefix=True)
