"""The parts of an hdfs:// URI: its namenode and its absolute path (for storage.hdfs). Pure."""

from __future__ import annotations

from typing import NamedTuple, NoReturn
from urllib.parse import urlsplit

from tidemill.core.object_keys import key_problem
from tidemill.errors import Failure, InvalidInputError
from tidemill.storage.base import scheme_of

__all__ = ["Location", "fenced", "parse_uri"]


class Location(NamedTuple):
    namenode: str  # "hdfs://host:port", as the URI spells it
    path: str  # absolute, no trailing '/' (except the root "/")


def parse_uri(uri: str, *, prefix: bool = False) -> Location:
    """The namenode and absolute path of an hdfs:// URI (a file's, unless `prefix`).

    InvalidInputError(DS_PATH_ILLEGAL) naming the URI for another scheme, no namenode, a path
    the key rule refuses or holding ':', or (not `prefix`) no file name.
    """
    if scheme_of(uri) != "hdfs":
        return _illegal(uri, "is not an hdfs:// URI")
    rest = uri.split("://", 1)[1]
    authority, slash, key = rest.partition("/")
    if not authority:
        return _illegal(uri, "names no namenode: write hdfs://host:port/path")
    if problem := _authority_problem(authority):
        return _illegal(uri, f"{problem}: write hdfs://host:port/path")
    problem = key_problem(key, prefix=prefix)
    if problem is not None:
        return _illegal(uri, f"has a path that {problem}")
    if ":" in key:  # DFSUtil.isValidName: HDFS refuses the name at create or rename
        return _illegal(uri, "has ':' in its path, which HDFS does not allow in a name")
    if not slash and not prefix:
        return _illegal(uri, "names no file")
    return Location(uri[: len(uri) - len(rest)] + authority, "/" + key.rstrip("/"))


def _authority_problem(authority: str) -> str | None:
    """Why `authority` (what lies between "hdfs://" and the path) names no namenode, or None."""
    if any(c in authority for c in "@?#") or any(ord(c) <= 0x20 for c in authority):
        return f"has {authority!r} where the namenode goes, which is not a host[:port]"
    try:
        parts = urlsplit(f"hdfs://{authority}")
        port = parts.port  # ValueError for a port that is no number or out of range
    except ValueError as exc:
        return f"has a namenode {authority!r} that is not a host[:port] ({exc})"
    if not parts.hostname:
        return f"has a namenode {authority!r} without a host"
    if port == 0:
        return f"has a namenode {authority!r} with port 0"
    return None


def fenced(uri: str, fences: tuple[str, ...]) -> bool:
    """Whether the path of hdfs:// URI or prefix `uri` is that of one of `fences` (hdfs://
    URIs) or under it, on any namenode: one cluster answers to many spellings of its name
    (host, alias, address), so paths alone are compared. DS_PATH_ILLEGAL as `parse_uri`."""
    path = parse_uri(uri, prefix=True).path
    for fence in fences:
        root = parse_uri(fence, prefix=True).path
        if root == "/" or path == root or path.startswith(root + "/"):
            return True
    return False


def _illegal(uri: str, problem: str) -> NoReturn:
    raise InvalidInputError(Failure.DS_PATH_ILLEGAL, f"{uri!r} {problem}", uri=uri)
