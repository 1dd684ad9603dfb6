"""JSON functions: get_json_object (fault kind 6), json_tuple, from_json with DDL schemas,
json_array_length (12), to_json, schema_of_json."""

from __future__ import annotations

from tests.fidelity.case import Case, Table

TABLES = {
    "json_t": Table(
        columns=(("id", "long"), ("doc", "string")),
        rows=(
            (1, '{"user": {"id": 7, "name": "ann"}, "tags": ["a", "b"], "n": 1.50, "ok": true}'),
            (2, '{"user": {"id": 8'),
            (3, "not json"),
            (4, '{"user": null, "tags": [], "n": -3, "ok": false, "a b": "sp"}'),
            (5, None),
            (6, '[1, [2, 3], {"k": "v"}]'),
            (7, '{"user": {"id": "x"}, "n": "12", "tags": "t"}'),
            (8, ""),
        ),
    ),
    # Text Spark's Jackson reads differently from a strict JSON reader.
    "json_lax": Table(
        columns=(("id", "long"), ("doc", "string")),
        rows=(
            (1, '{"a": 1} xyz'),
            (2, "{'a': 'x', 'b': [1, 2]}"),
            (3, '{"a": 1, }'),
            (4, '{"a": NaN, "b": 2}'),
            (5, '{"a": 01}'),
            (6, '{"a": "x\ty"}'),
            (7, '{"a": 1, "a": 2, "b": {"c": 1, "c": "z"}}'),
            (8, "[1, 2] trailing"),
            (9, '{"a": Infinity}'),
            (10, "{'a': 'it\\'s'}"),
            (11, '{"a": [1, 2, ]}'),
            (12, '  {"a": true}  {"a": false}'),
            (13, '{"a": -Infinity, "b": "NaN"}'),
            (14, '{"a": 1.5e3, "b": null} ,'),
            (15, None),
        ),
    ),
}


def _lax(slug: str, select: str) -> Case:
    return Case(f"json/lax-{slug}", f"select id, {select} from json_lax order by id", True)


def _c(slug: str, select: str) -> Case:
    return Case(f"json/{slug}", f"select id, {select} from json_t order by id", True)


