"""`analytics`: the project's command line (database, demo data, demo, refresh, status, prune,
bench, drop-mart)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from orchestration.bench import SECTIONS
from orchestration.cli import docs_site, drop_mart
from orchestration.cli.dashboards import dashboards_app
from orchestration.cli.replica import replica_app
from orchestration.core import database, marts, migrations, replica
from orchestration.core.dbt import run_dbt
from orchestration.core.settings import SettingsError
from orchestration.demo_data import engine
from orchestration.demo_data.marts import advance_marts, can_advance, empty_marts, load_marts

if TYPE_CHECKING:
    from orchestration.cli.refresh import RefreshReport
    from orchestration.cli.status import ViewStatus

app = typer.Typer(help="Analytics on Postgres materialized views.", no_args_is_help=True)
db_app = typer.Typer(help="The project's Postgres server.", no_args_is_help=True)
app.add_typer(db_app, name="db")
db_app.add_typer(replica_app, name="replica")
app.add_typer(dashboards_app, name="dashboards")
app.command("docs")(docs_site.docs_command)
app.command("drop-mart")(drop_mart.drop_mart_command)
console = Console(soft_wrap=True)


def _settings() -> database.ConnectionSettings:
    try:
        return database.ensure_database()
    except SettingsError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


@db_app.command("start")
def db_start() -> None:
    """Start the embedded server (or check the external one) and create the database."""
    settings = _settings()
    kind = "embedded" if settings.embedded else "external"
    console.print(f"{kind} Postgres ready: {settings.masked_url()}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded server (and its replica, if one runs)."""
    if database.external_settings() is not None:
        console.print("an external server is configured; nothing to stop")
        return
    if replica.stop():
        console.print("replica stopped")
    stopped = database.stop_embedded()
    console.print("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    """Say which server is used and whether it runs."""
    state = database.status()
    kind = "embedded" if state.embedded else "external"
    where = f" (data in {state.pgdata})" if state.pgdata else ""
    url = f": {state.settings.masked_url()}" if state.settings else ""
    console.print(f"{kind} server{where} is {'running' if state.running else 'stopped'}{url}")
    if not state.running:
        raise typer.Exit(1)


@db_app.command("url")
def db_url() -> None:
    """Print the connection URL (any password masked)."""
    print(_settings().masked_url())


@db_app.command("psql", context_settings={"allow_extra_args": True,
                                          "ignore_unknown_options": True})
def db_psql(ctx: typer.Context) -> None:
    """Open psql on the analytics database (extra arguments go to psql)."""
    raise typer.Exit(database.run_psql(_settings(), list(ctx.args)))


@db_app.command("migrate")
def db_migrate() -> None:
    """Create or update the source schema (versioned DDL files)."""
    applied = migrations.migrate(_settings())
    console.print(f"applied: {', '.join(applied)}" if applied else "schema up to date")


MartOption = Annotated[list[str] | None, typer.Option(
    "--mart", help="Only this mart (repeatable); default: every mart.")]


def _marts(names: list[str] | None) -> list[marts.MartPlugin]:
    try:
        return marts.select(names)
    except marts.MartError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


@app.command("demo-data")
def demo_data_command(
    scale: Annotated[str, typer.Option(help="S (tests), M (benchmark) or L (4x M), or M/2 ...")]
    = "S",
    mart: MartOption = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same rows.")] = 1,
    advance: Annotated[str | None, typer.Option(
        help="Instead of reloading, continue the simulation for this long after its end (30m, 1h,"
             " 6h, 1d ...; `now`: up to the current time): append what the crawler wrote"
             " meanwhile, late crawls included. Keeps the loaded scale and seed; without --mart,"
             " every mart that can advance.")] = None,
) -> None:
    """Fill the marts' source schemas with their simulated data (every mart by default), or
    continue it (--advance)."""
    if advance is not None:
        _advance(advance, mart)
        return
    try:
        chosen_scale = engine.parse_scale(scale)
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    chosen = _marts(mart)
    for report in load_marts(_settings(), chosen, chosen_scale, seed, console):
        console.print(report.describe())


def _advance(duration_text: str, mart: list[str] | None) -> None:
    """`demo-data --advance`: the named marts (each must be able to advance), or every mart
    that can."""
    try:
        duration = engine.parse_duration(duration_text)
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    chosen = _marts(mart)
    if not mart:
        skipped = [m.name for m in chosen if m.simulator is not None and not can_advance(m)]
        chosen = [m for m in chosen if can_advance(m)]
        if skipped:
            console.print(f"not advanced (their simulation can only be reloaded): "
                          f"{', '.join(skipped)}")
    try:
        reports = advance_marts(_settings(), chosen, duration, console)
    except engine.AdvanceError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    for report in reports:
        console.print(report.describe())


@app.command("demo")
def demo() -> None:
    """The quick start: server, schemas, scale S data for empty marts, dbt build, summary."""
    from orchestration.cli import status

    settings = _settings()
    plugins = marts.select(None)
    empty = empty_marts(settings, plugins)
    kept = [m.name for m in plugins if m.simulator is not None and m not in empty]
    if kept:
        console.print(f"source data already loaded for {', '.join(kept)}; keeping it")
    # Migrates every mart first, whether or not one of them needs data.
    load_marts(settings, empty, engine.parse_scale("S"), 1, console)
    started = time.monotonic()
    try:
        run_dbt(settings, ["build"])
    except subprocess.CalledProcessError as error:
        console.print(f"[red]dbt build failed[/red] (exit {error.returncode})")
        raise typer.Exit(error.returncode) from None
    _run_python_assets(settings)
    _wide().print(status.render_summary(_statuses(settings, None),
                                        build_seconds=time.monotonic() - started))
    console.print(
        "Next: `make dev` (Dagster UI on http://127.0.0.1:3000), `make dashboards` (Superset on "
        "http://127.0.0.1:8088), `make docs` (dbt docs site), `.venv/bin/analytics status`, "
        "`.venv/bin/analytics db psql`."
    )


def _run_python_assets(settings: database.ConnectionSettings) -> RefreshReport | None:
    """Run the marts' non-dbt assets (a forecast) once, with the views around them, through
    Dagster: the views that read them then show their output from the first start."""
    from orchestration.cli import refresh
    from orchestration.defs.catalog import load_catalog
    from orchestration.defs.definitions import definitions_for

    catalog = load_catalog()
    defs = definitions_for(catalog)
    names = refresh.around_python_assets(defs, catalog)
    if not names:
        return None
    os.environ.update(settings.libpq_env())
    console.print(f"running the Python assets between {', '.join(names)}")
    report = refresh.run_refresh(defs, catalog, names, refresh.dagster_instance(),
                                 log_level="WARNING")
    _wide().print(refresh.render(report))
    if not report.success:
        for message in report.errors:
            console.print(f"[red]failed:[/red] {message}")
        raise typer.Exit(1)
    return report


def _statuses(settings: database.ConnectionSettings, mart: list[str] | None,
              view: list[str] | None = None, orphans: bool = False) -> list[ViewStatus]:
    """The declared views (of `mart`, named `view`), then the orphans when `orphans`."""
    from orchestration.cli import status
    from orchestration.core.project import (
        dbt_project,
        load_manifest,
        models,
        prepare_manifest,
        sources,
    )

    project = dbt_project()
    prepare_manifest(project)
    manifest = load_manifest(project)
    found = models(manifest)
    known = sorted({m.mart for m in found.values() if m.mart})
    unknown = sorted(set(mart or ()) - set(known))
    if unknown:
        console.print(f"[red]error:[/red] unknown mart {', '.join(map(repr, unknown))}: the marts "
                      f"are {', '.join(known) or 'none'}")
        raise typer.Exit(2)
    views = sorted(n for n, m in found.items() if m.materialized == "materialized_view")
    unknown = sorted(set(view or ()) - set(views))
    if unknown:
        console.print(f"[red]error:[/red] unknown view {', '.join(map(repr, unknown))}: the views "
                      f"are {', '.join(views) or 'none'}")
        raise typer.Exit(2)
    declared = status.collect(settings, project, found, mart, view)
    if not orphans:
        return declared
    return declared + status.collect_orphans(settings, project, found, sources(manifest))


@app.command("refresh")
def refresh_command(
    cadence: Annotated[str | None, typer.Option(
        help="Refresh the views of this cadence: hourly, daily or weekly.")] = None,
    select: Annotated[str | None, typer.Option(
        help="dbt-style selection of models: name, +name, name+, tag:x, source:src.table+, "
        "source:src+ (space-separated).")]
    = None,
    mart: MartOption = None,
    full_refresh: Annotated[bool, typer.Option(
        "--full-refresh", help="Rebuild every selected view (dbt --full-refresh: built anew and "
        "swapped in, readers never blocked) instead of refreshing it.")] = False,
) -> None:
    """Refresh views now, in this process, with the same Dagster job as the sensor (default: all)."""
    from orchestration.cli import refresh
    from orchestration.defs.catalog import load_catalog
    from orchestration.defs.definitions import definitions_for

    catalog = load_catalog()
    try:
        names = refresh.selected_models(catalog, cadence=cadence, select=select, marts=mart)
    except refresh.SelectionError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    if not names:
        console.print("[red]error:[/red] the selection matches no view; nothing to refresh")
        raise typer.Exit(2)
    os.environ.update(_settings().libpq_env())
    verb = "rebuilding (full refresh)" if full_refresh else "refreshing"
    console.print(f"{verb} {len(names)} views: {', '.join(names)}")
    try:
        report = refresh.run_refresh(definitions_for(catalog), catalog, names,
                                     refresh.dagster_instance(), cadence=cadence,
                                     full_refresh=full_refresh)
    except refresh.RefreshBusyError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    _wide().print(refresh.render(report))
    for message in report.errors:
        console.print(f"[red]failed:[/red] {message}")
    if not report.success:
        raise typer.Exit(1)


@app.command("status")
def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    mart: MartOption = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Health check: exit 1 and name each view that is missing, not populated, "
        "stale or whose last refresh failed; exit 0 when none is.")] = False,
    view: Annotated[list[str] | None, typer.Option(
        "--view", help="Only this view (a model name; repeatable).")] = None,
) -> None:
    """Every analytic view by mart: rows, size, indexes, cadence, last refresh, staleness, error;
    missing views with the command that builds them, orphaned ones (declared by no model), and a
    summary."""
    from orchestration.cli import status

    if check:
        _check(mart, as_json, view)
        return
    # Orphans belong to no mart or view: looked for only when the status is not narrowed.
    orphans = not mart and not view
    statuses = _statuses(_settings(), mart, view, orphans=orphans)
    if as_json:
        print(status.to_json(statuses, orphans_checked=orphans))
    else:
        _wide().print(status.render(statuses, orphans_checked=orphans))


@app.command("prune")
def prune_command(
    yes: Annotated[bool, typer.Option(
        "--yes", help="Drop them; without it, only list what would be dropped.")] = False,
) -> None:
    """Drop the orphaned materialized views and incremental tables (declared by no model).

    Without --yes it lists them and drops nothing. Never cascades: refused (exit 1, nothing
    dropped) when anything else depends on an orphan."""
    from orchestration.cli import prune

    raise typer.Exit(prune.prune(_settings(), yes=yes, log=print))


def _check(mart: list[str] | None, as_json: bool, view: list[str] | None = None) -> None:
    """`status --check`: exit 0 when every view is healthy, 1 when one is not or the server is
    unreachable (2 for an unknown mart or bad settings)."""
    import psycopg2

    from orchestration.cli import health

    try:
        report = health.check(_statuses(_settings(), mart, view))
    except psycopg2.OperationalError as error:
        message = f"cannot read the views' status: {health.shorten(str(error))}"
        print(json.dumps({"healthy": False, "error": message}) if as_json
              else f"unhealthy: {message}")
        raise typer.Exit(1) from None
    print(health.check_json(report) if as_json else "\n".join(health.check_lines(report)))
    raise typer.Exit(0 if report.healthy else 1)


def _wide() -> Console:
    """The console, or one 200 columns wide when the output is a file or a pipe."""
    return console if console.is_terminal else Console(width=200)


@app.command("dev")
def dev_command(
    host: Annotated[str, typer.Option(help="Address the Dagster UI listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
) -> None:
    """Postgres and `dagster dev` (UI, daemon, schedules, sensor); Ctrl-C stops them both."""
    from orchestration.cli import dev

    raise typer.Exit(dev.run(host=host, port=port, log=console.print))


@app.command("bench")
def bench_command(
    scale: Annotated[str, typer.Option(
        help="Data scale: S, M or L, or a fraction such as M/2 (reloaded if another is loaded).")]
    = "S",
    json_file: Annotated[str | None, typer.Option(
        "--json", help="Also write every figure to this JSON file.")] = None,
    scaling: Annotated[bool | None, typer.Option(
        "--scaling/--no-scaling",
        help="Measure the mart at S, M/4, M/2 and M (reloads data; default: on at M only).")]
    = None,
    scaling_up_to: Annotated[str, typer.Option(
        help="Largest scale of the scaling part: M, or L to add L.")] = "M",
    quick: Annotated[bool, typer.Option(
        "--quick", help="Few repetitions (smoke test): every figure, roughly.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the demo data.")] = 1,
    reload: Annotated[bool, typer.Option(
        "--reload", help="Reload the demo data even if this scale is loaded.")] = False,
    skip: Annotated[list[str] | None, typer.Option(
        help=f"Skip a section: {', '.join((*SECTIONS, 'scaling'))} (repeatable).")] = None,
    reader_pause_ms: Annotated[float, typer.Option(
        help="Pause of each dashboard reader between two queries.")] = 20.0,
    mart: Annotated[list[str] | None, typer.Option(
        help="Benchmark this mart (repeatable; default: every mart whose plug-in has a bench).")]
    = None,
) -> None:
    """Benchmark the marts: refresh cost, reads during refresh, dashboard queries,
    orchestration overhead, scaling; a table of the figures and targets (and JSON)."""
    from pathlib import Path

    from orchestration.bench.context import BenchContext, default_work_dir
    from orchestration.bench.report import render
    from orchestration.bench.runner import BenchOptions, bench_marts, plan, run_bench

    options = BenchOptions(scale=scale, seed=seed, quick=quick, scaling=scaling,
                           scaling_up_to=scaling_up_to, reload=reload,
                           reader_pause_ms=reader_pause_ms, skip=tuple(skip or ()))
    try:
        # Unknown marts and options fail here, before the server starts.
        chosen = bench_marts(mart)
        plan(options)
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    context = BenchContext(_settings(), work_dir=default_work_dir(), console=console)
    try:
        results = run_bench(context, options,
                            json_path=Path(json_file) if json_file else None, marts=chosen)
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    # Wide tables: never squeezed to 80 columns when the output is a file or a pipe.
    (console if console.is_terminal else Console(width=200)).print(render(results))
    if results.get("errors"):
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
