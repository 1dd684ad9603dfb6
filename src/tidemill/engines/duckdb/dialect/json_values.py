"""JSON functions with Spark's answers (fault kinds 6, 12): get_json_object, json_tuple,
json_array_length and from_json give NULL on malformed JSON instead of failing the batch.

Spark's rules (Spark SQL reference, "JSON functions"; JsonExpressions.scala):

* Every function reads the first JSON value as Spark's Jackson does (`jackson`): text after it
  is ignored, single quotes are read; trailing commas and (except in from_json) NaN are
  malformed; from_json keeps the last value of a name written twice. Text DuckDB reads the
  same way (valid, no `,]`, no NaN, no repeated field name) never leaves DuckDB.

* get_json_object(json, path): path `$`, `.name`, `['name']`, `[index]`; a string value comes
  back unquoted, any other value as compact JSON text, JSON null as NULL; malformed JSON or an
  invalid path gives NULL. Wildcard paths (`[*]`, `.*`) are refused by name.
* json_tuple(json, k1, k2, ...): top-level fields, the same value text; NULL where missing; a
  key written twice gives its last value.
* json_array_length(json): NULL unless the text is a JSON array.
* json_object_keys(json): the top-level names, NULL unless the text is a JSON object.
* to_json of a struct literal (named_struct, struct) leaves out its NULL fields.
* schema_of_json(literal): Spark's inferred DDL (fields sorted, integers BIGINT).
* from_json(json, schema): schema as a DDL string ('a INT, b STRING', 'struct<...>',
  'array<...>', 'map<string,int>'); a field that does not fit its type is NULL.
"""

from __future__ import annotations

import json
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from tidemill.engines.duckdb.dialect import datetime_patterns as patterns
from tidemill.engines.duckdb.dialect import jackson
from tidemill.engines.duckdb.dialect._nodes import (
    bottom_up,
    call,
    function_name,
    literal_text,
    template,
)
from tidemill.engines.duckdb.dialect.context import Context
from tidemill.engines.duckdb.dialect.types import type_members

# DuckDB's JSON reader accepts what Jackson rejects (trailing commas, NaN) and rejects what
# Jackson reads (text after the first value, single quotes, raw control characters): such text
# goes through `jackson.first_value` (Python, the slow path), the rest straight to DuckDB.
# (One regex with `|NaN|Infinity` cost 0.7 µs a row, measured; contains() 0.07 µs.)
_TRAILING_COMMA = r",\s*[\]}]"

MACROS: tuple[str, ...] = (
    """CREATE MACRO tidemill_json_plain(j) AS json_valid(j)
        AND NOT contains(j, 'NaN') AND NOT contains(j, 'Infinity')""",
    f"""CREATE MACRO tidemill_json_doc(j) AS CASE
        WHEN tidemill_json_plain(j) AND NOT regexp_matches(j, '{_TRAILING_COMMA}') THEN j
        ELSE tidemill_json_first(j, {jackson.LENIENT}, '') END""",
    # DuckDB's JSON functions raise on malformed text; Spark gives NULL.
    """CREATE MACRO tidemill_json_string(j, path) AS
        json_extract_string(tidemill_json_doc(j), path)""",
    # json_tuple: a key written twice in an object gives Spark the last value, DuckDB's
    # json_extract the first. The slow path (all keys and values) runs only when the key's
    # quoted text occurs more than once in the document.
    """CREATE MACRO tidemill_json_field_in(j, key) AS CASE
        WHEN NOT json_valid(j) THEN NULL
        WHEN strlen(j) - strlen(replace(j, '"' || key || '"', '')) <= strlen(key) + 2
        THEN json_extract_string(j, '$."' || replace(key, '"', '\\"') || '"')
        WHEN json_type(CAST(j AS JSON)) = 'OBJECT' THEN json_extract_string(
            json_extract(j, '$.*')[len(json_keys(j)) + 1
                - list_position(list_reverse(json_keys(j)), key)], '$')
    END""",
    """CREATE MACRO tidemill_json_field(j, key) AS
        tidemill_json_field_in(tidemill_json_doc(j), key)""",
    """CREATE MACRO tidemill_json_array_length_in(j) AS CASE
        WHEN json_valid(j) AND json_type(CAST(j AS JSON)) = 'ARRAY'
        THEN CAST(json_array_length(j) AS INTEGER) END""",
    """CREATE MACRO tidemill_json_array_length(j) AS
        tidemill_json_array_length_in(tidemill_json_doc(j))""",
    # json_object_keys: the top-level names of an object, NULL for anything else.
    """CREATE MACRO tidemill_json_object_keys_in(j) AS CASE
        WHEN json_valid(j) AND json_type(CAST(j AS JSON)) = 'OBJECT' THEN json_keys(j) END""",
    """CREATE MACRO tidemill_json_object_keys(j) AS
        tidemill_json_object_keys_in(tidemill_json_doc(j))""",
)

