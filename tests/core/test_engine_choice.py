"""core.engine_choice: which engine runs a batch."""

from __future__ import annotations

import pytest

from tidemill.core.engine_choice import choose_engine

GIB = 2**30


@pytest.mark.parametrize(
    ("setting", "input_bytes", "container", "refuses", "engine", "why"),
    [
        ("duckdb", 10**15, 100 * GIB, True, "duckdb", "TIDEMILL_ENGINE=duckdb"),
        ("spark", 0, 2 * GIB, False, "spark", "TIDEMILL_ENGINE=spark"),
        ("auto", 0, 2 * GIB, False, "duckdb", "auto: input 0 bytes <= 1000"),
        ("auto", 1000, 2 * GIB, False, "duckdb", "auto: input 1000 bytes <= 1000"),
        ("auto", 1001, 2 * GIB, False, "spark", "auto: input 1001 bytes > 1000"),
        ("auto", 10, 2 * GIB, True, "spark", "refuses"),
        ("auto", 10, 64 * GIB, False, "spark", "container"),
        ("auto", 10, 32 * GIB, False, "duckdb", "<= 1000"),
    ],
)  # fmt: skip
def test_the_choice_and_its_reason(
    setting: str, input_bytes: int, container: int, refuses: bool, engine: str, why: str
) -> None:
    got = choose_engine(
        setting, input_bytes=input_bytes, container_bytes=container, duckdb_refuses=refuses,
        min_bytes=1000, min_container_bytes=32 * GIB,
    )  # fmt: skip

    assert got.engine == engine
    assert why in got.reason


def test_no_container_threshold_means_never_by_container() -> None:
    got = choose_engine(
        "auto", input_bytes=1, container_bytes=100 * GIB, duckdb_refuses=False, min_bytes=1000
    )

    assert got.engine == "duckdb"


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="auto"):
        choose_engine("presto", input_bytes=1, container_bytes=1, duckdb_refuses=False, min_bytes=1)
