"""String functions: positions and numbering (fault kind 4), padding, splitting, formatting."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "strings_t": Table(
        columns=(("id", "long"), ("s", "string"), ("n", "long"), ("sep", "string")),
        rows=(
            (1, "2009-07-30 10:15:30", 0, ","),
            (2, "hello WORLD foo", 1, " "),
            (3, "a,b,,c", -2, ","),
            (4, "", 3, ""),
            (5, None, 2, None),
            (6, "héllo wörld", -20, "l"),
            (7, "abc", 100, "b"),
            (8, "x,y", 5, None),
        ),
    ),
    "strings_like": Table(
        columns=(("id", "long"), ("s", "string"), ("p", "string"), ("x", "float")),
        rows=(
            (1, "a_b", "a\\_b", 13.3),
            (2, "axb", "a\\_b", -13.7),
            (3, "50%", "50\\%", 0.0),
            (4, "a\\b", "a\\\\b", None),
            (5, None, "a\\b", 1e20),
            (6, "A_B", None, 2.5),
            (7, "line\nbreak", "line_break", -1.0),
            (8, "AxB%", "a_b\\%", 7.9),
        ),
    ),
}


def _like(slug: str, select: str) -> Case:
    return Case(f"strings/{slug}", f"select id, {select} from strings_like order by id", True)


def _c(slug: str, select: str, *, where: str = "") -> Case:
    tail = f" where {where}" if where else ""
    return Case(f"strings/{slug}", f"select id, {select} from strings_t{tail} order by id", True)


CASES = [
    _c("substr-pos-zero", "substr(s, 0, 10) as r"),
    _c("substr-pos-one", "substr(s, 1, 4) as r"),
    _c("substr-negative", "substr(s, -3) as r"),
    _c("substr-negative-len", "substr(s, -3, 2) as r"),
    _c("substr-column-pos", "substr(s, n) as r"),
    _c("substr-column-pos-len", "substr(s, n, 2) as r"),
    _c("substr-beyond", "substr(s, 5, 100) as r"),
    _c("substr-negative-length", "substr(s, 2, -1) as r"),
    _c("substring-from-for", "substring(s from 2 for 3) as r"),
    _c("substring-zero-len", "substring(s, 0, 1) as r"),
    _c("substr-far-negative", "substr(s, -100, 102) as r"),
    _c("instr", "instr(s, 'l') as r"),
    _c("instr-empty", "instr(s, '') as r"),
    _c("locate", "locate('l', s) as r"),
    _c("locate-start", "locate('l', s, 4) as r"),
    _c("locate-start-zero", "locate('l', s, 0) as r"),
    _c("locate-start-negative", "locate('l', s, -1) as r"),
    _c("position", "position('o' in s) as r"),
    _c("lpad", "lpad(s, 5, '*') as r"),
    _c("lpad-truncate", "lpad(s, 2, '*') as r"),
    _c("lpad-empty-pad", "lpad(s, 8, '') as r"),
    _c("lpad-multi-pad", "lpad(s, 9, 'xy') as r"),
    _c("lpad-default-pad", "lpad(s, 6) as r"),
    _c("rpad", "rpad(s, 5, '*') as r"),
    _c("rpad-truncate", "rpad(s, 2, '*') as r"),
    _c("rpad-empty-pad", "rpad(s, 8, '') as r"),
    _c("rpad-negative", "rpad(s, -1, 'x') as r"),
    _c("split", "split(s, ',') as r"),
    _c("split-regex", "split(s, '[ ,]+') as r"),
    _c("split-limit", "split(s, ',', 2) as r"),
    _c("split-limit-zero", "split(s, ',', 0) as r"),
    _c("split-limit-negative", "split(s, ',', -1) as r"),
    _c("split-null-delimiter", "split(s, sep) as r"),
    _c("split-empty-delimiter", "split(s, '') as r"),
    _c("split-index", "split(s, ' ')[0] as r"),
    _c("split-index-beyond", "split(s, ' ')[5] as r"),
    _c("split-size", "size(split(s, ',')) as r"),
    _c("split-trailing-empty", "split(concat(s, ',,'), ',') as r"),
    _c("substring-index", "substring_index(s, ',', 2) as r"),
    _c("substring-index-negative", "substring_index(s, ' ', -1) as r"),
    _c("substring-index-missing", "substring_index(s, '#', 1) as r"),
    _c("overlay", "overlay(s placing 'XX' from 2 for 3) as r"),
    _c("overlay-no-for", "overlay(s placing 'XX' from 3) as r"),
    _c("translate", "translate(s, 'lo', 'L') as r"),
    _c("translate-longer", "translate(s, 'a', 'AB') as r"),
    _c("repeat", "repeat(s, 2) as r"),
    _c("repeat-negative", "repeat(s, -1) as r"),
    _c("left", "left(s, 3) as r"),
    _c("left-negative", "left(s, -1) as r"),
    _c("right", "right(s, 3) as r"),
    _c("right-zero", "right(s, 0) as r"),
    _c("initcap", "initcap(s) as r"),
    _c("ascii", "ascii(s) as r"),
    _c("chr", "chr(n + 65) as r"),
    _c("chr-negative", "chr(n) as r", where="n < 0"),
    _c("chr-large", "chr(n + 256) as r"),
    _c("levenshtein", "levenshtein(s, 'hello') as r"),
    _c("soundex", "soundex(s) as r"),
    _c("format-string", "format_string('%s-%d', s, n) as r"),
    _c("printf-padded", "printf('[%5s|%-4d]', s, n) as r"),
    _c("printf-float", "printf('%.3f', n / 3) as r"),
    _c("concat-ws-array", "concat_ws('-', split(s, ','), s, null) as r"),
    _c("concat-ws-nulls", "concat_ws(',', s, null, sep) as r"),
    _c("concat-ws-null-sep", "concat_ws(sep, 'a', 'b') as r"),
    _c("concat-null", "concat(s, sep) as r"),
    _c("reverse", "reverse(s) as r"),
    _c("char-length", "char_length(s) as r"),
    _c("character-length", "character_length(s) as r"),
    _c("length", "length(s) as r"),
    _c("octet-length", "octet_length(s) as r"),
    _c("bit-length", "bit_length(s) as r"),
    _c("upper-unicode", "upper(s) as r"),
    _c("lower", "lower(s) as r"),
    _c("trim", "trim(concat('  ', s, ' ')) as r"),
    _c("ltrim-chars", "ltrim('2', s) as r"),
    _c("trim-both-from", "trim(both 'a' from s) as r"),
    _c("replace", "replace(s, 'l', 'L') as r"),
    _c("replace-empty", "replace(s, 'l') as r"),
    _c("startswith", "startswith(s, 'he') as r"),
    _c("endswith", "endswith(s, 'c') as r"),
    _c("contains", "contains(s, 'l') as r"),
    _c("like-underscore", "s like '_b_' as r"),
    _c("ilike", "s ilike 'HELLO%' as r"),
    _c("md5", "md5(s) as r"),
    _c("sha1", "sha1(s) as r"),
    _c("sha2-256", "sha2(s, 256) as r"),
    _c("sha2-0", "sha2(s, 0) as r"),
    _c("crc32", "crc32(s) as r"),
    _c("hex-string", "hex(s) as r"),
    _c("hex-number", "hex(n) as r"),
    _c("unhex", "decode(unhex(hex(s)), 'UTF-8') as r"),
    _c("conv", "conv(cast(n + 10 as string), 10, 16) as r"),
    _c("conv-negative", "conv(cast(n as string), 10, 2) as r"),
    _c("format-number", "format_number(n * 1234.5678, 2) as r"),
    _c("format-number-zero", "format_number(n * 1000, 0) as r"),
    _c("base64", "base64(s) as r"),
    _c("space", "concat('[', space(n), ']') as r"),
    _c("elt", "elt(2, s, 'x', 'y') as r"),
    _c("find-in-set", "find_in_set('b', s) as r"),
    _c("string-compare-null-safe", "s <=> sep as r"),
    Case(
        "strings/t-substr-zero",
        "select id, substr(s, 0, 3) as r from t order by id",
        True,
        api=True,
    ),
    Case("strings/t-substr-negative", "select id, substr(s, -2) as r from t order by id", True),
    Case("strings/t-lpad", "select id, lpad(s, 6, '.') as r from t order by id", True),
    Case("strings/t-split-index", "select id, split(s, ',')[1] as r from t order by id", True),
    Case("strings/t-locate", "select id, locate('l', s, 2) as r from t order by id", True),
    Case("strings/t-initcap", "select id, initcap(s) as r from t order by id", True),
    Case(
        "strings/t-levenshtein", "select id, levenshtein(s, 'hello') as r from t order by id", True
    ),
    Case(
        "strings/t-format-string",
        "select id, format_string('%s|%5d', s, n) as r from t order by id",
        True,
    ),
    # LIKE's default escape character is a backslash ('\\' in SQL text is one backslash;
    # '\_' and '\%' keep theirs), ESCAPE names another; a column pattern is checked per row.
    _like("like-escaped-underscore", r"s like 'a\_b' as r, s like 'a\\_b' as q"),
    _like("like-escaped-percent", r"s like '50\%' as r, s like '%\%' as q"),
    _like("like-escaped-backslash", r"s like 'a\\\\b' as r, s like '%\\\\%' as q"),
    _like("like-column-pattern", "s like p as r, s not like p as q"),
    _like("ilike-column-pattern", "s ilike p as r, s not ilike p as q"),
    _like("like-function", r"like(s, p) as r, ilike(s, 'a\_b') as q"),
    _like("like-escape-clause", "s like 'a/_b' escape '/' as r, s ilike 'a!_b' escape '!' as q"),
    _like("like-escape-itself", "s like '50%%' escape '%' as r, s like 'a__b' escape '_' as q"),
    _like("like-newline", "s like 'line_break' as r, s like 'line%' as q"),
    _like(
        "like-any-all",
        r"s like any ('a\_b', '%\%') as a, s like all ('a%', '%b') as b,"
        r" s not like any ('a\_b', 'x%') as c, s not like all ('a\_b', '50\%') as d,"
        " s like some ('%x%', null) as e",
    ),
    # bin casts its argument to BIGINT first (a fraction truncated, a string parsed)
    _like("bin-of-double", "bin(x) as r"),
    _like(
        "bin-of-decimal-and-string",
        "bin(13.3) as a, bin(-13.3) as b, bin('13') as c,"
        " bin('abc') as d, bin(-1) as e, bin(id - 5) as f",
    ),
    # typeof names Spark's types
    _like(
        "typeof-literals",
        "typeof(1) as a, typeof(1L) as b, typeof(1.5) as c, typeof(-2147483648) as d,"
        " typeof('x') as e, typeof(null) as f, typeof(array(1, null)) as g,"
        " typeof(map('a', 1)) as h, typeof(named_struct('a', 1, 'b', 'x')) as i,"
        " typeof(X'01') as j, typeof(1.5 * 2) as k, typeof(1e3) as l",
    ),
    _like("typeof-columns", "typeof(id) as a, typeof(s) as b, typeof(x) as c, typeof(id + x) as d"),
    Case(
        "strings/format-number-decimal",
        "select id, format_number(n * 1.005, 2) as r, format_number(2.5, 0) as q"
        " from strings_t order by id",
        True,
    ),
    # DecimalFormat's HALF_EVEN on the exact value: decimals and integers never pass a double
    Case(
        "strings/format-number-exact",
        "select format_number(5.025, 2) as a, format_number(3.5, 0) as b,"
        " format_number(9007199254740993, 0) as c, format_number(-0.001, 2) as d,"
        " format_number(-0.4, 0) as e, format_number(1.5, 4) as f,"
        " format_number(12345678901234567890.125, 2) as g,"
        " format_number(-9223372036854775808, 1) as h, format_number(99.995, 2) as i,"
        " format_number(cast(1.005 as double), 2) as j,"
        " format_number(cast(null as decimal(3,1)), 1) as k, format_number(123, 2) as l,"
        " format_number(cast(-0.001 as double), 2) as m",
    ),
    # the session's names are Spark's, not DuckDB's
    Case(
        "strings/session-names",
        "select current_database() as a, current_catalog() as b, current_schema() as c",
    ),
    # binary from text: to_binary's default format is hex; base64 decoding is lenient (padding,
    # spaces); unhex of a character that is not a hex digit is NULL
    Case(
        "strings/binary-from-text",
        "select to_binary('616263') as a, to_binary('abc') as b, to_binary('abc', 'base64') as c,"
        " to_binary('YW Jj', 'BASE64') as d, to_binary('abc', 'utf-8') as e,"
        " unbase64('ab') as f, unbase64('YW-_') as g, unhex('-1') as h, unhex('zz') as i,"
        " unhex('abc') as j, to_binary(cast(null as string)) as k",
    ),
]