_NAME = re.compile(r"\.([^.\[]+)")
_QUOTED = re.compile(r"\['([^']*)'\]")
_INDEX = re.compile(r"\[(\d+)\]")


def rewrite(query: exp.Expr, context: Context) -> exp.Expr:
    """`query` with Spark's JSON functions made NULL-safe (see the module docstring)."""
    return bottom_up(query, _rewrite_node)


def _rewrite_node(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.JSONExtractScalar):
        return _get_json_object(node.this, node.expression)
    name = function_name(node)
    if name == "json_array_length" and isinstance(node, exp.Anonymous):
        return call("tidemill_json_array_length", *node.expressions)
    if isinstance(node, exp.JSONKeys) and node.this is not None and not node.expressions:
        return call("tidemill_json_object_keys", node.this)
    if isinstance(node, exp.JSONFormat):
        return to_json(node)
    if name == "schema_of_json" and isinstance(node, exp.Anonymous):
        return _schema_of_json(node.expressions)
    if isinstance(node, exp.FromJson):
        return from_json(node.this, node.expression)
    if name == "json_tuple" and isinstance(node, exp.Anonymous) and not _is_generator(node):
        document, *keys = node.expressions
        if len(keys) == 1:
            return json_tuple_field(document, keys[0])
    return node


def _is_generator(node: exp.Expr) -> bool:
    return isinstance(node.parent, exp.Lateral | exp.Select | exp.Alias | exp.Aliases)


def duckdb_path(spark_path: str) -> str | None:
    """Spark's JSON path as DuckDB's, or None if Spark would not accept it (answer: NULL).

    Raises the E18209 refusal for wildcards, which DuckDB answers with a list, not text.
    """
    if not spark_path.startswith("$"):
        return None
    rest, parts = spark_path[1:], ["$"]
    while rest:
        if rest.startswith((".*", "[*]")):
            from tidemill.engines.duckdb.dialect.translate import unsupported

            raise unsupported("get_json_object with a wildcard path")
        for pattern, kind in ((_QUOTED, "key"), (_NAME, "key"), (_INDEX, "index")):
            match = pattern.match(rest)
            if match:
                value = match.group(1)
                parts.append(f"[{value}]" if kind == "index" else "." + json.dumps(value))
                rest = rest[match.end() :]
                break
        else:
            return None
    return "".join(parts)


def _get_json_object(document: exp.Expr, path: exp.Expr) -> exp.Expr:
    if isinstance(path, exp.JSONPath):
        converted = _parsed_path(path)
    else:
        text = literal_text(path)
        if text is None:
            return call("tidemill_json_string", document, path)
        converted = duckdb_path(text)
    if converted is None:
        return exp.cast(exp.Null(), exp.DataType.build("VARCHAR"))
    return call("tidemill_json_string", document, exp.Literal.string(converted))


# Set on a to_json node (JSONFormat) by `strings.rewrite_typed`, before coercion: the Spark type
# of its argument.
TO_JSON_TYPE = "tidemill_to_json_type"
_VALUE = "tidemill_json_value"
_TS = "tidemill_json_ts"
_TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"  # Spark's JSONOptions default
_INTEGRAL_OR_BOOLEAN = ("tinyint", "smallint", "int", "bigint", "boolean")


