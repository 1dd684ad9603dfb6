"""Manifest and body files holding what YAML can say but JSON cannot: `tidemill apply -f` (and
every `-f FILE` command) refuses them naming the file, exit 2, before any call — never a
traceback (TypeError, ValueError, RecursionError) nor a CLI that hangs expanding aliases.

Found by hand: `!!binary`, `!!set` and `!!timestamp` values reached json.dumps in the client
(TypeError), an alias inside itself did too (ValueError: Circular reference), a file nested a
few hundred levels deep overflowed the parsers' recursion, and nine levels of ten aliases each
(a 2 KB file, 10⁹ values once expanded) kept the CLI busy without end.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tidemill.cli import app
from tidemill.cli._files import FileError, documents

VARIABLE = "kind: variable\nname: v\nspec:\n  type: string\n"


def _bomb(levels: int) -> str:
    lines = ["  lol:", "    a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return VARIABLE + "  value: x\n" + "\n".join(lines) + "\n"


CASES = {
    "binary.yaml": (VARIABLE + "  value: !!binary aGVsbG8=\n", "binary"),
    "set.yaml": (VARIABLE + "  value: !!set {a: null}\n", "set"),
    "date.yaml": (VARIABLE + "  value: !!timestamp 2025-01-01\n", "date"),
    "stamp.yaml": (VARIABLE + "  value: !!timestamp 2025-01-01T10:00:00Z\n", "date"),
    "self.yaml": ("kind: variable\nname: v\nspec: &s\n  type: string\n  me: *s\n", "itself"),
    "bomb.yaml": (_bomb(8), "aliases"),
    "deep.yaml": (VARIABLE + "  value: " + "[" * 900 + "]" * 900 + "\n", "deep"),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "deep"),
    "deep-flat.json": ('{"kind": "variable", "deep": ' + "[" * 200 + "]" * 200 + "}", "deep"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_value_json_cannot_carry_is_refused_naming_the_file(tmp_path: Path, name: str) -> None:
    text, word = CASES[name]
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(FileError) as caught:
        documents(str(path))
    message = str(caught.value)
    assert str(path) in message and word in message, message


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", [["apply", "-f"], ["datasources", "create", "d", "-f"]])
def test_the_cli_says_which_file_and_exits_2(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(CASES["binary.yaml"][0])
    env = {
        "TIDEMILL_ENDPOINT": "http://127.0.0.1:9",  # never called: the file is refused first
        "TIDEMILL_ACCESS_KEY": "ak",
        "TIDEMILL_SECRET_KEY": "sk",
        "TIDEMILL_CONFIG": str(tmp_path / "none.toml"),
    }
    found = CliRunner().invoke(app, [*command, str(path)], env=env)
    assert found.exit_code == 2, (found.output, found.exception)
    assert found.exception is None or isinstance(found.exception, SystemExit), found.exception
    assert "Error" in found.stderr and "!!binary" in found.stderr, found.stderr


def test_what_json_can_say_still_loads_aliases_included(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "kind: datasource\nname: d\nspec:\n  schema: &s [{key: a, valtype: string}]\n"
        "  again: *s\n  n: 1\n  f: 1.5\n  b: true\n  z: null\n  when: 2025-01-01\n"
    )
    (doc,) = documents(str(path))
    assert doc["spec"]["again"] == [{"key": "a", "valtype": "string"}]
    merged = tmp_path / "merge.yaml"  # a merge key's members may be overridden: not twice
    merged.write_text("base: &b {a: 1, b: 2}\nkind: variable\nspec:\n  <<: *b\n  a: 3\n")
    assert documents(str(merged))[0]["spec"] == {"a": 3, "b": 2}
    assert doc["spec"]["when"] == "2025-01-01"


DUPLICATES = {
    # the first `spec` (its schema, its bucket) was dropped without a word
    "twice.yaml": "kind: datasource\nname: d\nspec: {type: kodo}\nspec: {region: nb}\n",
    "nested.yaml": "kind: variable\nname: v\nspec:\n  type: string\n  value: a\n  value: b\n",
    "flow.yaml": "kind: variable\nname: v\nspec: {type: string, type: time}\n",
    "twice.json": '{"kind": "variable", "name": "v", "name": "w", "spec": {}}',
}


@pytest.mark.parametrize("name", sorted(DUPLICATES))
def test_a_member_written_twice_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    """YAML 1.2 (§3.2.1.1) and JSON (RFC 8259 §4: SHOULD) want member names unique; the
    readers kept the last silently, so a pasted second `spec:` dropped the first."""
    path = tmp_path / name
    path.write_text(DUPLICATES[name])
    with pytest.raises(FileError) as caught:
        documents(str(path))
    message = str(caught.value)
    assert str(path) in message and "twice" in message, message
