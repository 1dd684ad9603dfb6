"""Corpus cases marked `api` end to end through the API, against Spark's recorded answers.

The corpus tables are Parquet files in a local bucket, one datasource per table (fileType
parquet, the tables' schemas); each case is a manual job over the tables it reads, started
once; its answer is the result endpoint's (`schema` valtypes and keys, `rows`). The jobs are
all created and started first, then awaited, so their batches overlap. Verdicts follow
`test_parity.py`: identical, or refused at create with E18209 naming the construct; a case
marked `differs` must still differ.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fidelity import answers, canonical, datafiles
from tests.fidelity.api_env import Api, api, job_body
from tests.fidelity.corpus_loader import Entry, load, tables_read
from tests.fidelity.harness import all_tables
from tests.fidelity.tidemill_side import Outcome
from tests.fidelity.verdict import judge
from tests.support import wait_for

CORPUS = load()

# Identical on the DuckDB path, different through the API: what the endpoint itself gets wrong.
# Strict: drop an entry when the endpoint is fixed.
# Every case marked `api`; since nested values print as Spark's (kind 11), none is expected to fail.
CHOSEN = [pytest.param(e, id=e.case.id) for e in CORPUS.entries if e.case.api]
ENTRIES = [e for e in CORPUS.entries if e.case.api]
BUCKET = "fidelity-corpus"
ZONE = "Asia/Shanghai"


def job_name(entry: Entry) -> str:
    return "c_" + re.sub(r"[^A-Za-z0-9_]", "_", entry.case.id)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Each chosen case's outcome through the API, by case id."""
    root = tmp_path_factory.mktemp("api-corpus")
    tables = all_tables(CORPUS)
    with api(root / "app") as app:
        folder = root / "files"
        folder.mkdir()
        for name, table in tables.items():
            path = datafiles.write_table(table, folder / f"{name}.parquet")
            app.put(BUCKET, f"{name}/part-0.parquet", path.read_bytes())
            app.create_datasource(f"ds_{name}", {
                "region": "nb", "type": "kodo", "noVerifySchema": True,
                "spec": {"bucket": BUCKET, "keyPrefixes": [f"{name}/"], "fileType": "parquet"},
                "schema": [{"key": k, "valtype": v, "required": False} for k, v in table.columns],
            })  # fmt: skip
        found: dict[str, Outcome] = {}
        started: list[Entry] = []
        for entry in ENTRIES:
            # A job needs a source even when its query reads no table.
            read = sorted(tables_read(entry)) or ["t"]
            srcs = [
                {"name": f"ds_{t}", "type": "DataSource", "tableName": t, "fileFilter": ""}
                for t in read
            ]
            refused = app.create_job(job_name(entry), job_body(srcs, entry.case.sql))
            if refused:
                kind = (
                    "refused"
                    if str(refused.get("error", "")).startswith("E18209")
                    else ("create_error")
                )
                found[entry.case.id] = Outcome(kind, _message(refused))
                continue
            response = app.client.post(f"/v2/jobs/{job_name(entry)}/actions/start", {})
            assert response.status_code == 200, response.text
            started.append(entry)
        for entry in started:
            found[entry.case.id] = _result(app, entry)
        yield found


def _message(refused: dict[str, Any]) -> str:
    return str(refused.get("error") or refused)


def _result(app: Api, entry: Entry) -> Outcome:
    name = job_name(entry)
    done = wait_for(app.client, name, timeout=120)
    if done["status"] != "Successful":
        return Outcome("batch_error", f"{done['status']}: {done.get('message', '')}")
    response = app.client.get(f"/v2/jobs/{name}/history/{done['runId']}/result?limit=1000")
    if response.status_code != 200:
        return Outcome("result_error", f"{response.status_code}: {response.text}")
    body = response.json()
    schema = [(c["key"], c["valtype"]) for c in body["schema"]]
    rows = [[canonical.value(v, ZONE) for v in row] for row in body["rows"]]
    if body["total"] != len(rows):
        return Outcome("result_error", f"total {body['total']} but {len(rows)} rows shown")
    return Outcome("ran", "", "", schema, rows)


def test_enough_cases_run_through_the_api() -> None:
    assert len(CHOSEN) >= 50, f"only {len(CHOSEN)} corpus cases are marked api"


@pytest.mark.parametrize("entry", CHOSEN)
def test_case_through_the_api(entry: Entry, outcomes: dict[str, Outcome]) -> None:
    record = answers.load(entry.category).get(entry.case.id)
    if record is None or answers.stale(entry, record):
        pytest.fail(f"no current Spark answer: run python -m tests.fidelity record {entry.case.id}")
    outcome = outcomes[entry.case.id]
    verdict = judge(entry, record, outcome)
    detail = (
        f"{entry.case.sql}\n{verdict.kind}: {verdict.reason}\n"
        f"rows: {outcome.rows}\nSpark: {record.get('rows')}"
    )
    if entry.case.differs:
        assert verdict.kind in ("different", "unnamed"), f"now {verdict.kind}: drop the mark"
        return
    assert verdict.kind in ("identical", "refused"), detail