def to_json(node: exp.JSONFormat) -> exp.Expr:
    """to_json(value[, options]) as Spark's JacksonGenerator writes it, built from the Spark
    type of the value: struct fields that are NULL left out (at any depth), NULL array members
    and map values written `null`, doubles as Java prints them, decimals with their scale,
    dates `yyyy-MM-dd`, timestamps `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` in the session zone (or the
    `timestampFormat` option, the only one honoured), binary as base64, map keys as text."""
    spark_type = node.meta.get(TO_JSON_TYPE)
    if not isinstance(spark_type, str):
        raise _unsupported("to_json of a value whose Spark type is not known")
    kind, _ = type_members(spark_type)
    if kind not in ("struct", "array", "map"):
        raise _unsupported(f"to_json of a {spark_type}")
    pattern = _timestamp_format(node.args.get("options"))
    text = _json_sql(_VALUE, spark_type, 0, pattern)
    built = sqlglot.parse_one(f"CASE WHEN {_VALUE} IS NOT NULL THEN {text} END", read="duckdb")
    for column in list(built.find_all(exp.Column)):
        if column.name == _VALUE and not column.table:
            column.replace(node.this.copy())
    for encode in list(built.find_all(exp.ToBase64)):  # DuckDB's, of bytes: not Spark's base64
        encode.replace(call("to_base64", encode.this))
    return built


def _timestamp_format(options: exp.Expr | None) -> str:
    if options is None:
        return _TIMESTAMP_FORMAT
    keys = options.args.get("keys") if isinstance(options, exp.VarMap) else None
    values = options.args.get("values") if isinstance(options, exp.VarMap) else None
    if not isinstance(keys, exp.Array) or not isinstance(values, exp.Array):
        raise _unsupported("to_json with options that are not a map(...) of string literals")
    pattern = _TIMESTAMP_FORMAT
    for key_node, value_node in zip(keys.expressions, values.expressions, strict=True):
        key, value = literal_text(key_node), literal_text(value_node)
        if key is None or value is None:
            raise _unsupported("to_json with options that are not a map(...) of string literals")
        if key != "timestampFormat":
            raise _unsupported(f"to_json option {key!r} (only timestampFormat is honoured)")
        pattern = value
    return pattern


def _json_sql(value: str, spark_type: str, depth: int, pattern: str) -> str:
    """DuckDB SQL writing `value` (SQL of Spark type `spark_type`, not NULL) as Spark's JSON."""
    kind, members = type_members(spark_type)
    var = f"tidemill_j{depth}"
    if kind == "string":
        return f"CAST(to_json(CAST({value} AS VARCHAR)) AS VARCHAR)"
    if kind == "void":
        return "CAST(NULL AS VARCHAR)"
    if kind in _INTEGRAL_OR_BOOLEAN:
        return f"CAST({value} AS VARCHAR)"
    if kind.startswith("decimal("):
        return f"CAST(CAST({value} AS {kind.upper()}) AS VARCHAR)"
    if kind == "double":
        return f"tidemill_double_to_string({value})"
    if kind == "date":
        return f"'\"' || strftime({value}, '%Y-%m-%d') || '\"'"
    if kind == "timestamp":
        try:
            printed = patterns.format_sql(exp.column(_TS), pattern).sql(dialect="duckdb")
        except patterns.PatternError as exc:
            raise _unsupported(f"to_json timestampFormat {pattern!r} ({exc})") from exc
        return "'\"' || " + printed.replace(_TS, f"CAST({value} AS TIMESTAMPTZ)") + " || '\"'"
    if kind == "binary":
        return f"'\"' || to_base64({value}) || '\"'"
    if kind == "array":
        inner = _json_sql(var, members[0][1], depth + 1, pattern)
        listed = f"list_transform({value}, lambda {var}: coalesce({inner}, 'null'))"
        return f"'[' || array_to_string({listed}, ',') || ']'"
    if kind == "map":
        key_type = members[0][1]
        if key_type == "string":
            key = f"CAST(to_json(CAST({var}.key AS VARCHAR)) AS VARCHAR)"
        elif key_type in _INTEGRAL_OR_BOOLEAN:
            key = f"'\"' || CAST({var}.key AS VARCHAR) || '\"'"
        else:  # Spark writes a date key as its day number, a struct key as `[1]` ...
            raise _unsupported(f"to_json of a map with {key_type} keys")
        item = _json_sql(f"{var}.value", members[1][1], depth + 1, pattern)
        pair = f"{key} || ':' || coalesce({item}, 'null')"
        listed = f"list_transform(map_entries({value}), lambda {var}: {pair})"
        return f"'{{' || array_to_string({listed}, ',') || '}}'"
    if kind == "struct":
        fields = []
        for index, (name, field_type) in enumerate(members, start=1):
            field = f"struct_extract_at({value}, {index})"
            label = json.dumps(name, ensure_ascii=False).replace("'", "''") + ":"
            text = _json_sql(field, field_type, depth + 1, pattern)
            fields.append(f"CASE WHEN {field} IS NOT NULL THEN '{label}' || {text} END")
        joined = f"concat_ws(',', {', '.join(fields)})" if fields else "''"
        return f"CASE WHEN {value} IS NOT NULL THEN '{{' || {joined} || '}}' END"
    raise _unsupported(f"to_json of a value of type {spark_type}")  # float: Java's digits


