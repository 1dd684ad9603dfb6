"""The OpenAPI 3.1 document of Tidemill's API."""

from __future__ import annotations

from typing import Any


def document() -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "Tidemill", "version": "0"}, "paths": {}}
