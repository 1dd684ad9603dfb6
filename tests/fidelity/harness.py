"""Running corpus cases on either side over one set of Parquet files."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.fidelity import answers, datafiles
from tests.fidelity.case import Table
from tests.fidelity.corpus_loader import Corpus, Entry
from tests.fidelity.tidemill_side import Outcome, TidemillSide
from tests.fidelity.verdict import Verdict, judge


def all_tables(corpus: Corpus) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for entry in corpus.entries:
        tables.update(entry.tables)
    if not tables:
        from tests.fidelity.tables import TABLES

        tables.update(TABLES)
    return tables


@contextmanager
def data_files(tables: dict[str, Table]) -> Iterator[dict[str, Path]]:
    """Every table as a Parquet file in a temporary directory, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="tidemill-fidelity-data-"))
    try:
        yield datafiles.write_tables(tables, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def check(
    corpus: Corpus, entries: Sequence[Entry]
) -> Iterator[tuple[Entry, dict[str, Any] | None, Outcome, Verdict]]:
    """Tidemill's outcome and verdict for each of `entries` against the recorded answers."""
    tables = all_tables(corpus)
    recorded: dict[str, dict[str, dict[str, Any]]] = {}
    with data_files(tables) as paths, TidemillSide(paths, tables) as side:
        for entry in entries:
            if entry.category not in recorded:
                recorded[entry.category] = answers.load(entry.category)
            record = recorded[entry.category].get(entry.case.id)
            outcome = side.run(entry)
            yield entry, record, outcome, judge(entry, record, outcome)
