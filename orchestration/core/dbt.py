"""Running the dbt CLI of this environment against the configured server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.core.paths import PROJECT_DIR
from orchestration.core.settings import ConnectionSettings


def venv_executable(name: str) -> str:
    """The `name` command installed beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed in this environment (pip install -e .)")
    return found


def dbt_executable() -> str:
    return venv_executable("dbt")


def dbt_env(settings: ConnectionSettings) -> dict[str, str]:
    env = {**os.environ, **settings.libpq_env()}
    env["PATH"] = f"{Path(dbt_executable()).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR))
    return env


def run_dbt(settings: ConnectionSettings, args: list[str], *, check: bool = True) -> int:
    """Run `dbt <args>` in the project directory; the output goes to this terminal."""
    command = [dbt_executable(), *args, "--project-dir", str(PROJECT_DIR)]
    result = subprocess.run(command, env=dbt_env(settings), cwd=PROJECT_DIR, check=False)
    if check and result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, command)
    return result.returncode