CASES = [
    _c("get-json-object", "get_json_object(doc, '$.user.id') as r"),
    _c("get-json-object-string", "get_json_object(doc, '$.user.name') as r"),
    _c("get-json-object-object", "get_json_object(doc, '$.user') as r"),
    _c("get-json-object-array", "get_json_object(doc, '$.tags') as r"),
    _c("get-json-object-index", "get_json_object(doc, '$.tags[1]') as r"),
    _c("get-json-object-index-beyond", "get_json_object(doc, '$.tags[5]') as r"),
    _c("get-json-object-root-index", "get_json_object(doc, '$[2].k') as r"),
    _c("get-json-object-root", "get_json_object(doc, '$') as r"),
    _c("get-json-object-number", "get_json_object(doc, '$.n') as r"),
    _c("get-json-object-boolean", "get_json_object(doc, '$.ok') as r"),
    _c("get-json-object-bracket-key", "get_json_object(doc, \"$['a b']\") as r"),
    _c("get-json-object-missing", "get_json_object(doc, '$.nope') as r"),
    _c("get-json-object-cast", "cast(get_json_object(doc, '$.user.id') as bigint) as r"),
    _c("json-tuple-function", "json_tuple(doc, 'n', 'ok')"),
    _c("json-tuple-one-key", "json_tuple(doc, 'user') as (u)"),
    _c("json-array-length", "json_array_length(doc) as r"),
    _c("json-array-length-field", "json_array_length(get_json_object(doc, '$.tags')) as r"),
    _c("from-json-ddl-field", "from_json(doc, 'n DOUBLE, ok BOOLEAN').n as r"),
    _c("from-json-ddl-boolean", "from_json(doc, 'n DOUBLE, ok BOOLEAN').ok as r"),
    _c("from-json-nested", "from_json(doc, 'user STRUCT<id: BIGINT, name: STRING>').user.id as r"),
    _c("from-json-struct-keyword", "from_json(doc, 'struct<n:int,tags:array<string>>').tags as r"),
    _c("from-json-array-size", "size(from_json(doc, 'tags ARRAY<STRING>').tags) as r"),
    _c("from-json-string-field", "from_json(doc, 'n STRING').n as r"),
    _c("from-json-int-from-float", "from_json(doc, 'n INT').n as r"),
    _c("from-json-map", "from_json(get_json_object(doc, '$.user'), 'map<string,string>') as r"),
    _c("from-json-array-top", "from_json(doc, 'array<string>') as r"),
    _c("from-json-partial", "from_json(doc, 'n INT, ok BOOLEAN') as r"),
    _c("from-json-whole", "from_json(doc, 'n DOUBLE, ok BOOLEAN') as r"),
    _c("to-json-struct", "to_json(named_struct('id', id, 'doc', left(doc, 3))) as r"),
    _c("to-json-array", "to_json(array(id, id + 1)) as r"),
    _c("to-json-map", "to_json(map('k', id)) as r"),
    _c(
        "to-json-nested",
        "to_json(named_struct('a', array(1, 2), 'b', named_struct('c', 'x'))) as r",
    ),
    _c("to-json-double", "to_json(named_struct('x', id / 2)) as r"),
    _c("schema-of-json", 'schema_of_json(\'{"a": 1, "b": ["x"], "c": 1.5}\') as r'),
    _c("schema-of-json-nested", 'schema_of_json(\'[{"y": [1, 2.5], "x": null}]\') as r'),
    _c("get-json-object-null-value", "get_json_object('{\"a\": null}', '$.a') as r"),
    _c("get-json-object-nested-array", "get_json_object(doc, '$[1][0]') as r"),
    _c("get-json-object-escaped", 'get_json_object(\'{"a": "x\\\\"y"}\', \'$.a\') as r'),
    _c("get-json-object-unicode", "get_json_object('{\"a\": \"caf\\\\u00e9\"}', '$.a') as r"),
    Case(
        "json/get-json-object-trailing",
        "select id, get_json_object('{\"a\": 1} xyz', '$.a') as r from json_t order by id",
        True,
    ),
    _c("get-json-object-float", "get_json_object('{\"a\": 1e2, \"b\": 0.10}', '$.b') as r"),
    _c("get-json-object-where", "get_json_object(doc, '$.ok') = 'true' as r"),
    Case(
        "json/t-get-json-object",
        "select id, get_json_object(json, '$.a') as r from t order by id",
        True,
        api=True,
    ),
    Case(
        "json/t-get-json-object-nested",
        "select id, get_json_object(json, '$.d.e') as r from t order by id",
        True,
    ),
    Case(
        "json/t-get-json-object-array-field",
        "select id, get_json_object(json, '$.a[1].b') as r from t order by id",
        True,
    ),
    Case(
        "json/t-get-json-object-number",
        "select id, get_json_object(json, '$.b') as r from t order by id",
        True,
    ),
    Case(
        "json/t-json-tuple",
        "select id, json_tuple(json, 'a', 'b') from t order by id",
        True,
    ),
    Case(
        "json/t-json-array-length",
        "select id, json_array_length(json) as r from t order by id",
        True,
    ),
    Case(
        "json/t-from-json-a",
        "select id, from_json(json, 'a INT, b STRING').a as r from t order by id",
        True,
        api=True,
    ),
    Case(
        "json/t-from-json-b",
        "select id, from_json(json, 'a INT, b STRING').b as r from t order by id",
        True,
    ),
    Case(
        "json/t-from-json-c",
        "select id, from_json(json, 'c ARRAY<INT>').c as r from t order by id",
        True,
    ),
    _lax("get-json-object", "get_json_object(doc, '$.a') as r"),
    _lax("get-json-object-root", "get_json_object(doc, '$') as r"),
    _lax("get-json-object-nested", "get_json_object(doc, '$.b.c') as r"),
    _lax("get-json-object-index", "get_json_object(doc, '$.b[1]') as r"),
    _lax("json-tuple", "json_tuple(doc, 'a', 'b') as (a, b)"),
    _lax("json-array-length", "json_array_length(doc) as r"),
    _lax("json-object-keys", "json_object_keys(doc) as r"),
    Case(
        "json/schema-of-json-lax",
        "select schema_of_json('{\"a\": 1} xyz') a, schema_of_json(\"{'b': [1.5], 'c': NaN}\") b",
    ),
    _c("json-object-keys", "json_object_keys(doc) as r"),
    _lax("from-json-struct", "from_json(doc, 'a DOUBLE, b STRING') as r"),
    _lax("from-json-nested", "from_json(doc, 'a INT, b STRUCT<c: STRING>') as r"),
    _lax("from-json-text-fields", "from_json(doc, 'a STRING, b STRING') as r"),
    _lax("from-json-map", "from_json(doc, 'map<string,string>') as r"),
    _lax("from-json-array", "from_json(doc, 'array<int>') as r"),
    # to_json writes by the value's Spark type: timestamps yyyy-MM-dd'T'HH:mm:ss.SSSXXX in the
    # session zone, doubles as Java prints them, decimals with their scale, binary as base64,
    # NULL struct fields left out at any depth, NULL array members and map values as null.
    Case(
        "json/to-json-timestamps",
        "select id, to_json(named_struct('ts', ts, 'd', cast(ts as date), 'a', array(ts))) as r,"
        " to_json(map('k', ts)) as m from t order by id",
        True,
    ),
    Case(
        "json/to-json-timestamp-literals",
        "select to_json(named_struct('a', timestamp'2015-08-26 01:02:03',"
        " 'b', timestamp'2015-08-26 01:02:03.123456', 'c', timestamp'1900-01-01 00:00:00',"
        " 'd', date'2015-08-26')) as r",
    ),
    Case(
        "json/to-json-timestamp-format",
        "select id, to_json(named_struct('time', ts), map('timestampFormat', 'dd/MM/yyyy HH:mm'))"
        " as r from t order by id",
        True,
    ),
    Case(
        "json/to-json-numbers",
        "select id, to_json(named_struct('x', x, 'n', n, 'q', x * 1e10, 'w', 1.50BD, 'b', true,"
        " 'bin', X'01', 'z', cast(null as int), 'f', 0.1D + 0.2D)) as r from t order by id",
        True,
    ),
    Case(
        "json/to-json-nested-nulls",
        "select id, to_json(array(named_struct('a', n, 'b', cast(null as int)), null)) as r,"
        " to_json(named_struct('a', array(x, null), 'm', map('k', cast(null as string)))) as q,"
        " to_json(map(id, s)) as m from t order by id",
        True,
    ),
    Case(
        "json/to-json-escapes",
        "select to_json(named_struct('s', concat('a\"b\\\\c', char(10), char(9), char(1),"
        " char(31), '/é'), 'é', 1)) as r from t where id = 1",
    ),
]
