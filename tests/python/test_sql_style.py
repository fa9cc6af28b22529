"""The models' SQL is sqlfluff-clean with the dbt templater (config in .sqlfluff)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_models_pass_sqlfluff() -> None:
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    result = subprocess.run([str(sqlfluff), "lint", "models", "--nocolor"], cwd=REPO,
                            env={**os.environ, "DBT_PROFILES_DIR": str(REPO)},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
