"""`tidemill apply` with manifests a careless user writes: it refuses before changing anything
(exit 2, the document named), never a traceback, and never a half-made pipeline for what the
files themselves make impossible (a depend cycle, an upstream job that exists nowhere)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.cli.conftest import Tidemill, ok_json
from tests.client.accounts import new_account
from tests.served import Served
from tidemill.cli import app
from tidemill.cli._plan import Current, Document, ManifestError, plan

_serial = itertools.count(1)


@pytest.fixture
def tidemill(served_api: Served, tmp_path: Path) -> Tidemill:
    """`tidemill(*args)` in-process for a fresh account of the shared served server."""
    account = new_account(served_api, f"breaker_apply{next(_serial)}")
    env = {
        "TIDEMILL_ENDPOINT": account.endpoint,
        "TIDEMILL_ACCESS_KEY": account.access_key,
        "TIDEMILL_SECRET_KEY": account.secret_key,
        "TIDEMILL_CONFIG": str(tmp_path / "no-profile.toml"),
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env)

    return run


DATASOURCE = """
kind: datasource
name: logs
spec:
  region: nb
  type: kodo
  noVerifySchema: true
  schema: [{key: url, valtype: string}]
  spec: {bucket: bkt1, keyPrefixes: [cdn/], fileType: json}
"""


def _job(name: str, upstream: str) -> str:
    return f"""---
kind: job
name: {name}
spec:
  srcs: [{{name: {upstream}, type: Job, tableName: t}}]
  computation: {{type: sql, code: select 1 as x from t}}
