"""`analytics db replica start|stop|status|url`: a hot standby of the embedded server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from orchestration.core import replica
from orchestration.core.settings import SettingsError

replica_app = typer.Typer(
    help="A streaming hot standby of the embedded server, for dashboards to read from.",
    no_args_is_help=True)
console = Console(soft_wrap=True)


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {error}")
    return typer.Exit(2)


@replica_app.command("start")
def start_command() -> None:
    """Start the replica, copying the primary first when there is none (the primary then
    restarts once with wal_level=replica)."""
    try:
        replica.refuse_external()
        settings = replica.start()
    except (replica.ReplicaError, SettingsError) as error:
        raise _fail(error) from None
    console.print(f"replica streaming: {settings.masked_url()}")
    console.print("dashboards read from it with: export ANALYTICS_READ_DATABASE_URL="
                  f"'{settings.masked_url()}'")


@replica_app.command("stop")
def stop_command(
    remove: Annotated[bool, typer.Option(
        "--remove", help="Also delete the replica's data and the primary's slot (the primary "
                         "goes back to wal_level=minimal at its next start).")] = False,
) -> None:
    """Stop the replica."""
    stopped = replica.stop(remove=remove)
    console.print(("stopped" if stopped else "not running") + (", removed" if remove else ""))


@replica_app.command("status")
def status_command() -> None:
    """Say whether the replica runs and how far behind the primary it is."""
    state = replica.status()
    if not state.exists:
        console.print(f"no replica (it would live in {state.pgdata}); "
                      "`analytics db replica start` makes one")
        raise typer.Exit(1)
    if not state.running or state.settings is None:
        console.print(f"replica (data in {state.pgdata}) is stopped")
        raise typer.Exit(1)
    console.print(f"replica (data in {state.pgdata}) is running: {state.settings.masked_url()}")
    stream = state.streaming
    if stream is None:
        console.print("not streaming: the primary is stopped or has not seen the replica yet")
        raise typer.Exit(1)
    lag = stream["replay_lag_seconds"]
    console.print(f"{stream['state']}: {stream['replay_bytes_behind']} bytes behind the primary, "
                  f"replay lag {'none' if lag is None else f'{lag} s'}")


@replica_app.command("url")
def url_command() -> None:
    """Print the running replica's connection URL (for ANALYTICS_READ_DATABASE_URL)."""
    settings = replica.settings()
    if settings is None:
        console.print("[red]error:[/red] the replica is not running: "
                      "`analytics db replica start`")
        raise typer.Exit(1)
    print(settings.masked_url())