def _unsupported(construct: str) -> Exception:
    from tidemill.engines.duckdb.dialect.translate import unsupported

    return unsupported(construct)


def _schema_of_json(args: list[exp.Expr]) -> exp.Expr:
    """schema_of_json of a literal, computed here as Spark infers it (fields sorted by name)."""
    from tidemill.engines.duckdb.dialect.translate import unsupported

    text = literal_text(args[0]) if len(args) == 1 else None
    if text is None:
        raise unsupported("schema_of_json of anything but one string literal")
    try:  # Spark reads it with its JSONOptions' reader (from_json's)
        document = jackson.python_value(text, jackson.FROM_JSON)
    except ValueError as exc:
        raise unsupported("schema_of_json of text that is not JSON") from exc
    return exp.Literal.string(_inferred(document))


def _inferred(value: object) -> str:
    if isinstance(value, dict):
        fields = ", ".join(f"{key}: {_inferred(value[key])}" for key in sorted(value))
        return f"STRUCT<{fields}>"
    if isinstance(value, list):
        kinds = {_inferred(item) for item in value if item is not None}
        if kinds == {"BIGINT", "DOUBLE"}:
            kinds = {"DOUBLE"}
        return f"ARRAY<{kinds.pop() if len(kinds) == 1 else 'STRING'}>"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT" if -(2**63) <= value < 2**63 else "DECIMAL(38,0)"
    if isinstance(value, float):
        return "DOUBLE"
    return "STRING"


def _parsed_path(path: exp.JSONPath) -> str | None:
    """A path sqlglot has already parsed, as DuckDB's; None where Spark answers NULL."""
    from tidemill.engines.duckdb.dialect.translate import unsupported

    parts = []
    for part in path.expressions:
        value = part.this
        if isinstance(value, exp.JSONPathWildcard):
            raise unsupported("get_json_object with a wildcard path")
        if isinstance(part, exp.JSONPathRoot):
            parts.append("$")
        elif isinstance(part, exp.JSONPathKey) and isinstance(value, str):
            parts.append("." + json.dumps(value))
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(value, int):
            if value < 0:
                return None
            parts.append(f"[{value}]")
        else:
            raise unsupported(f"get_json_object path {path.sql(dialect='spark')}")
    return "".join(parts)


def json_tuple_field(document: exp.Expr, key: exp.Expr) -> exp.Expr:
    """json_tuple's value for one key: as get_json_object(document, '$.<key>'), except that a
    key written twice gives its last value."""
    return call("tidemill_json_field", document.copy(), key.copy())


