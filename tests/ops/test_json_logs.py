"""TIDEMILL_LOG_FORMAT=json (issue 15, item 7): the service logs JSON lines, its own records
and uvicorn's error and access logs alike."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from tests.served import Served
from tidemill.observability.json_logs import JsonFormatter, configure


def test_a_record_with_an_exception_is_one_json_line() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.getLogger("tidemill.api").makeRecord(
            "tidemill.api", logging.ERROR, __file__, 1, "failed on %s", ("/v2/jobs",),
            sys.exc_info(),
        )  # fmt: skip

    line = JsonFormatter().format(record)

    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["level"] == "ERROR" and parsed["logger"] == "tidemill.api"
    assert parsed["message"] == "failed on /v2/jobs"
    assert parsed["time"].endswith("Z")
    assert "ValueError: bad\nvalue" in parsed["exception"]


def test_configure_sends_tidemill_loggers_as_json_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure("json", "INFO")
    try:
        logging.getLogger("tidemill.runner").warning("slot %d is slow", 3)
    finally:
        configure("text", "WARNING")

    lines = capsys.readouterr().err.splitlines()
    assert [json.loads(x)["message"] for x in lines] == ["slot 3 is slow"]


def test_served_with_json_logs_every_log_line_is_json(tmp_path: Path) -> None:
    served = Served(tmp_path / "data", {"TIDEMILL_LOG_FORMAT": "json"})
    try:
        served.start(timeout=120)
        assert served.http.get("/healthz").status_code == 200
        assert served.http.get("/v2/jobs").status_code == 401  # unsigned
        assert served.request("GET", "/v2/jobs").status_code == 200
    finally:
        served.stop()

    lines = [x for x in served.log.read_text().splitlines() if x.strip()]
    records = [json.loads(x) for x in lines if not x.startswith("Tidemill listening on")]
    assert len(records) == len(lines) - 1  # the CLI's banner (stdout) aside, only JSON
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert {(r["method"], r["path"], r["status"]) for r in access} >= {
        ("GET", "/healthz", 200), ("GET", "/v2/jobs", 401), ("GET", "/v2/jobs", 200),
    }  # fmt: skip
    assert any(r["logger"] == "uvicorn.error" for r in records)  # start-up and shutdown
