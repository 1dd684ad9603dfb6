"""The fault reproductions of the fidelity issue (`shared_cases/<name>/`), end to end through
the API: their files in a local bucket → datasource → job → start → batch → result endpoint,
whose rows and valtypes must be Spark's (`expected.json`, recorded with Spark 3.5.9, ANSI off,
Asia/Shanghai).

A case whose fault kind is not fixed yet is marked xfail (strict) with its kind: it flips to a
failure — drop the mark — as soon as the fix lands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fidelity import canonical
from tests.fidelity.api_env import Api, api

CASES_DIR = Path(__file__).parent / "shared_cases"
NAMES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected.json").is_file())

# Cases whose fault kind (issue #10, `expected.json` "kind") is not fixed yet on this branch.
UNFIXED = {
    "cast-fraction-to-int",
    "date-format-quoted-literal-and-fraction",
    "dayofweek-numbering",
    "get-json-object-malformed",
    "lateral-view-outer-explode",
    "months-between-time-of-day",
    "percentile-exact",
    "query-hint-coalesce",
    "string-compared-with-number-in-text-log",
    "substr-position-zero",
    "timestamp-cast-to-string",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with api(tmp_path_factory.mktemp("shared-cases")) as made:
        yield made


def load(name: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    folder = CASES_DIR / name
    read = [
        json.loads((folder / f).read_text())
        for f in ("datasource.json", "job.json", "expected.json")
    ]
    return read[0], read[1], read[2]


def params() -> list[Any]:
    chosen = []
    for name in NAMES:
        if name in UNFIXED:
            kind = load(name)[2]["kind"]
            mark = pytest.mark.xfail(reason=f"fault kind {kind} not fixed", strict=True)
            chosen.append(pytest.param(name, marks=mark))
        else:
            chosen.append(pytest.param(name))
    return chosen


@pytest.mark.parametrize("name", params())
def test_shared_case_through_the_api(app: Api, name: str) -> None:
    datasource, job, expected = load(name)
    slug = name.replace("-", "_")
    bucket = datasource["spec"]["bucket"]
    data = CASES_DIR / name / "data"
    for file in sorted(p for p in data.rglob("*") if p.is_file()):
        app.put(bucket, file.relative_to(data).as_posix(), file.read_bytes())
    source = f"{slug}_src"
    app.create_datasource(source, datasource)
    for src in job["srcs"]:
        src["name"] = source
    refused = app.create_job(slug, job)
    assert not refused, f"job create refused: {refused}"
    result = app.run(slug)
    assert "failed" not in result, result["failed"]
    assert [c["valtype"] for c in result["schema"]] == [c["valtype"] for c in expected["schema"]]
    assert [c["key"] for c in result["schema"]] == [c["key"] for c in expected["schema"]]
    ordered = "order by" in job["computation"]["code"].lower()
    assert canonical.same_rows(expected["rows"], result["rows"], ordered), (
        f"rows: {result['rows']}\nSpark: {expected['rows']}"
    )
