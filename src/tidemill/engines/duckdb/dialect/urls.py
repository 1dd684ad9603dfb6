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

from tidemill.engines.duckdb.dialect._nodes import (
    bottom_up,
    call,
    function_name,
    literal_text,
    template,
)
from tidemill.engines.duckdb.dialect.context import Context

_PARTS = ("HOST", "PATH", "QUERY", "REF", "PROTOCOL", "FILE", "AUTHORITY", "USERINFO")

# One macro per part, so a literal part (the usual case) runs only the regexes it needs.
MACROS: tuple[str, ...] = (
    r"""CREATE MACRO tidemill_url_valid(u) AS NOT regexp_matches(u, '[ "<>\\^`{|}]')
        AND (NOT contains(u, '%') OR NOT regexp_matches(u, '%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$)'))""",
    r"""CREATE MACRO tidemill_url_hierarchical(u) AS
        tidemill_url_valid(u) AND NOT regexp_matches(u, '^[^:/?#]+:[^/]')""",
    r"""CREATE MACRO tidemill_url_host(u) AS CASE WHEN tidemill_url_valid(u) THEN
        nullif(regexp_extract(u, '^(?:[^:/?#]+:)?//(?:[^/?#@]*@)?(\[[0-9A-Fa-f:.]+\]|'
            '[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]*)?(?:[/?#]|$)', 1), '') END""",
    r"""CREATE MACRO tidemill_url_path(u) AS CASE WHEN tidemill_url_hierarchical(u) THEN
        regexp_extract(u, '^(?:[^:/?#]+:)?(?://[^/?#]*)?([^?#]*)', 1) END""",
    r"""CREATE MACRO tidemill_url_query(u) AS CASE WHEN tidemill_url_hierarchical(u) THEN
        regexp_extract_all(u, '^[^?#]*\?([^#]*)', 1)[1] END""",
    r"""CREATE MACRO tidemill_url_ref(u) AS CASE WHEN tidemill_url_valid(u) THEN
        regexp_extract_all(u, '^[^#]*#(.*)$', 1)[1] END""",
    r"""CREATE MACRO tidemill_url_protocol(u) AS CASE WHEN tidemill_url_valid(u) THEN
        regexp_extract_all(u, '^([^:/?#]+):', 1)[1] END""",
    r"""CREATE MACRO tidemill_url_file(u) AS
        tidemill_url_path(u) || coalesce('?' || tidemill_url_query(u), '')""",
    r"""CREATE MACRO tidemill_url_authority(u) AS CASE WHEN tidemill_url_valid(u) THEN
        regexp_extract_all(u, '^(?:[^:/?#]+:)?//([^/?#]*)', 1)[1] END""",
    r"""CREATE MACRO tidemill_url_userinfo(u) AS CASE WHEN tidemill_url_valid(u) THEN
        regexp_extract_all(u, '^(?:[^:/?#]+:)?//([^/?#@]*)@', 1)[1] END""",
    """CREATE MACRO tidemill_parse_url(u, part) AS CASE part
        """
    + "\n        ".join(f"WHEN '{p}' THEN tidemill_url_{p.lower()}(u)" for p in _PARTS)
    + """
    END, (u, part, key) AS CASE WHEN part = 'QUERY' THEN
        regexp_extract_all(tidemill_url_query(u), '(?:&|^)' || key || '=([^&]*)', 1)[1] END""",
    """CREATE MACRO tidemill_url_encode(s) AS
        replace(replace(replace(url_encode(s), '%20', '+'), '%2A', '*'), '~', '%7E')""",
    "CREATE MACRO tidemill_url_decode(s) AS url_decode(replace(s, '+', ' '))",
)


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's URL functions (see the module docstring)."""
    return bottom_up(query, _rewrite_node)


def _rewrite_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.ParseUrl):
        return _parse_url(node.this, node.args["part_to_extract"], node.args.get("key"))
    name = function_name(node)
    if isinstance(node, exp.Anonymous) and name == "parse_url" and 2 <= len(node.expressions) <= 3:
        url, part, *key = node.expressions
        return _parse_url(url, part, key[0] if key else None)
    if isinstance(node, exp.Anonymous) and name in ("url_encode", "url_decode"):
        return call(f"tidemill_{name}", *node.expressions)
    return node


def _parse_url(url: exp.Expr, part: exp.Expr, key: exp.Expr | None) -> exp.Expr:
    name = literal_text(part)
    if name is None:  # a part that is not a literal: choose at run time
        return call("tidemill_parse_url", url, part, *([key] if key is not None else []))
    if name not in _PARTS or (key is not None and name != "QUERY"):
        return exp.cast(exp.Null(), exp.DataType.build("VARCHAR"))
    query = call(f"tidemill_url_{name.lower()}", url)
    if key is None:
        return query
    text = literal_text(key)
    pattern: exp.Expr = (
        exp.Literal.string(f"(?:&|^){text}=([^&]*)")
        if text is not None
        else template("'(?:&|^)' || _key || '=([^&]*)'", key=key)
    )
    return template("regexp_extract_all(_query, _pattern, 1)[1]", query=query, pattern=pattern)