def from_json(document: exp.Expr, schema: exp.Expr) -> exp.Expr:
    """from_json with a literal DDL schema, field by field with Spark's conversions.

    A struct schema gives a struct of NULLs for malformed JSON or JSON that is not an object
    (Spark's PERMISSIVE mode), NULL for NULL text; a value whose JSON type does not fit its
    field's type is NULL (an integer field does not take 1.5; a string field takes any value as
    its JSON text).
    """
    from tidemill.engines.duckdb.dialect.translate import unsupported

    text = literal_text(schema)
    if text is None:
        raise unsupported("from_json with a schema that is not a string literal")
    try:
        wanted = spark_type(text)
    except (ParseError, ValueError) as exc:
        raise unsupported(f"from_json schema {text!r}") from exc
    if wanted.is_type(exp.DType.STRUCT) and not wanted.expressions:
        raise unsupported(f"from_json schema {text!r}")
    parsed = _from_json_document(document, wanted)
    # The text to read is worked out once a row: bound to a lambda parameter, as below.
    doc = exp.column("_tidemill_doc")
    value = exp.cast(doc.copy(), exp.DataType.build("JSON"))
    if wanted.is_type(exp.DType.STRUCT):
        fields = _fields(wanted)
        empty = _struct([(name, exp.cast(exp.Null(), kind)) for name, kind in fields])
        # The document is parsed once for all fields: the list of their values is bound to a
        # lambda parameter (`list_transform([x], lambda v: ...)[1]`).
        bound = exp.column("_tidemill_fields")
        converted = _struct(
            [
                (name, _json_value(exp.Bracket(
                    this=bound.copy(), expressions=[exp.Literal.number(i + 1)], offset=1), kind))
                for i, (name, kind) in enumerate(fields)
            ]
        )  # fmt: skip
        paths = exp.Array(expressions=[_key_path(name) for name, _ in fields])
        read = template(
            """CASE WHEN json_type(TRY_CAST(_d AS JSON)) = 'OBJECT'
                THEN list_transform([json_extract(CAST(_d AS JSON), _paths)], _bind)[1]
                ELSE _empty END""",
            d=doc, paths=paths, empty=empty,
            bind=exp.Lambda(this=converted, expressions=[bound.this]),
        )  # fmt: skip
        return template(
            """CASE WHEN _j IS NULL OR _j = '' THEN NULL
                ELSE list_transform([_parsed], _read)[1] END""",
            j=document, parsed=parsed, read=exp.Lambda(this=read, expressions=[doc.this]),
        )  # fmt: skip
    converted = _json_value(value, wanted)
    read = template("CASE WHEN json_valid(_d) THEN _converted END", d=doc, converted=converted)
    return template(
        "list_transform([_parsed], _read)[1]",
        parsed=parsed, read=exp.Lambda(this=read, expressions=[doc.this]),
    )  # fmt: skip


def _from_json_document(document: exp.Expr, wanted: exp.DataType) -> exp.Expr:
    """The text from_json reads: the document itself where DuckDB reads it as Spark's Jackson
    does, else its first value as Jackson reads it (`jackson.first_value`, FROM_JSON features:
    a name written twice keeps its last value). A schema field name that occurs twice in the
    text, or a map's key repeated, sends the document to the slow path."""
    checks: list[exp.Expr] = []
    names = sorted(_field_names(wanted))
    if names:  # one RE2 pass for all names (measured: 0.5 µs a row; a replace() per name 0.35)
        twice = "|".join(f"{re.escape(json.dumps(n))}.*{re.escape(json.dumps(n))}" for n in names)
        checks.append(
            template("NOT regexp_matches(_j, _twice)", j=document.copy(),
                     twice=exp.Literal.string("(?s)" + twice))
        )  # fmt: skip
    if _has_map(wanted):
        distinct = "len(json_keys(_j)) = len(list_distinct(json_keys(_j)))"
        checks.append(template(distinct, j=document.copy()))
    unique = exp.and_(*checks) if checks else exp.true()
    shape = exp.Literal.string(json.dumps(jackson.shape_of(_jackson_kind(wanted))))
    return template(
        """CASE WHEN tidemill_json_plain(_j) AND NOT regexp_matches(_j, _comma)
            THEN CASE WHEN _unique THEN _j ELSE tidemill_json_first(_j, _mode, _shape) END
            ELSE tidemill_json_first(_j, _mode, _shape) END""",
        j=document.copy(), unique=unique, mode=exp.Literal.number(jackson.FROM_JSON),
        shape=shape, comma=exp.Literal.string(_TRAILING_COMMA),
    )  # fmt: skip


def _jackson_kind(wanted: exp.DataType) -> tuple[str, object]:
    """`wanted` as the nested tuples `jackson.shape_of` takes."""
    if wanted.is_type(exp.DType.STRUCT):
        return ("struct", {name: _jackson_kind(kind) for name, kind in _fields(wanted)})
    if wanted.is_type(exp.DType.MAP):
        return ("map", _jackson_kind(wanted.expressions[1]))
    if wanted.is_type(exp.DType.ARRAY):
        return ("array", _jackson_kind(wanted.expressions[0]))
    if wanted.is_type(*exp.DataType.TEXT_TYPES):
        return ("text", None)
    return ("scalar", None)


def _field_names(wanted: exp.DataType) -> set[str]:
    names: set[str] = set()
    for node in wanted.find_all(exp.ColumnDef):
        names.add(node.name)
    return names


