"""`analytics dashboards serve` without Superset: the admin's generated password is shown on the
first start only, the secrets stay in the home, and the process becomes the server."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.cli import dashboards as dashboards_cli


class Execed(Exception):
    """Raised instead of replacing the test's process with the server."""


@pytest.fixture
def fake_superset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "gunicorn").touch()
    monkeypatch.setenv("ANALYTICS_DASHBOARDS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ANALYTICS_DASHBOARDS_VENV", str(tmp_path / "venv"))
    for name in ("ANALYTICS_DASHBOARDS_ADMIN_PASSWORD", "ANALYTICS_DASHBOARDS_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(dashboards_cli.database, "ensure_database", lambda: None)
    monkeypatch.setattr(dashboards_cli, "prepare", lambda home, settings, marts: home.environment())
    started: list[list[str]] = []

    def execve(path: str, command: list[str], env: dict[str, str]) -> None:
        started.append(command)
        raise Execed

    monkeypatch.setattr(dashboards_cli.os, "execve", execve)
    return started


def test_the_generated_admin_password_is_shown_on_the_first_start_only(
    fake_superset: list[list[str]], tmp_path: Path
) -> None:
    first = CliRunner().invoke(app, ["dashboards", "serve", "--port", "8123"])
    stored = tmp_path / "home" / "admin-password"
    password = stored.read_text().strip()
    assert password and f"(generated, shown once; kept in {tmp_path / 'home'}/admin-password): {password}" \
        in first.output.replace("\n", "")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    second = CliRunner().invoke(app, ["dashboards", "serve", "--port", "8123"])
    assert password not in second.output and stored.read_text().strip() == password
    assert isinstance(first.exception, Execed) and "127.0.0.1:8123" in fake_superset[0]


def test_a_password_from_the_environment_is_used_and_never_stored(
    fake_superset: list[list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANALYTICS_DASHBOARDS_ADMIN_PASSWORD", "from-the-environment")
    result = CliRunner().invoke(app, ["dashboards", "serve"])
    assert "from-the-environment" not in result.output
    assert not (tmp_path / "home" / "admin-password").exists()
