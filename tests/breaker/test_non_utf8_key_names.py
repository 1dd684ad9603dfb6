"""A file in a local bucket whose name is not UTF-8 (bytes a sync tool or a shell may leave)
was listed as a key holding lone surrogates. The batch's first log then failed to encode and
killed the worker process: the batch Failed with "the worker process died ... (it may have
exceeded the container's memory)", and every later start of the job killed a worker again. Such
a name is no key (keys are UTF-8 text): the batch fails naming the file, the worker lives."""

from __future__ import annotations

import json

from tests.api.test_batches import ROWS, make_datasource, make_job, write_lines
from tests.support import Client, wait_for
from tidemill.config import Settings
from tidemill.core.object_keys import key_problem


def test_a_key_that_is_not_utf8_text_is_no_key() -> None:
    assert key_problem("cdn/\udcff\udcfe.json") is not None
    assert key_problem("cdn/\udcff/", prefix=True) is not None
    assert key_problem("cdn/caf\u00e9.json") is None  # UTF-8 text with accents is a key


def test_a_file_name_that_is_not_utf8_fails_the_batch_naming_it(
    client: Client, settings: Settings
) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", [json.dumps(ROWS[0])])
    directory = settings.data_dir / "kodo" / "default" / "bkt1" / "cdn"
    with open(bytes(directory) + b"/b-\xff\xfe.json", "wb") as odd:
        odd.write(json.dumps(ROWS[1]).encode() + b"\n")
    make_datasource(client)
    make_job(client, "j", "select sum(bytes) as b from logs")

    client.post("/v2/jobs/j/actions/start", {})
    failed = wait_for(client, "j", {"Successful", "Failed"})

    assert failed["status"] == "Failed", failed
    assert "worker process died" not in failed["message"], failed["message"]
    assert "b-\\udcff\\udcfe.json" in failed["message"], failed["message"]
    assert "UTF-8" in failed["message"], failed["message"]
    log = client.get("/v2/jobs/j/history/1/log")
    assert log.status_code == 200 and "b-\\udcff\\udcfe.json" in log.text, log.text
