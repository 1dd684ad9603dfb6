"""`tidemill apply`: declarative manifests against a real `tidemill serve`, and the planner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.cli.conftest import Tidemill, ok_json
from tests.client.accounts import OUT_BUCKET, Account, datasource_body, job_body
from tidemill.cli._files import documents
from tidemill.cli._plan import Current, Document, compare, job_order, normal, plan
from tidemill.client import Client
from tidemill.core.notify import check_matches, secret_check

PIPELINE: list[dict[str, Any]] = [
    {"kind": "export", "job": "per_url", "name": "out",
     "spec": {"type": "kodo", "spec": {"bucket": OUT_BUCKET, "keyPrefix": "r/", "format": "csv",
                                       "delimiter": ",", "containsHeader": True, "fileCount": 1}}},
    {"kind": "job", "name": "total",
     "spec": {"srcs": [{"name": "per_url", "type": "Job", "tableName": "pu"}],
              "computation": {"type": "sql", "code": "select count(*) as n from pu"}}},
    {"kind": "job", "name": "per_url",
     "spec": job_body("select url, sum(bytes) as b from logs group by url",
                      params=[{"name": "p", "default": "x"}])},
    {"kind": "datasource", "name": "logs", "spec": {**datasource_body(), "workflow": "pipe"}},
    {"kind": "variable", "name": "region", "spec": {"type": "string", "value": "eu"}},
    {"kind": "workflow", "name": "pipe", "spec": {"region": "nb", "comment": "demo"}},
]  # fmt: skip


def write_manifests(folder: Path, docs: list[dict[str, Any]]) -> Path:
    """The jobs and exports in one YAML file (downstream first), the rest in another, and the
    workflow as JSON: the order in the files must not matter."""
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    late = [d for d in docs if d["kind"] in ("job", "export")]
    early = [d for d in docs if d["kind"] in ("datasource", "variable")]
    (folder / "a-jobs.yaml").write_text(yaml.safe_dump_all(late))
    (folder / "b-sources.yml").write_text(yaml.safe_dump_all(early))
    for doc in (d for d in docs if d["kind"] == "workflow"):
        (folder / f"c-{doc['name']}.json").write_text(json.dumps(doc))
    return folder


def test_apply_creates_in_order_and_a_second_apply_changes_nothing(
    tidemill: Tidemill, account: Account, tmp_path: Path
) -> None:
    folder = write_manifests(tmp_path / "pipeline", PIPELINE)

    dry = tidemill("apply", "-f", str(folder), "--dry-run")
    with Client(account.endpoint, account.access_key, account.secret_key) as api:
        after_dry = api.list_jobs()
        first = tidemill("apply", "-f", str(folder))
        second = tidemill("apply", "-f", str(folder))
        as_json = ok_json(tidemill("apply", "-f", str(folder), "-o", "json"))
        got = (api.get_job("total"), api.get_export("per_url", "out"), api.get_variable("region"))

    assert dry.exit_code == 0 and "6 to create" in dry.stdout and after_dry == []
    assert first.exit_code == 0, first.output
    made = [line for line in first.stdout.splitlines() if line.startswith("created ")]
    assert made == ["created workflow pipe", "created variable region", "created datasource logs",
                    "created job per_url", "created job total",
                    "created export per_url/out"]  # fmt: skip
    assert second.exit_code == 0 and "No changes (6 unchanged)." in second.stdout
    assert {c["action"] for c in as_json["changes"]} == {"unchanged"} and as_json["applied"] == []
    assert got[0].scheduler is not None and got[0].scheduler.type == "depend"
    assert got[0].workflow == "pipe" and got[1].spec["delimiter"] == ","
    assert got[2].value == "eu"


def test_apply_updates_what_changed_and_prints_the_diff(
    tidemill: Tidemill, account: Account, tmp_path: Path
) -> None:
    folder = write_manifests(tmp_path / "pipeline", PIPELINE)
    assert tidemill("apply", "-f", str(folder)).exit_code == 0
    changed = json.loads(json.dumps(PIPELINE))
    changed[4]["spec"]["value"] = "us"
    changed[2]["spec"]["params"] = []  # a full replacement: the param goes
    write_manifests(folder, changed)

    applied = tidemill("apply", "-f", str(folder))
    again = tidemill("apply", "-f", str(folder))
    with Client(account.endpoint, account.access_key, account.secret_key) as api:
        variable, job = api.get_variable("region"), api.get_job("per_url")

    assert applied.exit_code == 0, applied.output
    assert "~ variable region (update)" in applied.stdout
    assert '    - value: "eu"' in applied.stdout and '    + value: "us"' in applied.stdout
    assert "~ job per_url (update)" in applied.stdout and "+ params: (none)" in applied.stdout
    assert "0 to create, 2 to update, 0 to delete, 4 unchanged." in applied.stdout
    assert "No changes" in again.stdout
    assert variable.value == "us" and job.params == []


def test_prune_deletes_what_the_files_no_longer_name(
    tidemill: Tidemill, account: Account, tmp_path: Path
) -> None:
    folder = write_manifests(tmp_path / "pipeline", PIPELINE)
    assert tidemill("apply", "-f", str(folder)).exit_code == 0
    with Client(account.endpoint, account.access_key, account.secret_key) as api:
        api.create_variable("stray", {"type": "string", "value": "s"})
        kept = [d for d in PIPELINE if d["kind"] not in ("export", "job")]
        kept.append(next(d for d in PIPELINE if d["name"] == "per_url"))
        write_manifests(folder, kept)

        without = tidemill("apply", "-f", str(folder), "-o", "json")
        dry = tidemill("apply", "-f", str(folder), "--prune", "--dry-run")
        still = [j.name for j in api.list_jobs()]
        pruned = tidemill("apply", "-f", str(folder), "--prune")
        jobs, variables = api.list_jobs(), api.list_variables("user")
        exports = api.list_exports("per_url")

    assert ok_json(without)["applied"] == []  # without --prune nothing goes
    assert dry.exit_code == 0 and still == ["per_url", "total"]
    assert "- export per_url/out (delete)" in dry.stdout
    assert pruned.exit_code == 0, pruned.output
    deleted = [line for line in pruned.stdout.splitlines() if line.startswith("deleted ")]
    assert deleted == ["deleted export per_url/out", "deleted job total", "deleted variable stray"]
    assert [j.name for j in jobs] == ["per_url"] and exports == []
    assert [v.name for v in variables] == ["region"]  # the system variables are never pruned


def test_a_fixed_member_cannot_change_in_place(
    tidemill: Tidemill, account: Account, tmp_path: Path
) -> None:
    manifest = tmp_path / "ds.yaml"
    doc = {"kind": "datasource", "name": "logs", "spec": datasource_body()}
    manifest.write_text(yaml.safe_dump(doc))
    assert tidemill("apply", "-f", str(manifest)).exit_code == 0
    doc["spec"] = {**datasource_body(), "type": "hdfs"}
    manifest.write_text(yaml.safe_dump(doc))

    refused = tidemill("apply", "-f", str(manifest))

    assert refused.exit_code == 2
    assert "! datasource logs (blocked)" in refused.stdout
    assert "type cannot change in place" in refused.stderr


def test_bad_manifests_are_refused_with_where(tidemill: Tidemill, tmp_path: Path) -> None:
    cases = {
        "kind.yaml": {"kind": "table", "name": "x", "spec": {}},
        "export.yaml": {"kind": "export", "name": "x", "spec": {"type": "kodo"}},
        "spec.yaml": {"kind": "job", "name": "x", "spec": "select 1"},
    }
    found = {}
    for name, doc in cases.items():
        (tmp_path / name).write_text(yaml.safe_dump(doc))
        found[name] = tidemill("apply", "-f", str(tmp_path / name))
    twice = tmp_path / "twice.yaml"
    twice.write_text(yaml.safe_dump_all([PIPELINE[4], PIPELINE[4]]))
    duplicate = tidemill("apply", "-f", str(twice))

    assert all(r.exit_code == 2 for r in found.values())
    assert "kind must be one of" in found["kind.yaml"].stderr
    assert "an export needs job" in found["export.yaml"].stderr
    assert "spec must be a mapping" in found["spec.yaml"].stderr
    assert duplicate.exit_code == 2 and "(document 2)" in duplicate.stderr


def test_the_planner_orders_jobs_upstream_first_and_ignores_derived_members() -> None:
    jobs = {"c": {"srcs": [{"type": "job", "name": "b"}]},
            "a": {"srcs": [{"type": "DataSource", "name": "d"}]},
            "b": {"srcs": [{"type": "Job", "name": "a"}]}}  # fmt: skip
    doc = Document("job", "b", {"srcs": [{"name": "a", "type": "Job", "tableName": "t"}],
                                "computation": {"code": "select 1", "type": "sql"},
                                "maxConcurrent": 2})  # fmt: skip
    server = {"srcs": [{"name": "a", "type": "Job", "tableName": "t", "fileFilter": ""}],
              "computation": {"code": "select 1", "type": "sql"}, "params": [],
              "scheduler": {"type": "depend"}, "schema": [{"key": "x", "valtype": "long"}],
              "workflow": "", "retry": {"count": 0}}  # fmt: skip
    only_a = Current({}, {}, {}, {"a": jobs["a"]}, {})  # b's upstream must exist somewhere

    assert job_order(jobs) == ["a", "b", "c"]
    assert normal({"a": "", "b": None, "c": [], "d": {"e": ""}, "f": 0}) == {"f": 0}
    same = compare(doc, {**server, "maxConcurrent": 2})
    assert same.action == "unchanged", same
    assert compare(doc, server).fields == {"maxConcurrent": (None, 2)}
    assert [c.action for c in plan([doc], only_a)] == ["create"]
    shouted = Document("datasource", "d", {**datasource_body(), "type": "KODO",
                                           "region": "nb"})  # fmt: skip
    stored = {**datasource_body(), "type": "kodo", "workflow": ""}
    assert compare(shouted, stored).action == "unchanged"
    assert compare(shouted, {**stored, "type": "hdfs"}).action == "blocked"
    retried = Document(
        "job",
        "r",
        {
            **doc.spec,
            "retry": {"attempts": 3},
            "notify": [{"url": "http://h/", "secret": "s" * 20}],
        },
    )
    check = secret_check("s" * 20, "http://h/")
    shown = {**server, "retry": {"attempts": 3, "backoff": "30s"},
             "notify": [{"url": "http://h/", "on": ["failed"], "secret": "set",
                         "secretCheck": check}]}  # fmt: skip
    assert compare(retried, {**shown, "maxConcurrent": 2}).action == "unchanged"
    rekeyed = Document("job", "r", {**retried.spec, "notify": [
        {"url": "http://h/", "secret": "t" * 20}
    ]})  # fmt: skip
    assert compare(rekeyed, {**shown, "maxConcurrent": 2}).fields == {"notify": (
        shown["notify"], [{"url": "http://h/", "secret": "(changed)"}]
    )}  # fmt: skip
    unchecked = {**shown, "notify": [{"url": "http://h/", "on": ["failed"], "secret": "set"}]}
    assert compare(retried, {**unchecked, "maxConcurrent": 2}).action == "update"
    assert compare(retried, {**shown, "maxConcurrent": 2, "retry": {"attempts": 2}}).fields == {
        "retry": ({"attempts": 2}, {"attempts": 3})
    }
    text = Document("variable", "v", {"type": "string", "value": "x", "format": "yyyy"})
    assert compare(text, {"name": "v", "type": "string", "value": "x", "format": ""}).action == (
        "unchanged"
    )


def test_yaml_keeps_on_and_yes_as_words() -> None:
    found = documents("x.yaml", "notify: [{on: [failed], secret: no}]\nflag: true\n---\nn: 1\n")

    assert found == [{"notify": [{"on": ["failed"], "secret": "no"}], "flag": True}, {"n": 1}]


def test_a_job_with_alert_credentials_applies_once_and_never_prints_them(
    tidemill: Tidemill, account: Account, tmp_path: Path
) -> None:
    hook = {"url": "http://hookuser:hookpass-0123@127.0.0.1:9/h", "on": ["failed"],
            "secret": "s3cret-for-the-hook-0123"}  # fmt: skip
    docs: list[dict[str, Any]] = [
        {"kind": "datasource", "name": "logs", "spec": datasource_body()},
        {"kind": "job", "name": "j", "spec": job_body("select url from logs", notify=[hook])},
    ]
    folder = write_manifests(tmp_path / "alerts", docs)
    first = tidemill("apply", "-f", str(folder))
    second = tidemill("apply", "-f", str(folder))
    docs[1]["spec"]["notify"][0]["on"] = ["failed", "succeeded"]
    write_manifests(folder, docs)
    changed = tidemill("apply", "-f", str(folder))
    shown = tidemill("jobs", "get", "j", "-o", "json")
    read_back = tmp_path / "read-back"
    read_back.mkdir()
    (read_back / "j.json").write_text(
        json.dumps({"kind": "job", "name": "j", "spec": ok_json(shown)})
    )
    again = tidemill("apply", "-f", str(read_back))
    unchanged = tidemill("apply", "-f", str(read_back))
    docs[1]["spec"]["notify"][0]["secret"] = "an0ther-s3cret-for-the-hook"  # the secret alone
    write_manifests(folder, docs)
    rekeyed = tidemill("apply", "-f", str(folder))
    rekeyed_again = tidemill("apply", "-f", str(folder))
    docs[1]["spec"]["notify"][0]["url"] = "http://hookuser:n3wpass-0123@127.0.0.1:9/h"
    write_manifests(folder, docs)
    repassed = tidemill("apply", "-f", str(folder))
    stored = ok_json(tidemill("jobs", "get", "j", "-o", "json"))["notify"][0]

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0 and "No changes (2 unchanged)." in second.stdout
    assert changed.exit_code == 0 and "~ job j (update)" in changed.stdout
    assert again.exit_code == 0, again.output
    assert "No changes (1 unchanged)." in unchanged.stdout, unchanged.output
    assert rekeyed.exit_code == 0 and "~ job j (update)" in rekeyed.stdout, rekeyed.output
    assert "No changes (2 unchanged)." in rekeyed_again.stdout, rekeyed_again.output
    assert repassed.exit_code == 0 and "~ job j (update)" in repassed.stdout, repassed.output
    assert check_matches(stored["secretCheck"], "an0ther-s3cret-for-the-hook",
                         "http://hookuser:n3wpass-0123@127.0.0.1:9/h")  # fmt: skip
    printed = first.output + second.output + changed.output + shown.output + again.output
    printed += unchanged.output + rekeyed.output + rekeyed_again.output + repassed.output
    assert "hookpass" not in printed and "s3cret-for" not in printed
    assert "n3wpass" not in printed and "an0ther" not in printed
    assert ok_json(shown)["notify"][0]["url"] == "http://***@127.0.0.1:9/h"