"""


def _datasources(tidemill: Tidemill) -> list[str]:
    return [d["name"] for d in ok_json(tidemill("datasources", "list", "-o", "json"))]


def test_a_depend_cycle_is_refused_before_anything_is_made(
    tidemill: Tidemill, tmp_path: Path
) -> None:
    manifest = tmp_path / "cycle.yaml"
    manifest.write_text(DATASOURCE + _job("a", "b") + _job("b", "a"))

    found = tidemill("apply", "-f", str(manifest))

    assert found.exit_code == 2, found.output
    assert "cycle" in found.stderr and "a" in found.stderr, found.stderr
    assert _datasources(tidemill) == []


def test_an_upstream_job_that_exists_nowhere_is_refused_before_anything_is_made(
    tidemill: Tidemill, tmp_path: Path
) -> None:
    manifest = tmp_path / "missing.yaml"
    manifest.write_text(DATASOURCE + _job("a", "nowhere"))

    found = tidemill("apply", "-f", str(manifest))

    assert found.exit_code == 2, found.output
    assert "nowhere" in found.stderr and "missing.yaml" in found.stderr, found.stderr
    assert _datasources(tidemill) == []


def test_an_unquoted_yaml_date_is_sent_as_the_text_written(
    tidemill: Tidemill, tmp_path: Path
) -> None:
    manifest = tmp_path / "date.yaml"
    manifest.write_text(
        "kind: variable\nname: start_day\nspec: {type: string, value: 2025-01-01}\n"
    )

    found = tidemill("apply", "-f", str(manifest))
    again = tidemill("apply", "-f", str(manifest))

    assert found.exit_code == 0, (found.output, found.exception)
    assert ok_json(tidemill("variables", "get", "start_day", "-o", "json"))["value"] == "2025-01-01"
    assert "No changes" in again.stdout, again.output


@pytest.mark.parametrize("srcs", [5, "logs", {"name": "x"}])
def test_srcs_that_are_not_a_list_reach_the_server_refusal_not_a_traceback(
    tidemill: Tidemill, tmp_path: Path, srcs: object
) -> None:
    manifest = tmp_path / "srcs.json"
    body = {"srcs": srcs, "computation": {"type": "sql", "code": "select 1"}}
    manifest.write_text(json.dumps({"kind": "job", "name": "a", "spec": body}))

    found = tidemill("apply", "-f", str(manifest))

    assert found.exit_code in (2, 3), (found.output, found.exception)
    assert found.stderr.startswith("Error: "), found.stderr


def test_the_planner_refuses_a_cycle_and_accepts_an_upstream_on_the_server() -> None:
    def job(name: str, upstream: str) -> Document:
        spec = {"srcs": [{"name": upstream, "type": "Job", "tableName": "t"}]}
        return Document("job", name, spec, "", f"f.yaml ({name})")

    empty = Current({}, {}, {}, {}, {})
    on_server = Current({}, {}, {}, {"up": {"name": "up", "srcs": []}}, {})

    with pytest.raises(ManifestError, match="cycle"):
        plan([job("a", "b"), job("b", "c"), job("c", "a")], empty)
    with pytest.raises(ManifestError, match="up"):
        plan([job("a", "up")], empty)
    assert [c.action for c in plan([job("a", "up")], on_server)] == ["create"]


def test_prune_refuses_to_delete_what_a_file_still_reads_before_changing_anything(
    tidemill: Tidemill, tmp_path: Path
) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(
        DATASOURCE + "---\nkind: variable\nname: region\nspec: {type: string, value: eu}\n"
    )
    assert tidemill("apply", "-f", str(first)).exit_code == 0
    second = tmp_path / "second.yaml"
    job = {"srcs": [{"name": "logs", "type": "DataSource", "tableName": "t"}],
           "computation": {"type": "sql", "code": "select url from t"},
           "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"}}  # fmt: skip
    second.write_text(json.dumps({"kind": "job", "name": "reads_logs", "spec": job}))

    found = tidemill("apply", "-f", str(second), "--prune")

    assert found.exit_code == 2, found.output
    assert "--prune would delete datasource logs" in found.stderr, found.stderr
    assert _datasources(tidemill) == ["logs"]
    assert ok_json(tidemill("variables", "get", "region", "-o", "json"))["value"] == "eu"
    assert ok_json(tidemill("jobs", "list", "-o", "json")) == []


def test_a_job_with_alerts_applied_twice_changes_nothing(
    tidemill: Tidemill, tmp_path: Path
) -> None:
    job = {"srcs": [{"name": "logs", "type": "DataSource", "tableName": "t"}],
           "computation": {"type": "sql", "code": "select url from t"},
           "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
           "notify": [{"url": "http://127.0.0.1:9/hook", "on": ["failed"],
                       "secret": "0123456789abcdef-secret"}]}  # fmt: skip
    manifest = tmp_path / "alerts.yaml"
    manifest.write_text(
        DATASOURCE + "---\n" + json.dumps({"kind": "job", "name": "j", "spec": job})
    )

    first = tidemill("apply", "-f", str(manifest))
    again = tidemill("apply", "-f", str(manifest))

    job["notify"][0]["on"] = ["failed", "succeeded"]  # type: ignore[index]
    manifest.write_text(
        DATASOURCE + "---\n" + json.dumps({"kind": "job", "name": "j", "spec": job})
    )
    changed = tidemill("apply", "-f", str(manifest))

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0 and "No changes" in again.stdout, again.stdout
    assert changed.exit_code == 0 and "notify" in changed.stdout, changed.stdout
    assert "0123456789abcdef-secret" not in changed.stdout, changed.stdout


@pytest.mark.parametrize(
    "extension",
    [{"retry": {"attempts": 3, "backoff": "30s"}}, {"maxConcurrent": 2},
     {"retry": {"attempts": 2, "backoff": "60s", "maxBackoff": "3600s"}},
     {"scheduler": {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}}],
)  # fmt: skip
def test_a_job_with_extensions_applied_twice_changes_nothing(
    tidemill: Tidemill, tmp_path: Path, extension: dict[str, object]
) -> None:
    job = {"srcs": [{"name": "logs", "type": "DataSource", "tableName": "t"}],
           "computation": {"type": "sql", "code": "select url from t"},
           "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
           **extension}  # fmt: skip
    manifest = tmp_path / "ext.yaml"
    manifest.write_text(
        DATASOURCE + "---\n" + json.dumps({"kind": "job", "name": "j", "spec": job})
    )

    first = tidemill("apply", "-f", str(manifest))
    again = tidemill("apply", "-f", str(manifest))

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0 and "No changes" in again.stdout, again.stdout
