"""parse_url, url_encode and url_decode with Spark's answers (the "must run" list of the
fidelity issue).

Spark's rules (Spark SQL reference, "URL functions"; urlExpressions.scala, java.net.URI,
java.net.URLEncoder):

* parse_url(url, part[, key]) reads the URL as java.net.URI does (RFC 2396; the regex of RFC
  3986 appendix B splits it). part is one of HOST, PATH, QUERY, REF, PROTOCOL, FILE, AUTHORITY,
  USERINFO, in capitals; any other part gives NULL. A URL that java.net.URI rejects (a space,
  `"<>\\^`{|}`, a bad %-escape) gives NULL. A missing query or fragment is NULL, a missing path
  '' (an opaque URI such as `mailto:a@b` has neither path nor query). QUERY with a key gives
  the value of the first `key=value` pair of the query (the key is a regex, as in Spark). HOST
  is NULL when the authority holds no valid host name.
* url_encode: application/x-www-form-urlencoded in UTF-8 (space → '+', `*` kept, `~` escaped).
* url_decode: '+' is a space, `%XX` are UTF-8 bytes.
"""

from __future__ import annotations

from sqlglot import exp

from tidemill.engines.dialect._nodes import bottom_up, call, function_name
from tidemill.engines.dialect.context import Context

# RFC 3986 appendix B: 2 scheme, 4 authority, 5 path, 7 query, 9 fragment.
_URI = r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?"

MACROS: tuple[str, ...] = (
    r"""CREATE MACRO tidemill_url_valid(u) AS
        NOT regexp_matches(u, '[ "<>\\^`{|}]|%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$)')""",
    rf"""CREATE MACRO tidemill_url_part(u, n) AS regexp_extract(u, '{_URI}', n)""",
    r"""CREATE MACRO tidemill_url_host(u) AS CASE
        WHEN regexp_matches(
            regexp_extract(tidemill_url_part(u, 4), '^(?:[^@]*@)?(\[[^\]]*\]|[^:]*)', 1),
            '^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$')
        THEN regexp_extract(tidemill_url_part(u, 4), '^(?:[^@]*@)?(\[[^\]]*\]|[^:]*)', 1)
    END""",
    r"""CREATE MACRO tidemill_url_piece(u, part) AS CASE
        WHEN u IS NULL OR part IS NULL OR NOT tidemill_url_valid(u) THEN NULL
        WHEN part = 'HOST' THEN tidemill_url_host(u)
        WHEN part IN ('PATH', 'QUERY', 'FILE') AND regexp_matches(u, '^[^:/?#]+:[^/]') THEN NULL
        WHEN part = 'PATH' THEN tidemill_url_part(u, 5)
        WHEN part = 'QUERY' THEN CASE WHEN regexp_matches(u, '^[^#]*\?')
            THEN tidemill_url_part(u, 7) END
        WHEN part = 'REF' THEN CASE WHEN contains(u, '#') THEN tidemill_url_part(u, 9) END
        WHEN part = 'PROTOCOL' THEN nullif(tidemill_url_part(u, 2), '')
        WHEN part = 'FILE' THEN tidemill_url_part(u, 5) || CASE WHEN regexp_matches(u, '^[^#]*\?')
            THEN '?' || tidemill_url_part(u, 7) ELSE '' END
        WHEN part = 'AUTHORITY' THEN CASE WHEN regexp_matches(u, '^([^:/?#]+:)?//')
            THEN tidemill_url_part(u, 4) END
        WHEN part = 'USERINFO' THEN CASE WHEN contains(tidemill_url_part(u, 4), '@')
            THEN regexp_extract(tidemill_url_part(u, 4), '^([^@]*)@', 1) END
    END""",
    r"""CREATE MACRO tidemill_parse_url(u, part) AS tidemill_url_piece(u, part),
        (u, part, key) AS CASE
        WHEN part = 'QUERY' AND regexp_matches(
            tidemill_url_piece(u, 'QUERY'), '(&|^)' || key || '=([^&]*)')
        THEN regexp_extract(tidemill_url_piece(u, 'QUERY'), '(&|^)' || key || '=([^&]*)', 2)
    END""",
    """CREATE MACRO tidemill_url_encode(s) AS
        replace(replace(replace(url_encode(s), '%20', '+'), '%2A', '*'), '~', '%7E')""",
    "CREATE MACRO tidemill_url_decode(s) AS url_decode(replace(s, '+', ' '))",
)


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's URL functions (see the module docstring)."""
    return bottom_up(query, _rewrite_node)


def _rewrite_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.ParseUrl):
        args = [node.this, node.args["part_to_extract"]]
        key = node.args.get("key")
        if key is not None:
            args.append(key)
        return call("tidemill_parse_url", *args)
    name = function_name(node)
    if isinstance(node, exp.Anonymous) and name == "parse_url":
        return call("tidemill_parse_url", *node.expressions)
    if isinstance(node, exp.Anonymous) and name in ("url_encode", "url_decode"):
        return call(f"tidemill_{name}", *node.expressions)
    return node
