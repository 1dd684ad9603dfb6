"""Datasource files through typed DuckDB views: exact values, or errors naming file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.engines.sources import failure, rows, types, write, write_parquet
from tidemill.core.models import SchemaField
from tidemill.engines.duckdb.database import connect
from tidemill.engines.duckdb.reading import register_source, source_error
from tidemill.errors import BackendError, Failure, InvalidInputError

LOGS = [
    SchemaField("ip", "string"),
    SchemaField("bytes", "long"),
    SchemaField("time", "date"),
    SchemaField("hit", "boolean"),
    SchemaField("rt", "float"),
]
LOGS_TYPES = [
    ("ip", "VARCHAR"),
    ("bytes", "BIGINT"),
    ("time", "TIMESTAMP WITH TIME ZONE"),
    ("hit", "BOOLEAN"),
    ("rt", "DOUBLE"),
]
LOGS_ROWS = [
    ("1.1.1.1", 10, "2017-01-01 08:00:25+00", True, 1.5),
    ("2.2.2.2", -20, "2017-01-01 08:00:25.5+00", False, 2.0),
    (None, None, None, None, None),
]
LOGS_JSON = (
    '{"ip": "1.1.1.1", "bytes": 10, "time": "2017-01-01T15:00:25+07:00", "hit": true, "rt": 1.5}\n'
    '{"ip": "2.2.2.2", "bytes": -20, "time": "2017-01-01T08:00:25.5Z", "hit": false, "rt": 2}\n'
    "{}\n"
)
LOGS_CSV = (
    "ip,bytes,time,hit,rt\n"
    "1.1.1.1,10,2017-01-01T15:00:25+07:00,true,1.5\n"
    "2.2.2.2,-20,2017-01-01T08:00:25.5Z,FALSE,2\n"
    ",,,,\n"
)
LOGS_PARQUET = """SELECT * FROM (VALUES
    ('1.1.1.1', 10, TIMESTAMPTZ '2017-01-01 08:00:25+00', true, 1.5::DOUBLE),
    ('2.2.2.2', -20, TIMESTAMPTZ '2017-01-01 08:00:25.5+00', false, 2.0::DOUBLE),
    (NULL, NULL, NULL, NULL, NULL)) t(ip, bytes, "time", hit, rt)"""


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return connect(allowed_directories=[str(tmp_path)])


def csv_options(delimiter: str = ",", header: bool = True) -> dict[str, Any]:
    return {"file_type": "csv", "delimiter": delimiter, "contains_header": header}


@pytest.mark.parametrize(
    ("name", "content", "options"),
    [
        pytest.param("a.json", LOGS_JSON, {"file_type": "json"}, id="json"),
        pytest.param("a.json.gz", LOGS_JSON, {"file_type": "json"}, id="json-gz"),
        pytest.param("a.json.zst", LOGS_JSON, {"file_type": "json"}, id="json-zst"),
        pytest.param("a.json", LOGS_JSON.replace("\n", "\r\n"), {"file_type": "json"}, id="crlf"),
        pytest.param("a.csv", LOGS_CSV, csv_options(), id="csv-header"),
        pytest.param("a.csv.gz", LOGS_CSV, csv_options(), id="csv-gz"),
        pytest.param("a.csv.zst", LOGS_CSV, csv_options(), id="csv-zst"),
        pytest.param(
            "a.csv", LOGS_CSV.split("\n", 1)[1], csv_options(header=False), id="csv-by-position"
        ),
        pytest.param("a.tsv", LOGS_CSV.replace(",", "\t"), csv_options("\\t"), id="tab-escape"),
        pytest.param(
            "a.txt", LOGS_CSV.replace(",", "\\"), csv_options("\\\\"), id="backslash-escape"
        ),
        pytest.param("a.csv", LOGS_CSV.replace(",", "|"), csv_options("|"), id="pipe"),
        pytest.param("a.csv", "\ufeff" + LOGS_CSV, csv_options(), id="csv-bom"),
    ],
)
def test_files_read_as_declared(con, tmp_path: Path, name: str, content: str, options) -> None:
    register_source(con, "logs", [write(tmp_path / name, content)], schema=LOGS, **options)

    assert types(con, "logs") == LOGS_TYPES
    assert rows(con, "logs") == LOGS_ROWS


def test_parquet_reads_as_declared(con, tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "a.parquet", LOGS_PARQUET)

    register_source(con, "logs", [path], file_type="parquet", schema=LOGS)

    assert types(con, "logs") == LOGS_TYPES
    assert rows(con, "logs") == LOGS_ROWS


@pytest.mark.parametrize("file_type", ["json", "csv", "text", "parquet"])
def test_no_files_is_an_empty_view_with_the_declared_columns(con, file_type: str) -> None:
    schema = [SchemaField("text", "string")] if file_type == "text" else LOGS
    options = csv_options() if file_type == "csv" else {"file_type": file_type}

    register_source(con, "logs", [], schema=schema, **options)

    assert types(con, "logs") == ([("text", "VARCHAR")] if file_type == "text" else LOGS_TYPES)
    assert con.execute("SELECT count(*) FROM logs").fetchall() == [(0,)]


def test_json_keys_bind_exactly_and_extra_keys_are_ignored(con, tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.json",
        '{"a": 1, "extra": {"x": 1}}\n'
        "\n"
        "   \n"
        '{"A": 2, "b": "x\\ny"}\n'
        "null\n"
        '{"a": null, "b": {"k": [1, "two"]}}\n'
        '{"a": "42", "b": 7.5}\n',
    )
    schema = [SchemaField("a", "long"), SchemaField("b", "string")]

    register_source(con, "t", [path], file_type="json", schema=schema)

    assert rows(con, "t") == [
        (1, None),
        (None, "x\ny"),
        (None, None),  # a `null` line is an empty record
        (None, '{"k":[1,"two"]}'),  # objects read as string keep their JSON text
        (42, "7.5"),  # values are read through their text
    ]


def test_csv_header_binds_by_name_in_every_file(con, tmp_path: Path) -> None:
    first = write(tmp_path / "1.csv", "bytes,ip,unused\n10,a,x\n")
    second = write(tmp_path / "2.csv", "IP;x;BYTES\n".replace(";", ",") + "b,y,20\n")
    empty = write(tmp_path / "3.csv", "")
    header_only = write(tmp_path / "4.csv", "ip,bytes\n")
    schema = [SchemaField("ip", "string"), SchemaField("bytes", "long")]

    register_source(con, "t", [first, second, empty, header_only], schema=schema, **csv_options())

    assert sorted(rows(con, "t")) == [("a", 10), ("b", 20)]


def test_csv_quoting_and_empty_fields(con, tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv",
        'a,b\n"x,y","multi\nline"\n"",\n"say ""hi""",  spaced  \n\n"last",row\n',
    )
    schema = [SchemaField("a", "string"), SchemaField("b", "string")]

    register_source(con, "t", [path], schema=schema, **csv_options())

    assert rows(con, "t") == [
        ("x,y", "multi\nline"),
        (None, None),  # empty fields are NULL, quoted or not
        ('say "hi"', "  spaced  "),
        ("last", "row"),  # a blank line between records is no record
    ]


