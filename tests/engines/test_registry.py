"""The engine registry and TIDEMILL_ENGINE."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from tidemill.config import Settings
from tidemill.engines import registry
from tidemill.errors import ConfigError


def test_duckdb_is_registered_and_the_default() -> None:
    assert "duckdb" in registry.names()
    assert Settings().engine == registry.DEFAULT == "duckdb"
    assert registry.engine().name == "duckdb"


def test_one_engine_per_process_and_name() -> None:
    assert registry.engine("duckdb") is registry.engine("duckdb")


def test_an_unknown_engine_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="duckdb"):
        registry.engine("nosuch")


def test_tidemill_engine_accepts_only_registered_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDEMILL_ENGINE", "duckdb")
    assert Settings().engine == "duckdb"
    monkeypatch.setenv("TIDEMILL_ENGINE", "nosuch")
    with pytest.raises(ValidationError, match="engine"):
        Settings()


def test_the_setting_names_exactly_the_registered_engines_and_auto() -> None:
    named = set(get_args(Settings.model_fields["engine"].annotation))
    assert sorted(named - {"auto"}) == registry.names() == ["duckdb", "spark"]
    assert "auto" in named


def test_auto_and_its_thresholds_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TIDEMILL_ENGINE", "auto")
    monkeypatch.setenv("TIDEMILL_ENGINE__SPARK_MIN_BYTES", "12345")
    monkeypatch.setenv("TIDEMILL_ENGINE__SPARK_MIN_CONTAINER_BYTES", "678")
    monkeypatch.setenv("TIDEMILL_SPARK__URL", "spark://127.0.0.1:7077")

    settings = Settings()

    assert settings.engine == "auto"
    assert settings.engine_spark_min_bytes == 12345
    assert settings.engine_spark_min_container_bytes == 678
    assert settings.spark.url == "spark://127.0.0.1:7077"
