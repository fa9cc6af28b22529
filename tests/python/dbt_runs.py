"""dbt runs of the project from the tests: on a given server, output captured, and the target
directory elsewhere than the project's `target/` (so a test never overwrites someone's)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from orchestration.core.dbt import dbt_env, dbt_executable
from orchestration.core.paths import PROJECT_DIR
from orchestration.core.settings import ConnectionSettings


def run_dbt_captured(
    settings: ConnectionSettings, args: list[str], target_path: Path,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` on the project against `settings`, output captured, target elsewhere;
    `extra_env` adds to dbt's environment (e.g. PGOPTIONS pinning the refresh clock)."""
    command = [
        dbt_executable(), *args, "--project-dir", str(PROJECT_DIR),
        "--target-path", str(target_path), "--log-path", str(target_path / "logs"),
    ]
    return subprocess.run(command, env={**dbt_env(settings), **(extra_env or {})},
                          cwd=PROJECT_DIR, text=True,
                          capture_output=True, check=False, timeout=1800)
