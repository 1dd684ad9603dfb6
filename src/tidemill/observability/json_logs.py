"""Structured logs (issue 15, item 7): with TIDEMILL_LOG_FORMAT=json every log record of the
service — Tidemill's own loggers and uvicorn's error and access logs — is one JSON object per
line on stderr.

Fields of every line: `time` (RFC 3339, UTC, milliseconds), `level`, `logger`, `message`,
`process`, `thread`; `exception` (the formatted traceback) when the record carries one. Access
lines add `client`, `method`, `path`, `http_version` and `status` (uvicorn's access record).
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object per record (the fields above), never spanning lines."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            "thread": record.threadName,
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            line.update(zip(ACCESS_FIELDS, args, strict=True))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the service (uvicorn takes it as `log_config`):
    Tidemill's and uvicorn's loggers to stderr, as JSON lines when `log_format` is "json",
    else as uvicorn's plain text."""
    json_lines = log_format == "json"
    plain = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    formatter: dict[str, Any] = {"()": JsonFormatter} if json_lines else plain
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    logger = {"handlers": ["main"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {name: logger for name in ("tidemill", "uvicorn", "uvicorn.access")}
        | {"uvicorn.error": {"level": level}},
    }


def configure(log_format: str, level: str = "WARNING") -> None:
    """Set this process's logging up as `log_config` says (a worker process calls it)."""
    logging.config.dictConfig(log_config(log_format, level))