def _has_map(wanted: exp.DataType) -> bool:
    return any(t.is_type(exp.DType.MAP) for t in wanted.find_all(exp.DataType))


_JSON_TYPES = {
    "integral": ("BIGINT", "UBIGINT"),
    "fractional": ("BIGINT", "UBIGINT", "DOUBLE"),
    "boolean": ("BOOLEAN",),
}


def _json_value(value: exp.Expr, wanted: exp.DataType) -> exp.Expr:
    """DuckDB SQL turning the JSON `value` into `wanted` as Spark's JSON reader does."""
    from tidemill.engines.duckdb.dialect.translate import unsupported

    if wanted.is_type(*exp.DataType.TEXT_TYPES):
        return call("json_extract_string", value, exp.Literal.string("$"))
    if wanted.is_type(exp.DType.STRUCT):
        return _when_json_type(value, ("OBJECT",), _struct_value(value, wanted))
    if wanted.is_type(exp.DType.ARRAY):
        (element,) = wanted.expressions
        item = exp.column("_tidemill_item")
        each = exp.Lambda(this=_json_value(item, element), expressions=[item.this])
        items = exp.cast(value, exp.DataType.build("JSON[]"))
        return _when_json_type(value, ("ARRAY",), call("list_transform", items, each))
    if wanted.is_type(exp.DType.MAP):
        key_type, value_type = wanted.expressions
        if not key_type.is_type(*exp.DataType.TEXT_TYPES):
            raise unsupported("from_json of a map whose keys are not strings")
        key = exp.column("_tidemill_key")
        entry = _json_value(call("json_extract", value, template(
            """'$."' || replace(_k, '"', '\\"') || '"'""", k=key)), value_type)  # fmt: skip
        keys = call("json_keys", value)
        values = exp.Lambda(this=entry, expressions=[key.this])
        entries = call("map", keys, call("list_transform", keys, values))
        return _when_json_type(value, ("OBJECT",), entries)
    kind = None
    if wanted.is_type(*exp.DataType.INTEGER_TYPES):
        kind = "integral"
    elif wanted.is_type(*exp.DataType.REAL_TYPES):
        kind = "fractional"
    elif wanted.is_type(exp.DType.BOOLEAN):
        kind = "boolean"
    if kind is None:
        raise unsupported(f"from_json field type {wanted.sql(dialect='spark')}")
    text = call("json_extract_string", value, exp.Literal.string("$"))
    return _when_json_type(value, _JSON_TYPES[kind], exp.TryCast(this=text, to=wanted.copy()))


def _struct_value(value: exp.Expr, wanted: exp.DataType) -> exp.Expr:
    fields = [
        (name, _json_value(call("json_extract", value, _key_path(name)), kind))
        for name, kind in _fields(wanted)
    ]
    return _struct(fields)


def _when_json_type(value: exp.Expr, types: tuple[str, ...], then: exp.Expr) -> exp.Expr:
    names = exp.Tuple(expressions=[exp.Literal.string(t) for t in types])
    check = exp.In(this=call("json_type", value.copy()), expressions=names.expressions)
    return exp.Case(ifs=[exp.If(this=check, true=then)])


def _fields(struct: exp.DataType) -> list[tuple[str, exp.DataType]]:
    fields = []
    for field in struct.expressions:
        kind = field.args.get("kind")
        if not isinstance(field, exp.ColumnDef) or not isinstance(kind, exp.DataType):
            from tidemill.engines.duckdb.dialect.translate import unsupported

            raise unsupported(f"from_json schema field {field.sql(dialect='spark')}")
        fields.append((field.name, kind))
    return fields


def _struct(fields: list[tuple[str, exp.Expr]]) -> exp.Expr:
    return exp.Struct(
        expressions=[exp.PropertyEQ(this=exp.to_identifier(n), expression=v) for n, v in fields]
    )


def _key_path(name: str) -> exp.Literal:
    return exp.Literal.string("$." + json.dumps(name))


def spark_type(ddl: str) -> exp.DataType:
    """A Spark DDL type or column list ('a INT, b STRING') as a sqlglot type."""
    text = ddl.strip()
    lowered = text.lower()
    if not lowered.startswith(("struct<", "array<", "map<")):
        text = f"STRUCT<{text}>"
    return exp.DataType.build(text, dialect="spark")
