"""`analytics dashboards serve|import|export`: the marts' dashboards on Apache Superset."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orchestration.core import database
from orchestration.core.settings import ConnectionSettings
from orchestration.dashboards import bundle
from orchestration.dashboards.home import DashboardsError, SupersetHome
from orchestration.dashboards.reader_login import ensure_reader_login, superset_uri

dashboards_app = typer.Typer(help="The marts' dashboards on Apache Superset.", no_args_is_help=True)
console = Console(soft_wrap=True)


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {error}")
    return typer.Exit(2)


def read_uri(settings: ConnectionSettings) -> str:
    """Where the dashboards read: the replica in ANALYTICS_READ_DATABASE_URL (it has the login
    through replication), else the server the login was made on."""
    return superset_uri(database.read_settings() or settings)


def prepare(
    home: SupersetHome, settings: ConnectionSettings, marts: list[str] | None = None
) -> None:
    """Superset's metadata, its admin, the reader login and every dashboard, imported."""
    password = home.secret("ANALYTICS_DASHBOARDS_DB_PASSWORD", "database-password")
    ensure_reader_login(settings, password.value)
    home.run_task("setup")
    contents = bundle.import_contents(read_uri(settings), marts=marts)
    database_files = [name for name in contents if name.startswith("databases/")]
    payload = {"contents": contents, "passwords": dict.fromkeys(database_files, password.value)}
    with tempfile.TemporaryDirectory(dir=home.path) as scratch:
        request = Path(scratch) / "import.json"
        request.touch(mode=0o600)
        request.write_text(json.dumps(payload))
        home.run_task("import", str(request))


@dashboards_app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8088,
    mart: Annotated[
        list[str] | None, typer.Option(help="Only this mart's dashboards (repeatable).")
    ] = None,
) -> None:
    """Set Superset up (safe to re-run), import every dashboard and serve them.

    Ctrl-C or one `kill -TERM` of this process stops the server and its workers.
    """
    home = SupersetHome.default()
    # First: whether the admin's password is generated now (then it is shown, this once).
    user, password = home.admin()
    try:
        settings = database.ensure_database()
        prepare(home, settings, mart)
        command = home.server_command(host, port)
        env = home.environment()
    except (DashboardsError, bundle.BundleError) as error:
        raise _fail(error) from None
    console.print(f"dashboards: http://{host}:{port}/dashboard/list/  (user {user})")
    if password.generated:
        console.print(
            f"admin password (generated, shown once; kept in {home.path}/admin-password): "
            f"{password.value}"
        )
    # Become the server: a signal to this process reaches gunicorn, which stops its workers.
    os.execve(command[0], command, env)


@dashboards_app.command("import")
def import_command(
    mart: Annotated[
        list[str] | None, typer.Option(help="Only this mart's dashboards (repeatable).")
    ] = None,
) -> None:
    """Import the dashboards in `dashboards/` into Superset (overwriting its copies)."""
    try:
        prepare(SupersetHome.default(), database.ensure_database(), mart)
    except (DashboardsError, bundle.BundleError) as error:
        raise _fail(error) from None
    console.print(f"imported {len(bundle.repository_files())} dashboard files")


@dashboards_app.command("export")
def export_command(
    mart: Annotated[
        str | None, typer.Option(help="The mart whose folder receives new dashboards' files.")
    ] = None,
) -> None:
    """Write the dashboards as they are in Superset (edited in its UI) back to `dashboards/`."""
    home = SupersetHome.default()
    try:
        with tempfile.TemporaryDirectory(dir=home.path) as scratch:
            exported = Path(scratch) / "export.json"
            home.run_task("export", str(exported))
            files = json.loads(exported.read_text())
        written = bundle.write_export(files, new_group=mart)
    except (DashboardsError, bundle.BundleError) as error:
        raise _fail(error) from None
    console.print(f"wrote {len(written)} files under {bundle.DASHBOARDS_DIR}")


@dashboards_app.command("bench")
def bench_command(
    url: Annotated[str, typer.Option(help="The serving Superset (`make dashboards`).")] = "http://127.0.0.1:8088",
    runs: Annotated[int, typer.Option(help="Measured loads per dashboard (after one warm-up).")] = 3,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the figures here.")] = None,
) -> None:
    """Each dashboard's full load in headless Chromium (every chart rendered, cache off)."""
    from orchestration.dashboards.bench import bench_dashboards

    home = SupersetHome.default()
    user, password = home.admin()
    slugs = sorted(bundle.dashboard_slugs())
    results = bench_dashboards(url.rstrip("/"), user, password.value, slugs,
                               database.ensure_database(), runs)
    for slug, figures in results.items():
        verdict = "met" if figures["met"] else "MISSED"
        console.print(
            f"{slug}: {figures['load_seconds_median']:.2f} s for {figures['charts']} charts "
            f"(goal {figures['goal_seconds']:.0f} s: {verdict}); its queries "
            f"{figures['sql_ms_total']:.0f} ms in Postgres, the slowest "
            f"{figures['slowest_query_chart']!r} {figures['slowest_query_ms']:.0f} ms"
        )
    if json_path is not None:
        json_path.write_text(json.dumps({"dashboards": results, "runs": runs}, indent=2) + "\n")
