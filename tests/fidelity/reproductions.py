"""The fault reproductions of the fidelity issue, copied from the shared cases into
`tests/fidelity/shared_cases/<name>/`: datasource.json, job.json, expected.json (Spark's
answer), data/ (the bucket's objects, by key)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "shared_cases"
NAMES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected.json").is_file())


def load(name: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(datasource, job, expected) of reproduction `name`."""
    folder = CASES_DIR / name
    read = [
        json.loads((folder / f).read_text())
        for f in ("datasource.json", "job.json", "expected.json")
    ]
    return read[0], read[1], read[2]


def objects(name: str) -> list[tuple[str, Path]]:
    """(object key, file) of each object of reproduction `name`'s bucket."""
    data = CASES_DIR / name / "data"
    return [(p.relative_to(data).as_posix(), p) for p in sorted(data.rglob("*")) if p.is_file()]