@pytest.mark.parametrize(
    ("content", "lines"),
    [
        pytest.param("a\n\nb\n", ["a", "", "b"], id="empty-line-kept"),
        pytest.param("a\nb", ["a", "b"], id="no-final-newline"),
        pytest.param("\n", [""], id="one-empty-line"),
        pytest.param("", [], id="empty-file"),
        pytest.param("a\r\n\r\nb\r\n", ["a", "", "b"], id="crlf"),
        pytest.param("a\rb\r", ["a", "b"], id="cr"),
        pytest.param('  x, "y" \\z\ttab\x01\n', ['  x, "y" \\z\ttab\x01'], id="everything-literal"),
        pytest.param("\ufeffbom\n", ["bom"], id="bom-dropped"),
    ],
)
def test_text_is_one_row_per_line(con, tmp_path: Path, content: str, lines: list[str]) -> None:
    path = write(tmp_path / "a.txt", content)

    register_source(con, "t", [path], file_type="text", schema=[SchemaField("text", "string")])

    assert rows(con, "t") == [(line,) for line in lines]


def test_text_gz_and_zst(con, tmp_path: Path) -> None:
    files = [write(tmp_path / "a.log.gz", "a\n\nb\n"), write(tmp_path / "b.log.zst", "c\n")]

    register_source(con, "t", files, file_type="text", schema=[SchemaField("text", "string")])

    assert sorted(rows(con, "t")) == [("",), ("a",), ("b",), ("c",)]


