"""`analytics drop-mart NAME [--dry-run]`: drop a whole mart, or nothing.

A wrapper of the dbt operation `drop_mart` (macros/marts/drop_mart.sql), which does the work
in one transaction: the relations of the mart's models (an incremental model's table with its
trigger function, the triggers on its source, and its rows of mv_invalidations) and the
functions they declare in `meta: {functions: [...]}`, with their grants, and their rows of
mv_state; refused when an object outside the mart depends on one of them. Here: the mart must
exist (exit 2 otherwise), and dbt's exit code is the command's. See docs/orchestration.md,
"Dropping a mart".
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from orchestration.core import marts
from orchestration.core.database import ensure_database
from orchestration.core.dbt import run_dbt
from orchestration.core.settings import SettingsError


def drop_mart_args(mart: str, *, dry_run: bool = False) -> list[str]:
    """The dbt arguments of the operation: `run-operation drop_mart --args {...}`."""
    return ["run-operation", "drop_mart", "--args", json.dumps({"mart": mart, "dry_run": dry_run})]


def drop_mart_command(
    name: Annotated[str, typer.Argument(
        metavar="NAME", help="The mart (its folder under models/marts/).")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List what would be dropped; drop nothing.")] = False,
) -> None:
    """Drop a whole mart (its views and tables, declared functions, mv_state rows) in one transaction.

    Refused, dropping nothing, when anything outside it depends on it; sources and schemas stay.
    """
    try:
        marts.select([name])
        settings = ensure_database()
    except (marts.MartError, SettingsError) as error:
        print(f"error: {error}")
        raise typer.Exit(2) from None
    raise typer.Exit(run_dbt(settings, drop_mart_args(name, dry_run=dry_run), check=False))
