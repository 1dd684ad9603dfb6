"""Regular expressions in Java syntax: rlike, regexp_extract(_all), regexp_replace, split."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "regex_t": Table(
        columns=(("id", "long"), ("s", "string"), ("p", "string")),
        rows=(
            (1, "GET /api/v1/users?id=42 HTTP/1.1", "\\d+"),
            (2, "user@example.com", "@"),
            (3, "2026-11-30T10:15:30", "T"),
            (4, "", "x*"),
            (5, None, None),
            (6, "aaa bbb ccc", "b+"),
            (7, "Ünïcödé 123", "\\p{L}+"),
        ),
    ),
    "regex_w": Table(
        columns=(("id", "long"), ("s", "string")),
        rows=(
            (1, "The the cat sat sat"),
            (2, "price: $42.50, tax: $3.10"),
            (3, "a1b22c333"),
            (4, "abcabc"),
            (5, "line1\r\nline2\n"),
            (6, ""),
            (7, None),
            (8, "aaa"),
            (9, "x=1;y=22;z="),
        ),
    ),
}


def _w(slug: str, select: str) -> Case:
    return Case(f"regex/{slug}", f"select id, {select} from regex_w order by id", True)


def _c(slug: str, select: str) -> Case:
    return Case(f"regex/{slug}", f"select id, {select} from regex_t order by id", True)


CASES = [
    _c("rlike-digits", "s rlike '\\\\d{2,}' as r"),
    _c("rlike-anchored", "s rlike '^GET' as r"),
    _c("rlike-partial", "s rlike 'example' as r"),
    _c("regexp-function", "regexp(s, '[a-z]+@') as r"),
    _c("regexp-like", "regexp_like(s, 'c{3}') as r"),
    _c("rlike-column-pattern", "s rlike p as r"),
    _c("rlike-case-flag", "s rlike '(?i)get' as r"),
    _c("rlike-unicode-class", "s rlike '^\\\\p{L}+' as r"),
    _c("regexp-extract-group", "regexp_extract(s, '(\\\\w+)@(\\\\w+)', 2) as r"),
    _c("regexp-extract-default-group", "regexp_extract(s, '/(\\\\w+)/') as r"),
    _c("regexp-extract-zero", "regexp_extract(s, '[0-9]+', 0) as r"),
    _c("regexp-extract-no-match", "regexp_extract(s, 'zzz(\\\\d)', 1) as r"),
    _c("regexp-extract-optional-group", "regexp_extract(s, 'a(x)?', 1) as r"),
    _c("regexp-extract-named-group", "regexp_extract(s, '(?<year>\\\\d{4})-', 1) as r"),
    _c("regexp-extract-all", "regexp_extract_all(s, '(\\\\d+)', 1) as r"),
    _c("regexp-extract-all-zero", "regexp_extract_all(s, '[a-z]+', 0) as r"),
    _c("regexp-extract-all-empty-match", "regexp_extract_all(s, 'x*', 0) as r"),
    _c("regexp-replace", "regexp_replace(s, '\\\\d', '#') as r"),
    _c("regexp-replace-group-ref", "regexp_replace(s, '(\\\\w+)@(\\\\w+)', '$2 at $1') as r"),
    _c("regexp-replace-escaped-dollar", "regexp_replace(s, '\\\\d+', '\\\\$') as r"),
    _c("regexp-replace-position", "regexp_replace(s, 'a', 'X', 2) as r"),
    _c("regexp-replace-empty-pattern-match", "regexp_replace(s, 'x*', '-') as r"),
    _c("regexp-replace-column-pattern", "regexp_replace(s, p, '_') as r"),
    _c("regexp-count", "regexp_count(s, '[aeiou]') as r"),
    _c("regexp-substr", "regexp_substr(s, '[0-9]+') as r"),
    _c("regexp-instr", "regexp_instr(s, '[0-9]+') as r"),
    _c("split-regex-class", "split(s, '[/?=]') as r"),
    _c("split-quoted", "split(s, '\\\\Q.\\\\E') as r"),
    _c("split-dot-escaped", "split(s, '\\\\.') as r"),
    _c("split-column-regex", "split(s, p) as r"),
    _c("like-escape", "s like '%\\\\_%' as r"),
    _c("rlike-dot-newline", "concat(s, '\\n') rlike 'm$' as r"),
    _c("regexp-extract-alternation", "regexp_extract(s, '(GET|POST) (\\\\S+)', 2) as r"),
    _c("rlike-lookahead", "s rlike 'a(?=a)' as r"),
    _c("rlike-lookbehind", "s rlike '(?<=@)example' as r"),
    _c("rlike-negative-lookahead-start", "s rlike '^(?!GET)[a-z]' as r"),
    _c("rlike-positive-lookahead-start", "s rlike '^(?=.*@)[a-z]+' as r"),
    _c("rlike-lookahead-end", "s rlike '[a-z]+(?=@)' as r"),
    _c("regexp-extract-lookahead-end", "regexp_extract(s, '(\\\\w+)(?=@)', 1) as r"),
    _c("regexp-extract-lookbehind-start", "regexp_extract(s, '(?<=/)(\\\\w+)', 1) as r"),
    _c("regexp-extract-lookahead-group-zero", "regexp_extract(s, '\\\\w+(?=@)', 0) as r"),
    _c("rlike-negative-lookahead-middle", "s rlike 'a(?!a)' as r"),
    _c("rlike-backreference", "s rlike '(a)\\\\1' as r"),
    _c("regexp-replace-possessive", "regexp_replace(s, 'a*+', 'x') as r"),
    # Java features RE2 lacks, run on Python's re with Java's matching rules.
    _w("rlike-lookahead-middle", "s rlike '\\\\d(?=\\\\d)' as r"),
    _w("rlike-negative-lookbehind", "s rlike '(?<!\\\\$)\\\\d+\\\\.' as r"),
    _w("rlike-backreference-word", "s rlike '(?i)\\\\b(\\\\w+) \\\\1\\\\b' as r"),
    _w("rlike-atomic-group", "s rlike '(?>a+)a' as r"),
    _w("rlike-possessive-fails", "s rlike 'a++a' as r"),
    _w("regexp-extract-lookbehind-dollar", "regexp_extract(s, '(?<=\\\\$)[0-9.]+', 0) as r"),
    _w("regexp-extract-backreference", "regexp_extract(s, '(\\\\w+) \\\\1', 1) as r"),
    _w("regexp-extract-negative-lookahead", "regexp_extract(s, '[a-z](?!\\\\d)', 0) as r"),
    _w("regexp-extract-named-backreference", "regexp_extract(s, '(?<w>[a-z]+)\\\\k<w>', 1) as r"),
    _w("regexp-extract-possessive", "regexp_extract(s, '(\\\\d*+)c', 1) as r"),
    _w("regexp-extract-all-lookbehind", "regexp_extract_all(s, '(?<==)(\\\\d*)', 1) as r"),
    _w("regexp-extract-all-lookahead-zero", "regexp_extract_all(s, '\\\\w(?=\\\\d)', 0) as r"),
    _w("regexp-extract-all-backreference", "regexp_extract_all(s, '(\\\\w)\\\\1', 0) as r"),
    _w("regexp-extract-all-empty-alternation", "regexp_extract_all(s, '|a', 0) as r"),
    _w("regexp-replace-lookahead", "regexp_replace(s, '\\\\d(?=(\\\\d{3})+$)', '$0,') as r"),
    _w("regexp-replace-lookbehind", "regexp_replace(s, '(?<=[a-z])\\\\d', '#') as r"),
    _w("regexp-replace-backreference", "regexp_replace(s, '(\\\\w+) \\\\1', '$1') as r"),
    _w(
        "regexp-replace-named-reference",
        "regexp_replace(s, '(?<k>\\\\w)=(?<v>\\\\d+)(?=;)', '$2=$1') as r",
    ),
    _w("regexp-replace-group-then-digit", "regexp_replace(s, '(\\\\d)(?=\\\\d)', '$10') as r"),
    _w("regexp-replace-atomic", "regexp_replace(s, '(?>\\\\d+)', 'N') as r"),
    _w("regexp-replace-empty-alternation", "regexp_replace(s, '|a', '-') as r"),
    _w("regexp-replace-lookahead-position", "regexp_replace(s, 'a(?=a)', 'X', 2) as r"),
    _w("regexp-replace-lookbehind-dot", "regexp_replace(s, '(?<=.)$', '!') as r"),
    _w("split-lookahead", "split(s, '(?=[0-9])') as r"),
    _w("split-lookbehind", "split(s, '(?<=;)') as r"),
    _w("split-lookahead-limit", "split(s, '(?=\\\\d)', 2) as r"),
    _w("split-backreference", "split(s, '(.)\\\\1') as r"),
    _w("split-lookaround-trailing-empty", "split(s, ';(?=[a-z]=)|=$') as r"),
    _w("regexp-count-lookahead", "regexp_count(s, '(?=a)') as r"),
    _w("regexp-instr-lookbehind", "regexp_instr(s, '(?<=c)\\\\d') as r"),
    _w("regexp-substr-backreference", "regexp_substr(s, '(\\\\d)\\\\1+') as r"),
    _w("rlike-lookahead-dollar-crlf", "s rlike '(?=\\\\w)2$' as r"),
    _w("regexp-extract-lookahead-dot-cr", "regexp_extract(s, 'e1(?=.)(.)', 1) as r"),
    _w("rlike-lookahead-class-intersection", "s rlike '(?=a)[a-z&&[^b]]+' as r"),
    _w(
        "regexp-extract-lookbehind-unicode-block",
        "regexp_extract(s, '(?<=\\\\p{InGreek})x', 0) as r",
    ),
    _w("rlike-lookahead-unicode-class", "s rlike '(?=\\\\p{Alpha})[a-z]+\\\\d' as r"),
    Case(
        "regex/t-regexp-extract",
        "select id, regexp_extract(url, '://([^/:]+)', 1) as r from t order by id",
        True,
        api=True,
    ),
    Case("regex/t-rlike", "select id, s rlike '^[A-Z]' as r from t order by id", True),
    Case(
        "regex/t-regexp-replace",
        "select id, regexp_replace(s, '([a-z])([a-z])', '$2$1') as r from t order by id",
        True,
    ),
]