def test_parquet_binds_by_name_and_converts_without_loss(con, tmp_path: Path) -> None:
    first = write_parquet(
        tmp_path / "1.parquet",
        "SELECT 7::INTEGER AS n, 1.25::DECIMAL(5,2) AS f, DATE '2020-01-02' AS d,"
        " TIMESTAMP '2020-01-02 03:04:05' AS ts, {'k': [1, 2]} AS s, 'x' AS extra,"
        " '12' AS txt, 5::UTINYINT AS u",
    )
    second = write_parquet(
        tmp_path / "2.parquet",
        "SELECT '-3' AS txt, 9::UBIGINT AS u, NULL::STRUCT(k INTEGER[]) AS s,"
        " TIMESTAMPTZ '2020-01-01 00:00:00+00' AS ts, DATE '2020-01-01' AS d,"
        " 2.5::DOUBLE AS f, 8::BIGINT AS N",
    )
    schema = [
        SchemaField("n", "long"),
        SchemaField("f", "float"),
        SchemaField("d", "date"),
        SchemaField("ts", "date"),
        SchemaField("s", "string"),
        SchemaField("txt", "long"),
        SchemaField("u", "float"),
    ]

    register_source(con, "t", [first, second], file_type="parquet", schema=schema)

    assert rows(con, "t") == [
        (7, 1.25, "2020-01-02 00:00:00+00", "2020-01-02 03:04:05+00", '{"k":[1,2]}', 12, 5.0),
        (8, 2.5, "2020-01-01 00:00:00+00", "2020-01-01 00:00:00+00", None, -3, 9.0),
    ]


def test_dates_are_instants_shown_in_the_session_zone(tmp_path: Path) -> None:
    con = connect(time_zone="Asia/Shanghai", allowed_directories=[str(tmp_path)])
    path = write(tmp_path / "a.json", '{"t": "2017-01-01T00:00:00Z"}\n')

    register_source(con, "t", [path], file_type="json", schema=[SchemaField("t", "date")])

    assert con.execute("SELECT CAST(t AS VARCHAR), epoch(t) FROM t").fetchall() == [
        ("2017-01-01 08:00:00+08", 1483228800.0)
    ]


VALUES = [
    # (valtype, text, value read) — value None with ok=False means the read must fail
    ("long", "42", 42),
    ("long", "-9223372036854775808", -(2**63)),
    ("long", "+7", 7),
    ("long", "007", 7),
    ("long", "9223372036854775808", None),
    ("long", "1.5", None),
    ("long", "2.0", None),
    ("long", "1e3", None),
    ("long", "abc", None),
    ("long", "true", None),
    ("float", "1.5", 1.5),
    ("float", "-2", -2.0),
    ("float", "1e3", 1000.0),
    ("float", ".5", 0.5),
    ("float", "NaN", "nan"),
    ("float", "-Infinity", float("-inf")),
    ("float", "1,5", None),
    ("float", "abc", None),
    ("boolean", "true", True),
    ("boolean", "FALSE", False),
    ("boolean", "True", True),
    ("boolean", "yes", None),
    ("boolean", "1", None),
    ("boolean", "t", None),
    ("date", "2017-01-01T15:00:25+07:00", "2017-01-01 08:00:25+00"),
    ("date", "2017-01-01T15:00:25.123456789Z", "2017-01-01 15:00:25.123456+00"),
    ("date", "2017-01-01t15:00:25z", "2017-01-01 15:00:25+00"),
    ("date", "2017-01-01 15:00:25-01:30", "2017-01-01 16:30:25+00"),
    ("date", "2017-01-01T15:00:25", None),  # no zone: ambiguous
    ("date", "2017-01-01", None),
    ("date", "2017-02-30T00:00:00Z", None),
    ("date", "2017-13-01T00:00:00Z", None),
    ("date", "yesterday", None),
    ("date", "1483228800", None),
    ("string", "anything at all", "anything at all"),
]


