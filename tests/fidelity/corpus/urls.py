"""URL functions: parse_url (every part, QUERY with a key), url_encode, url_decode."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "urls_t": Table(
        columns=(("id", "long"), ("u", "string")),
        rows=(
            (1, "https://user:pw@www.example.com:8443/a/b.html?x=1&y=two&x=3#frag"),
            (2, "http://example.com"),
            (3, "http://example.com/?"),
            (4, "/relative/path?q=a%20b"),
            (5, None),
            (6, "http://bad host/x"),
            (7, "ftp://files.example.org/pub/file.tar.gz"),
            (8, "http://[::1]:80/p#"),
            (9, "mailto:someone@example.com"),
            (10, "http://my_host.example.com/p?k=v"),
        ),
    ),
}


def _c(slug: str, select: str) -> Case:
    return Case(f"urls/{slug}", f"select id, {select} from urls_t order by id", True)


CASES = [
    _c("host", "parse_url(u, 'HOST') as r"),
    _c("path", "parse_url(u, 'PATH') as r"),
    _c("query", "parse_url(u, 'QUERY') as r"),
    _c("query-key", "parse_url(u, 'QUERY', 'x') as r"),
    _c("query-key-second", "parse_url(u, 'QUERY', 'y') as r"),
    _c("query-key-missing", "parse_url(u, 'QUERY', 'zz') as r"),
    _c("query-key-encoded", "parse_url(u, 'QUERY', 'q') as r"),
    _c("ref", "parse_url(u, 'REF') as r"),
    _c("protocol", "parse_url(u, 'PROTOCOL') as r"),
    _c("file", "parse_url(u, 'FILE') as r"),
    _c("authority", "parse_url(u, 'AUTHORITY') as r"),
    _c("userinfo", "parse_url(u, 'USERINFO') as r"),
    _c("lowercase-part", "parse_url(u, 'host') as r"),
    _c("url-encode", "url_encode(u) as r"),
    _c("url-encode-specials", "url_encode(concat(u, ' *~é')) as r"),
    _c("url-decode", "url_decode(parse_url(u, 'QUERY', 'q')) as r"),
    _c("url-decode-plus", "url_decode('a+b%2Bc%C3%A9') as r"),
    _c("url-round-trip", "url_decode(url_encode(u)) = u as r"),
    _c("host-group-by", "count(*) over (partition by parse_url(u, 'HOST')) as r"),
]
