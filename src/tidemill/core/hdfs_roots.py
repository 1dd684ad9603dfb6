"""Which hdfs:// paths an account may reach: the roots of TIDEMILL_HDFS__ROOTS. Pure: no I/O.

Tenancy (docs/decisions.md, "HDFS roots"): every byte an account reaches is its own. HDFS has no
accounts, so an installation shared by several accounts names, per account, the directories it
owns: `roots` are URI prefixes such as `hdfs://nn:8020/tenants/{account}/`, `{account}` replaced
by the account's name. A path is inside a root when the scheme and namenode (host and port, as
written; the host in any case) are the same and the root's names are the first names of the
path, compared name by name ('/' boundaries), so `/tenants/a` never covers `/tenants/ab`. A path
holding an empty, `.` or `..` name is inside no root: nothing is resolved, it is refused. No
roots at all means no confinement (a single-tenant installation).
"""

from __future__ import annotations

from collections.abc import Sequence

from tidemill.errors import Failure, InvalidInputError

ACCOUNT = "{account}"
SETTING = "TIDEMILL_HDFS__ROOTS"


def _parts(uri: str) -> tuple[str, list[str]] | None:
    """(lower-case "scheme://authority", path names) of `uri`, or None when it is no URI or its
    path holds an empty, '.' or '..' name (a trailing '/' is allowed)."""
    scheme, sep, rest = uri.partition("://")
    if not sep or not scheme:
        return None
    authority, _, path = rest.partition("/")
    if not authority:
        return None
    names = path.split("/") if path else []
    if names and names[-1] == "":
        names.pop()
    if any(n in ("", ".", "..") or "\\" in n for n in names):
        return None
    return f"{scheme.lower()}://{authority.lower()}", names


def roots_of(roots: Sequence[str], account: str) -> list[str]:
    """`roots` with `{account}` replaced by the account's name."""
    return [root.replace(ACCOUNT, account) for root in roots]


def inside(uri: str, root: str) -> bool:
    """Whether `uri` is `root` or under it (module docstring)."""
    path, base = _parts(uri), _parts(root)
    if path is None or base is None:
        return False
    return path[0] == base[0] and path[1][: len(base[1])] == base[1]


def root_problem(uri: str, roots: Sequence[str], account: str) -> str | None:
    """Why `account` may not reach `uri` under `roots` (TIDEMILL_HDFS__ROOTS), or None when it
    may (no roots, or `uri` inside one of them). The reason reads after the URI."""
    if not roots:
        return None
    own = roots_of(roots, account)
    if any(inside(uri, root) for root in own):
        return None
    return (
        f"is outside the HDFS directories of account {account!r}: {SETTING} allows it only"
        f" {', '.join(own)}"
    )


def check_roots(
    uris: Sequence[str], roots: Sequence[str], account: str, failure: Failure, what: str
) -> None:
    """Raise InvalidInputError(`failure`) naming the first of `uris` (`what`, e.g. "spec.path")
    that `root_problem` refuses."""
    for uri in uris:
        if problem := root_problem(uri, roots, account):
            raise InvalidInputError(failure, f"{what} {uri!r} {problem}", uri=uri)