@pytest.mark.parametrize(("valtype", "text", "expected"), VALUES)
@pytest.mark.parametrize("file_type", ["csv", "json"])
def test_text_values_parse_strictly(
    con, tmp_path: Path, file_type: str, valtype: str, text: str, expected: object
) -> None:
    if file_type == "json":
        path = write(tmp_path / "a.json", f'{{"v": "{text}"}}\n{{"v": null}}\n')
        options: dict[str, Any] = {"file_type": "json"}
    else:
        path = write(tmp_path / "a.csv", f'"{text}"\n\n')
        options = csv_options(header=False)
    register_source(con, "t", [path], schema=[SchemaField("v", valtype)], **options)

    if expected is None:
        error = failure(con, "SELECT * FROM t")
        assert error.failure is Failure.DS_VERIFY_FORMAT
        assert error.message.startswith(f'{path} line 1: "v" is "{text}", not a')
    elif expected == "nan":
        assert [str(v) for (v,) in rows(con, "t")] == ["nan", "None"]
    else:
        assert rows(con, "t") == [(expected,), (None,)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", (1, 1.0, None)),
        ("-5", (-5, -5.0, None)),
        ("1.5", "not a long"),
        ("1e2", "not a long"),
        ("true", "not a long"),
        ('"x"', "not a long"),
        ("[1]", "not a long"),
    ],
)
def test_json_numbers_keep_their_type(con, tmp_path: Path, value: str, expected) -> None:
    path = write(tmp_path / "a.json", f'{{"l": {value}, "f": {value}, "s": null}}\n')
    schema = [SchemaField("l", "long"), SchemaField("f", "float"), SchemaField("s", "date")]
    register_source(con, "t", [path], file_type="json", schema=schema)

    if isinstance(expected, tuple):
        assert rows(con, "t") == [expected]
    else:
        assert expected in failure(con, "SELECT l FROM t").message


GOOD_JSON = '{"ip": "a", "bytes": 1}\n'
GOOD_CSV_ROW = "a,1\n"
TWO = [SchemaField("ip", "string"), SchemaField("bytes", "long")]


