"""The corpus: every `tests/fidelity/corpus/*.py` module's cases and tables, checked.

A category is a module's name; its cases' ids are `<category>/<slug>`, unique in the corpus; a
module's own tables are named `<category>_<name>`; every table a case reads is a shared table
(`tests/fidelity/tables.py`) or one of its module's.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from tests.fidelity import corpus as corpus_package
from tests.fidelity.case import Case, Table
from tests.fidelity.tables import TABLES as SHARED_TABLES
from tidemill.core.sql import referenced_tables as sql_tables

_SLUG = re.compile(r"[a-z0-9][a-z0-9_.-]*")


class CorpusError(Exception):
    """A corpus module breaks a rule of the corpus (ids, tables)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One case with what it may read: `tables` maps table name → Table (shared + its module's)."""

    case: Case
    category: str
    tables: Mapping[str, Table]

    @property
    def columns(self) -> dict[str, list[tuple[str, str]]]:
        """{table: [(key, valtype)]} as a job's sources give them to `dialect.to_duckdb`."""
        return {name: list(table.columns) for name, table in self.tables.items()}


@dataclass(frozen=True, slots=True)
class Corpus:
    entries: tuple[Entry, ...]
    categories: tuple[str, ...]

    def by_id(self) -> dict[str, Entry]:
        return {e.case.id: e for e in self.entries}

    def select(self, names: list[str]) -> list[Entry]:
        """The entries of the named categories and case ids (all of them when `names` is empty).

        Raises CorpusError for a name that is neither.
        """
        if not names:
            return list(self.entries)
        ids = self.by_id()
        chosen: dict[str, Entry] = {}
        for name in names:
            if name in self.categories:
                chosen.update((e.case.id, e) for e in self.entries if e.category == name)
            elif name in ids:
                chosen[name] = ids[name]
            else:
                raise CorpusError(f"{name!r} is neither a category nor a case id")
        return [e for e in self.entries if e.case.id in chosen]


def referenced_tables(sql: str) -> set[str] | None:
    """Lower-cased names of the tables `sql` reads, as job create finds them
    (`core.sql.referenced_tables`); None when sqlglot cannot read the SQL (Tidemill then refuses
    the case at create, and which tables it reads is unknown)."""
    try:
        return {name.lower() for name in sql_tables(sql)}
    except Exception:
        return None


def tables_read(entry: Entry) -> dict[str, Table]:
    """The tables of `entry` its SQL reads (all it may read when that is unknown)."""
    read = referenced_tables(entry.case.sql)
    if read is None:
        return dict(entry.tables)
    return {name: t for name, t in entry.tables.items() if name.lower() in read}


@cache
def load() -> Corpus:
    """Import every corpus module and check it; raises CorpusError naming the first fault."""
    modules = [
        (info.name, importlib.import_module(f"{corpus_package.__name__}.{info.name}"))
        for info in sorted(pkgutil.iter_modules(corpus_package.__path__), key=lambda m: m.name)
        if not info.name.startswith("_")
    ]
    return build(modules)


def build(modules: Iterable[tuple[str, Any]]) -> Corpus:
    """The corpus of (category, module) pairs, each with `CASES` and optional `TABLES`."""
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    categories = []
    for category, module in modules:
        own: dict[str, Table] = dict(getattr(module, "TABLES", {}))
        for name in own:
            if not name.startswith(f"{category}_"):
                raise CorpusError(
                    f"corpus/{category}.py: table {name!r} must be named {category}_<name>"
                )
        tables = {**SHARED_TABLES, **own}
        cases: list[Case] = list(getattr(module, "CASES", []))
        categories.append(category)
        for case in cases:
            prefix, _, slug = case.id.partition("/")
            if prefix != category or not _SLUG.fullmatch(slug):
                raise CorpusError(
                    f"corpus/{category}.py: case id {case.id!r} must be {category}/<slug>"
                    " (lower-case letters, digits, _ . -)"
                )
            if case.id in seen:
                raise CorpusError(f"case id {case.id!r} is defined twice")
            seen[case.id] = category
            read = referenced_tables(case.sql) or set()
            unknown = sorted(read - {n.lower() for n in tables})
            if unknown:
                raise CorpusError(f"{case.id}: reads unknown table(s) {', '.join(unknown)}")
            entries.append(Entry(case, category, tables))
    return Corpus(tuple(entries), tuple(categories))
