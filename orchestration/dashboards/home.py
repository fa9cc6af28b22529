"""Run Superset from its own virtual environment for the project's dashboards.

`SupersetHome` is the git-ignored folder (`.dashboards/`) that holds Superset's metadata
database and the secrets generated on first use (the secret key, the admin's password, the
database login's password) unless the environment gives them. Nothing secret is committed.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestration.core.paths import PROJECT_DIR

HERE = Path(__file__).resolve().parent
TASKS_SCRIPT = HERE / "superset_tasks.py"
CONFIG_FILE = HERE / "superset_config.py"
DEFAULT_ADMIN = "admin"


class DashboardsError(RuntimeError):
    """Superset cannot be set up or reached; the message says what to do."""


@dataclass(frozen=True)
class Secret:
    value: str
    generated: bool  # created by this call: print it once, it is not shown again


@dataclass(frozen=True)
class SupersetHome:
    path: Path
    venv: Path

    @classmethod
    def default(cls) -> SupersetHome:
        path = Path(os.environ.get("ANALYTICS_DASHBOARDS_HOME", PROJECT_DIR / ".dashboards"))
        venv = Path(os.environ.get("ANALYTICS_DASHBOARDS_VENV", PROJECT_DIR / ".venv-dashboards"))
        return cls(path.resolve(), venv.resolve())

    def binary(self, name: str) -> Path:
        found = self.venv / "bin" / name
        if not found.exists():
            raise DashboardsError(
                f"Superset is not installed in {self.venv}: run `make dashboards` "
                "(it installs it in its own virtual environment)"
            )
        return found

    def secret(self, env_var: str, file_name: str) -> Secret:
        """The environment's value, else the one generated here before, else a new one."""
        given = os.environ.get(env_var)
        if given:
            return Secret(given, generated=False)
        stored = self.path / file_name
        if stored.exists():
            return Secret(stored.read_text().strip(), generated=False)
        self.path.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(18)
        stored.touch(mode=0o600)
        stored.write_text(value + "\n")
        return Secret(value, generated=True)

    def admin(self) -> tuple[str, Secret]:
        user = os.environ.get("ANALYTICS_DASHBOARDS_ADMIN_USER", DEFAULT_ADMIN)
        return user, self.secret("ANALYTICS_DASHBOARDS_ADMIN_PASSWORD", "admin-password")

    def environment(self) -> dict[str, str]:
        """What Superset's processes need: its config, home, secret key and admin."""
        self.path.mkdir(parents=True, exist_ok=True)
        user, password = self.admin()
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update(
            SUPERSET_CONFIG_PATH=str(CONFIG_FILE),
            SUPERSET_HOME=str(self.path),
            SUPERSET_SECRET_KEY=self.secret("ANALYTICS_DASHBOARDS_SECRET_KEY", "secret-key").value,
            ANALYTICS_DASHBOARDS_ADMIN_USER=user,
            ANALYTICS_DASHBOARDS_ADMIN_PASSWORD=password.value,
            FLASK_APP="superset",
            PYTHONWARNINGS="ignore",
        )
        return env

    def run_task(self, task: str, *args: str) -> None:
        """One `superset_tasks.py` call in Superset's environment; its log goes to the home."""
        log = self.path / f"{task}.log"
        self.path.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            result = subprocess.run(
                [str(self.binary("python")), str(TASKS_SCRIPT), task, *args],
                env=self.environment(), stdout=out, stderr=subprocess.STDOUT, check=False,
            )
        if result.returncode != 0:
            tail = log.read_text().strip().splitlines()[-15:]
            raise DashboardsError(f"Superset {task} failed (log: {log}):\n" + "\n".join(tail))

    def server_command(self, host: str, port: int) -> list[str]:
        """Gunicorn, three workers of four threads: a dashboard's charts are answered in
        parallel on every core (one process would serialise their Python behind its GIL)."""
        return [
            str(self.binary("gunicorn")), "--bind", f"{host}:{port}", "--workers", "3",
            "--worker-class", "gthread", "--threads", "4", "--timeout", "120",
            "--log-level", "warning", "superset.app:create_app()",
        ]