@pytest.mark.parametrize(
    ("name", "content", "options", "message"),
    [
        pytest.param(
            "a.json",
            GOOD_JSON * 2 + '{"ip": "c", "bytes": "abc"}\n',
            {"file_type": "json"},
            'a.json line 3: "bytes" is "abc", not a long',
            id="json-wrong-type",
        ),
        pytest.param(
            "a.json.gz",
            GOOD_JSON + "\n\n" + '{"ip": "c", "bytes": 1.5}\n',
            {"file_type": "json"},
            'a.json.gz line 4: "bytes" is "1.5", not a long',
            id="json-gz-after-blank-lines",
        ),
        pytest.param(
            "a.json",
            GOOD_JSON * 2 + '{"ip": "c", "bytes": 3\n' + GOOD_JSON,
            {"file_type": "json"},
            "a.json line 3: is not valid JSON (Expecting ',' delimiter at column 23)",
            id="json-malformed",
        ),
        pytest.param(
            "a.json",
            GOOD_JSON + "[1, 2]\n",
            {"file_type": "json"},
            "a.json line 2: is a JSON array, not an object",
            id="json-not-an-object",
        ),
        pytest.param(
            "a.json",
            GOOD_JSON + '{"ip": "a", "ip": "b"}\n',
            {"file_type": "json"},
            'a.json line 2: is not valid JSON (the key "ip" appears twice)',
            id="json-duplicate-key",
        ),
        pytest.param(
            "a.json",
            GOOD_JSON + '{"bytes": 2}\n',
            {"file_type": "json", "schema": [SchemaField("ip", "string", required=True)]},
            'a.json line 2: "ip" is missing or null, and the schema requires it',
            id="json-required-missing",
        ),
        pytest.param(
            "a.json.zst",
            GOOD_JSON * 3 + '{"ip": "c", "bytes": true}\n',
            {"file_type": "json"},
            'a.json.zst line 4: "bytes" is "true", not a long',
            id="json-zst",
        ),
        pytest.param(
            "a.csv",
            "ip,bytes\n" + GOOD_CSV_ROW * 2 + "c,12x\n",
            csv_options(),
            'a.csv line 4: "bytes" is "12x", not a long',
            id="csv-wrong-type",
        ),
        pytest.param(
            "a.csv",
            'ip,bytes\n"multi\nline",1\n' + GOOD_CSV_ROW + "c,x\n",
            csv_options(),
            'a.csv line 5: "bytes" is "x", not a long',
            id="csv-line-counts-physical-lines",
        ),
        pytest.param(
            "a.csv",
            "ip,bytes\n" + GOOD_CSV_ROW + "c,1,extra\n",
            csv_options(),
            "a.csv line 3: has 3 fields but the header has 2",
            id="csv-too-many-fields",
        ),
        pytest.param(
            "a.csv",
            GOOD_CSV_ROW * 2 + "c\n",
            csv_options(header=False),
            "a.csv line 3: has 1 fields but the schema declares 2",
            id="csv-too-few-fields",
        ),
        pytest.param(
            "a.csv",
            "ip,bytes\n" + GOOD_CSV_ROW + '"open,1\n' + GOOD_CSV_ROW,
            csv_options(),
            "a.csv line 3: has a quoted field that is never closed",
            id="csv-unclosed-quote",
        ),
        pytest.param(
            "a.csv.gz",
            "ip,bytes\n" + GOOD_CSV_ROW + ",2\n",
            {**csv_options(), "schema": [SchemaField("ip", "string", required=True)]},
            'a.csv.gz line 3: "ip" is missing or null, and the schema requires it',
            id="csv-required-empty",
        ),
        pytest.param(
            "a.txt",
            b"fine\nbad \xff byte\n",
            {"file_type": "text", "schema": [SchemaField("text", "string")]},
            "a.txt line 2: is not valid UTF-8 (byte 5)",
            id="text-invalid-utf8",
        ),
        pytest.param(
            "a.txt",
            "one\ntwo\r\nthree\n",
            {"file_type": "text", "schema": [SchemaField("text", "string")]},
            "a.txt line 2: ends with \\r\\n but line 1 ends with \\n;"
            " a file must use one kind of line ending",
            id="text-mixed-line-endings",
        ),
        pytest.param(
            "a.txt",
            "1\n2\nthree\n",
            {"file_type": "text", "schema": [SchemaField("n", "long")]},
            'a.txt line 3: "n" is "three", not a long',
            id="text-as-long",
        ),
    ],
)
def test_bad_data_fails_naming_file_and_line(
    con, tmp_path: Path, name: str, content: str | bytes, options, message: str
) -> None:
    path = write(tmp_path / name, content)
    options = {"schema": TWO, **options}

    register_source(con, "t", [path], names={path: name}, **options)
    error = failure(con, "SELECT * FROM t")

    assert error.failure is Failure.DS_VERIFY_FORMAT
    assert error.message == message
    assert error.details["file"] == name


def test_the_line_is_found_deep_in_a_big_file(con, tmp_path: Path) -> None:
    lines = [f'{{"ip": "h{i}", "bytes": {i}}}' for i in range(100_000)]
    lines[76_543] = '{"ip": "bad", "bytes": "NaN"}'
    path = write(tmp_path / "big.json.gz", "\n".join(lines) + "\n")
    register_source(con, "t", [path], file_type="json", schema=TWO)

    error = failure(con, "SELECT sum(bytes) FROM t")

    assert error.message == f'{path} line 76544: "bytes" is "NaN", not a long'
    assert error.details == {"file": str(path), "column": "bytes", "line": 76544}


def test_the_failing_file_is_named_among_many(con, tmp_path: Path) -> None:
    files = [write(tmp_path / f"{i}.json", GOOD_JSON * 3) for i in range(5)]
    bad = write(tmp_path / "logs" / "x.json", GOOD_JSON + '{"bytes": "?"}\n')
    register_source(
        con, "t", [*files, bad], file_type="json", schema=TWO, names={bad: "logs/x.json"}
    )

    assert failure(con, "SELECT * FROM t").message == (
        'logs/x.json line 2: "bytes" is "?", not a long'
    )


