from __future__ import annotations

from pathlib import Path

import pytest

from forecasting.config import load_settings
from forecasting.errors import ConfigError


def _write(project: Path, old: str, new: str) -> Path:
    path = project / "configs" / "forecasting.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_defaults_resolve_under_the_project_root(settings, project: Path) -> None:
    assert settings.service.database_url == f"sqlite:///{(project / '.state/forecasting.db')}"
    assert settings.mlflow.tracking_uri == f"sqlite:///{(project / 'mlruns/mlflow.db')}"
    assert settings.targets.names == ("exports_yoy", "imports_yoy", "balance_usd_bn")
    assert settings.schedule.timezone == "Asia/Shanghai"
    with pytest.raises(AttributeError):
        settings.backtest.jobs = 3  # frozen


def test_environment_overrides(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    monkeypatch.setenv("FORECASTING_DATABASE_URL", "postgresql+psycopg2://u:p@localhost/db")
    s = load_settings()
    assert s.mlflow.tracking_uri == "http://127.0.0.1:5999"
    assert s.service.database_url == "postgresql+psycopg2://u:p@localhost/db"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("jobs = 2", "jobs = 0", "backtest.jobs must be >= 1"),
        ("jobs = 2", "jobz = 2", "unknown key(s) ['jobz'] in [backtest]"),
        ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"', "schedule.timezone"),
        (
            'names = ["exports_yoy", "imports_yoy", "balance_usd_bn"]',
            'names = ["gdp"]',
            "unknown target 'gdp'",
        ),
        ('"naive", "arima"', '"naive", "nosuch"', "unknown model 'nosuch'"),
        ('pre_release_time = "09:00"', 'pre_release_time = "9am"', "must be HH:MM"),
        ('pre_release_time = "09:00"', 'pre_release_time = "0900"', "must be HH:MM"),
        ('pre_release_time = "09:00"', 'pre_release_time = "T09:00"', "must be HH:MM"),
        (
            'database_url = "sqlite:///.state/forecasting.db"',
            'database_url = "x://a:pw@h/d"',
            "service.database_url: the service store URL 'x://a:***@h/d' has an unsupported",
        ),
        ("[backtest]", "[backtests]", "unknown section"),
    ],
)
def test_bad_values_name_the_key(project: Path, old: str, new: str, message: str) -> None:
    path = _write(project, old, new)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_the_inbox_defaults_under_the_state_dir(project: Path) -> None:
    assert load_settings().data.inbox == project / ".state" / "inbox"
    _write(project, 'inbox = ""\n', "")  # a file from before the key existed
    assert load_settings().data.inbox == project / ".state" / "inbox"
    path = _write(project, 'state_dir = ".state"', 'state_dir = "run"')
    assert load_settings(path).data.inbox == project / "run" / "inbox"
    _write(project, "directories = []\n", 'directories = []\ninbox = "feeds/in"\n')
    assert load_settings().data.inbox == project / "feeds" / "in"
    _write(project, 'inbox = "feeds/in"', "inbox = 5")
    with pytest.raises(ConfigError, match="data.inbox must be str, got 5"):
        load_settings()
