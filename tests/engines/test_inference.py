"""Schema inference from sample files (spec §5.3) and verification of declared schemas (D-7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engines.sources import rows, write, write_parquet
from tidemill.core.models import SchemaField
from tidemill.engines.duckdb.database import connect
from tidemill.engines.duckdb.inference import infer_schema, verify_schema
from tidemill.engines.duckdb.reading import register_source
from tidemill.errors import Failure, InvalidInputError


def schema(*pairs: str) -> list[SchemaField]:
    """schema("a:long", "b:string") → the SchemaFields."""
    return [SchemaField(key, valtype) for key, valtype in (pair.split(":") for pair in pairs)]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            ['{"b": true, "l": 1, "f": 1.5, "s": "x", "d": "2017-01-01T15:00:25+07:00"}'],
            schema("b:boolean", "l:long", "f:float", "s:string", "d:date"),
            id="scalars",
        ),
        pytest.param(['{"o": {"a": 1}, "a": [1, 2]}'], schema("o:string", "a:string"), id="nested"),
        pytest.param(['{"x": 1}', '{"x": 2.5}'], schema("x:float"), id="long-float-widen"),
        pytest.param(['{"x": 1}', '{"x": "1"}'], schema("x:string"), id="long-string"),
        pytest.param(['{"x": true}', '{"x": 1}'], schema("x:string"), id="boolean-long"),
        pytest.param(
            ['{"t": "2017-01-01T00:00:00Z"}', '{"t": "2017-01-02 00:00:00.5+08:00"}'],
            schema("t:date"),
            id="every-value-a-date",
        ),
        pytest.param(
            ['{"t": "2017-01-01T00:00:00Z"}', '{"t": "2017-01-01"}'],
            schema("t:string"),
            id="one-value-not-a-date",
        ),
        pytest.param(['{"t": "2017-01-01T00:00:00"}'], schema("t:string"), id="date-without-zone"),
        pytest.param(['{"n": null}', '{"n": null}'], schema("n:string"), id="null-only"),
        pytest.param(['{"n": null}', '{"n": 3}'], schema("n:long"), id="nulls-ignored"),
        pytest.param(['{"x": 2.0}'], schema("x:float"), id="integral-float"),
        pytest.param(['{"x": 9223372036854775808}'], schema("x:float"), id="beyond-64-bits"),
        pytest.param(
            ['{"a": 1}', '{"b": 1, "a": 2}', "", "null", '{"c": 1}'],
            schema("a:long", "b:long", "c:long"),
            id="first-seen-order",
        ),
        pytest.param(
            ['{"ok": 1, "1bad": 1, "bad-key": 1, "": 1, "_fine": 1}'],
            schema("ok:long", "_fine:long"),
            id="invalid-keys-skipped",
        ),
        pytest.param(['{"a": 1, "A": "x"}'], schema("a:long"), id="case-clash-skipped"),
    ],
)
def test_json_inference(tmp_path: Path, lines: list[str], expected) -> None:
    path = write(tmp_path / "a.json", "\n".join(lines) + "\n")

    assert infer_schema([path], file_type="json") == expected


def test_json_keys_union_across_files_in_order(tmp_path: Path) -> None:
    files = [
        write(tmp_path / "1.json", '{"a": 1}\n'),
        write(tmp_path / "2.json.gz", '{"b": "x", "a": 1.5}\n'),
        write(tmp_path / "3.json.zst", '{"c": true}\n'),
    ]

    assert infer_schema(files, file_type="json") == schema("a:float", "b:string", "c:boolean")


def test_sampling_stops_at_max_records_and_max_files(tmp_path: Path) -> None:
    first = write(tmp_path / "1.json", '{"a": 1}\n' * 3 + '{"late": 1}\n{oops\n')
    second = write(tmp_path / "2.json", '{"b": 1}\n')
    third = write(tmp_path / "3.json", '{"c": 1}\n')

    inferred = infer_schema([first, second, third], file_type="json", max_records=3, max_files=2)

    assert inferred == schema("a:long", "b:long")


@pytest.mark.parametrize(
    ("content", "header", "expected"),
    [
        pytest.param(
            "b,l,f,s,d\ntrue,1,1.5,x,2017-01-01T00:00:00Z\nFALSE,-2,1e3,,2017-01-02T00:00:00Z\n",
            True,
            schema("b:boolean", "l:long", "f:float", "s:string", "d:date"),
            id="header",
        ),
        pytest.param(
            "1,x\n2.5,\n", False, schema("_c0:float", "_c1:string"), id="no-header-spark-names"
        ),
        pytest.param(
            "a,b\n1,\n2,\n", True, schema("a:long", "b:string"), id="empty-column-is-string"
        ),
        pytest.param(
            "a,1x,A,c d,b\n1,2,3,4,5\n", True, schema("b:long"), id="unusable-names-skipped"
        ),
        pytest.param('a\n"1"\n\nx\n', True, schema("a:string"), id="one-column-blank-is-null"),
        pytest.param("a,b\n1,2\n\n3,4\n", True, schema("a:long", "b:long"), id="blank-lines"),
        pytest.param("", True, [], id="empty-file"),
    ],
)
def test_csv_inference(tmp_path: Path, content: str, header: bool, expected) -> None:
    path = write(tmp_path / "a.csv", content)

    inferred = infer_schema([path], file_type="csv", delimiter=",", contains_header=header)

    assert inferred == expected


def test_csv_delimiter_escapes(tmp_path: Path) -> None:
    path = write(tmp_path / "a.tsv.gz", "a\tb\n1\tx\n")

    inferred = infer_schema([path], file_type="csv", delimiter="\\t", contains_header=True)

    assert inferred == schema("a:long", "b:string")


def test_text_is_one_string_column(tmp_path: Path) -> None:
    path = write(tmp_path / "a.log", "anything\n{}\n\n")

    assert infer_schema([path], file_type="text") == schema("text:string")


def test_parquet_logical_types(tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "a.parquet",
        "SELECT true AS b, 1::INTEGER AS i, 2::BIGINT AS l, 1.5::FLOAT AS f, 2.5::DOUBLE AS d,"
        " 1.25::DECIMAL(10,2) AS dec, DATE '2020-01-01' AS day, TIMESTAMP '2020-01-01' AS ts,"
        " TIMESTAMPTZ '2020-01-01 00:00:00+00' AS tz, 'x' AS s, 'x'::BLOB AS bin,"
        " {'k': 1} AS st, [1, 2] AS li, MAP {'a': 1} AS m, TIME '01:02:03' AS t",
    )

    assert infer_schema([path], file_type="parquet") == schema(
        "b:boolean",
        "i:long",
        "l:long",
        "f:float",
        "d:float",
        "dec:float",
        "day:date",
        "ts:date",
        "tz:date",
        "s:string",
        "bin:string",
        "st:string",
        "li:string",
        "m:string",
        "t:string",
    )


def test_parquet_columns_union_and_widen_across_files(tmp_path: Path) -> None:
    files = [
        write_parquet(tmp_path / "1.parquet", "SELECT 1 AS a, 'x' AS b"),
        write_parquet(tmp_path / "2.parquet", "SELECT 1.5::DOUBLE AS a, 2 AS b, true AS c"),
    ]

    assert infer_schema(files, file_type="parquet") == schema("a:float", "b:string", "c:boolean")


@pytest.mark.parametrize(
    ("name", "content", "options", "failure_key", "message"),
    [
        pytest.param(
            "a.json",
            '{"a": 1}\n{"a": \n',
            {"file_type": "json"},
            Failure.DS_VERIFY_FORMAT,
            "a.json line 2: is not valid JSON (Expecting value at column 7)",
            id="json-malformed",
        ),
        pytest.param(
            "a.json",
            '{"a": 1}\n"text"\n',
            {"file_type": "json"},
            Failure.DS_VERIFY_FORMAT,
            "a.json line 2: is a JSON string, not an object",
            id="json-not-object",
        ),
        pytest.param(
            "a.csv.gz",
            "a,b\n1,2\n3\n",
            {"file_type": "csv", "delimiter": ",", "contains_header": True},
            Failure.DS_VERIFY_FORMAT,
            "a.csv.gz line 3: has 1 fields but the header has 2",
            id="csv-width",
        ),
        pytest.param(
            "a.csv",
            "1,2\n3,4,5\n",
            {"file_type": "csv", "delimiter": ",", "contains_header": False},
            Failure.DS_VERIFY_FORMAT,
            "a.csv line 2: has 3 fields but the first record has 2",
            id="csv-width-no-header",
        ),
        pytest.param(
            "a.txt",
            b"ok\n\xfe\n",
            {"file_type": "text"},
            Failure.DS_VERIFY_FORMAT,
            "a.txt line 2: is not valid UTF-8 (byte 1)",
            id="text-utf8",
        ),
        pytest.param(
            "a.parquet",
            "PAR1 not really\n",
            {"file_type": "parquet"},
            Failure.DS_VERIFY_FORMAT,
            None,
            id="not-parquet",
        ),
        pytest.param(
            "a.json.bz2",
            b"BZh",
            {"file_type": "json"},
            Failure.DS_VERIFY_FORMAT,
            "a.json.bz2: .bz2 files cannot be read; use .gz or .zst",
            id="unreadable-compression",
        ),
        pytest.param(
            "a.csv",
            "a\n",
            {"file_type": "csv"},
            Failure.DS_SPEC_INVALID,
            "csv files need a delimiter and containsHeader",
            id="csv-options",
        ),
        pytest.param(
            "a.orc",
            "",
            {"file_type": "orc"},
            Failure.DS_SPEC_INVALID,
            "unknown fileType 'orc'",
            id="file-type",
        ),
    ],
)
def test_unreadable_files_are_refused(
    tmp_path: Path, name: str, content, options, failure_key: Failure, message: str | None
) -> None:
    path = write(tmp_path / name, content)

    with pytest.raises(InvalidInputError) as caught:
        infer_schema([path], names={path: name}, **options)

    assert caught.value.failure is failure_key
    if message is None:
        assert caught.value.message.startswith(f"{name}: not a Parquet file (")
    else:
        assert caught.value.message == message


def test_no_files_is_no_files() -> None:
    with pytest.raises(InvalidInputError) as caught:
        infer_schema([], file_type="json")

    assert caught.value.failure is Failure.DS_VERIFY_NO_FILES


@pytest.mark.parametrize(
    ("file_type", "name", "content"),
    [
        ("json", "a.json", '{"a": 1, "b": 2.5, "c": "2017-01-01T00:00:00Z", "d": false}\n'),
        ("json", "a.json", '{"a": 9223372036854775807, "b": "x y", "c": null, "d": [1]}\n'),
        ("csv", "a.csv", "a,b,c,d\n1,2.5,2017-01-01T00:00:00+08:00,TRUE\n-0,NaN,,x\n"),
        ("text", "a.txt", "one\n\ntwo\n"),
    ],
)
def test_an_inferred_schema_reads_its_own_files(
    tmp_path: Path, file_type: str, name: str, content: str
) -> None:
    path = write(tmp_path / name, content)
    options: dict[str, Any] = (
        {"delimiter": ",", "contains_header": True} if file_type == "csv" else {}
    )
    inferred = infer_schema([path], file_type=file_type, **options)
    con = connect(allowed_directories=[str(tmp_path)])

    register_source(con, "t", [path], file_type=file_type, schema=inferred, **options)

    assert len(rows(con, "t")) == content.count("\n") - (file_type == "csv")


@pytest.mark.parametrize(
    ("declared", "inferred"),
    [
        pytest.param(schema("a:long"), schema("a:long", "b:string"), id="same"),
        pytest.param(schema("a:float"), schema("a:long"), id="float-over-long"),
        pytest.param(
            schema("a:string", "b:string", "c:string"),
            schema("a:long", "b:date", "c:boolean"),
            id="string-over-anything",
        ),
        pytest.param(schema("b:date", "a:long"), schema("a:long", "b:date"), id="order-free"),
    ],
)
def test_compatible_schemas_verify(declared, inferred) -> None:
    verify_schema(declared, inferred)


@pytest.mark.parametrize(
    ("declared", "inferred", "problems"),
    [
        pytest.param(
            schema("a:long"),
            schema("a:float"),
            ['"a" is declared long but the data has float'],
            id="long-over-float",
        ),
        pytest.param(
            schema("t:date"),
            schema("t:string"),
            ['"t" is declared date but the data has string'],
            id="date-over-string",
        ),
        pytest.param(
            schema("b:boolean", "x:long", "A:long"),
            schema("a:long", "b:long"),
            [
                '"b" is declared boolean but the data has long',
                '"x" is not in the data',
                '"A" is not in the data',
            ],
            id="every-mismatch-listed",
        ),
    ],
)
def test_incompatible_schemas_are_refused(declared, inferred, problems: list[str]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        verify_schema(declared, inferred)

    assert caught.value.failure is Failure.DS_VERIFY_SCHEMA
    assert caught.value.details["mismatches"] == problems
    keys = ", ".join(f.key for f in inferred)
    assert caught.value.message == (
        f"the schema does not match the data: {'; '.join(problems)} (the data has: {keys})"
    )