def test_parquet_text_parses_strictly_naming_the_row(con, tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "a.parquet", "SELECT * FROM (VALUES ('1'), ('2'), ('2.5')) t(bytes)"
    )
    register_source(con, "t", [path], file_type="parquet", schema=[SchemaField("bytes", "long")])

    assert failure(con, "SELECT * FROM t").message == f'{path} row 3: "bytes" is "2.5", not a long'


def test_parquet_overflow_names_the_row(con, tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "a.parquet",
        "SELECT * FROM (VALUES (1::UBIGINT), (18446744073709551615::UBIGINT)) t(n)",
    )
    register_source(con, "t", [path], file_type="parquet", schema=[SchemaField("n", "long")])

    assert failure(con, "SELECT * FROM t").message == (
        f'{path} row 2: "n" is "18446744073709551615", not a long'
    )


def test_parquet_required_null_names_the_row(con, tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "a.parquet", "SELECT * FROM (VALUES (1), (NULL)) t(n)")
    schema = [SchemaField("n", "long", required=True)]
    register_source(con, "t", [path], file_type="parquet", schema=schema)

    assert failure(con, "SELECT * FROM t").message == (
        f'{path} row 2: "n" is missing or null, and the schema requires it'
    )


@pytest.mark.parametrize(
    ("select", "schema", "failure_key", "message"),  # a.parquet, read first, is fine
    [
        pytest.param(
            "SELECT 1 AS other",
            [SchemaField("n", "long")],
            Failure.DS_VERIFY_SCHEMA,
            'b.parquet: no column "n" (it has other)',
            id="missing-column",
        ),
        pytest.param(
            "SELECT 1.5::DOUBLE AS n",
            [SchemaField("n", "long")],
            Failure.DS_VERIFY_SCHEMA,
            'b.parquet: column "n" is DOUBLE, which cannot be read as a long',
            id="double-as-long",
        ),
        pytest.param(
            "SELECT 1.5::DECIMAL(4,1) AS n",
            [SchemaField("n", "long")],
            Failure.DS_VERIFY_SCHEMA,
            'b.parquet: column "n" is DECIMAL(4,1), which cannot be read as a long',
            id="decimal-as-long",
        ),
        pytest.param(
            "SELECT 1 AS n",
            [SchemaField("n", "boolean")],
            Failure.DS_VERIFY_SCHEMA,
            'b.parquet: column "n" is INTEGER, which cannot be read as a boolean',
            id="int-as-boolean",
        ),
    ],
)
def test_parquet_schema_mismatch_is_refused_when_registering(
    con, tmp_path: Path, select: str, schema, failure_key: Failure, message: str
) -> None:
    good_value = "true" if schema[0].valtype == "boolean" else "1"
    good = write_parquet(tmp_path / "a.parquet", f"SELECT {good_value} AS n")
    bad = write_parquet(tmp_path / "b.parquet", select)

    with pytest.raises(InvalidInputError) as caught:
        register_source(
            con, "t", [good, bad], file_type="parquet", schema=schema, names={bad: "b.parquet"}
        )

    assert caught.value.failure is failure_key
    assert caught.value.message == message


def test_a_file_that_is_not_parquet_is_refused(con, tmp_path: Path) -> None:
    path = write(tmp_path / "a.parquet", '{"n": 1}\n')

    with pytest.raises(InvalidInputError) as caught:
        register_source(con, "t", [path], file_type="parquet", schema=[SchemaField("n", "long")])

    assert caught.value.failure is Failure.DS_VERIFY_FORMAT
    assert caught.value.message.startswith(f"{path}: not a Parquet file (")


def test_a_csv_header_without_a_declared_column_is_refused(con, tmp_path: Path) -> None:
    good = write(tmp_path / "a.csv", "ip,bytes\na,1\n")
    bad = write(tmp_path / "b.csv", "ip,size\na,1\n")

    with pytest.raises(InvalidInputError) as caught:
        register_source(con, "t", [good, bad], schema=TWO, **csv_options())

    assert caught.value.failure is Failure.DS_VERIFY_SCHEMA
    assert caught.value.message == f'{bad}: the header has no column "bytes" (it has ip, size)'


@pytest.mark.parametrize("suffix", [".bz2", ".lz4", ".snappy", ".deflate", ".xz"])
def test_compressions_duckdb_cannot_read_are_refused(con, tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"a.json{suffix}", b"\x00\x01")

    with pytest.raises(InvalidInputError) as caught:
        register_source(con, "t", [path], file_type="json", schema=TWO)

    assert caught.value.failure is Failure.DS_VERIFY_FORMAT
    assert caught.value.message == f"{path}: {suffix} files cannot be read; use .gz or .zst"


@pytest.mark.parametrize(
    ("options", "failure_key"),
    [
        pytest.param({"file_type": "orc"}, Failure.DS_SPEC_INVALID, id="unknown-file-type"),
        pytest.param({"file_type": "csv"}, Failure.DS_SPEC_INVALID, id="csv-without-options"),
        pytest.param(
            {"file_type": "text", "schema": TWO}, Failure.DS_VERIFY_SCHEMA, id="text-two-columns"
        ),
        pytest.param({"file_type": "json", "schema": []}, Failure.SCHEMA_EMPTY, id="no-fields"),
        pytest.param(
            {"file_type": "json", "schema": [SchemaField("a", "map")]},
            Failure.SCHEMA_TYPE_INVALID,
            id="bad-valtype",
        ),
        pytest.param(
            {"file_type": "json", "schema": [SchemaField("a", "long"), SchemaField("A", "long")]},
            Failure.SCHEMA_KEY_DUP,
            id="keys-differing-in-case",
        ),
    ],
)
def test_bad_registrations_are_refused(con, options, failure_key: Failure) -> None:
    with pytest.raises(InvalidInputError) as caught:
        register_source(con, "t", [], **{"schema": TWO, **options})

    assert caught.value.failure is failure_key


def test_a_bad_value_fails_only_queries_that_read_its_column(con, tmp_path: Path) -> None:
    # Projection pushdown: a query that never reads `bytes` does not convert it. No row is
    # dropped either way; a malformed line fails every query.
    path = write(tmp_path / "a.json", GOOD_JSON + '{"ip": "b", "bytes": "x"}\n')
    register_source(con, "t", [path], file_type="json", schema=TWO)

    assert con.execute("SELECT count(*), max(ip) FROM t").fetchall() == [(2, "b")]
    assert failure(con, "SELECT count(*) FROM t WHERE bytes > 0").details["line"] == 2


def test_source_error_leaves_other_failures_alone(con, tmp_path: Path) -> None:
    register_source(con, "t", [write(tmp_path / "a.json", GOOD_JSON)], file_type="json", schema=TWO)

    for sql in ["SELECT error('boom') FROM t", "SELECT 1 / 0 FROM t", "SELECT nope FROM t"]:
        try:
            con.execute(sql).fetchall()
        except duckdb.Error as exc:
            assert source_error(con, exc) is None
        else:
            assert sql == "SELECT 1 / 0 FROM t"  # DuckDB answers NULL


def test_errors_are_attributed_to_the_right_view(con, tmp_path: Path) -> None:
    register_source(con, "a", [write(tmp_path / "a.json", GOOD_JSON)], file_type="json", schema=TWO)
    bad = write(tmp_path / "b.csv", "ip,bytes\nx,1\ny,oops\n")
    register_source(con, "b", [bad], schema=TWO, **csv_options())

    error = failure(con, "SELECT * FROM a UNION ALL SELECT * FROM b")

    assert error.message == f'{bad} line 3: "bytes" is "oops", not a long'


def test_the_sandbox_still_refuses_other_files(tmp_path: Path) -> None:
    inside, outside = tmp_path / "data", tmp_path / "other"
    con = connect(allowed_directories=[str(inside)])
    register_source(con, "t", [write(inside / "a.json", GOOD_JSON)], file_type="json", schema=TWO)
    secret = write(outside / "secret.json", GOOD_JSON)

    assert con.execute("SELECT * FROM t").fetchall() == [("a", 1)]
    with pytest.raises(duckdb.PermissionException) as caught:
        con.execute(f"SELECT * FROM read_json_auto('{secret}')").fetchall()
    assert source_error(con, caught.value) is None
    for file_type in ["json", "parquet"]:  # DuckDB binds the files when the view is made
        with pytest.raises(BackendError, match="Permission Error"):
            register_source(con, "leak", [secret], file_type=file_type, schema=TWO)
