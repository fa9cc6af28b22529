"""`analytics refresh`: run the views' Dagster job in this process and say what it did.

The job is `refresh_views` (the one the source sensor runs), executed in-process with
`JobDefinition.execute_in_process(asset_selection=...)`: one `dbt build` of the selected
models in DAG order, their tests as asset checks, the refresh log's figures on each
materialization. The run is recorded in the Dagster instance of DAGSTER_HOME (or
`<repo>/.dagster_home` once `make dev` has made it), so it shows in the UI; without either, an
ephemeral instance is used.

The selection is checked against the manifest before anything runs and is only ever handed to
dbt's selector, never to SQL. Accepted: model names, optionally with dbt's graph operators
(`name`, `+name`, `name+`, `2+name+1`), `tag:<tag>`, and sources with what reads them
(`source:<source>.<table>+`, `source:<source>+`; without the `+` a source selects no view);
several are a union. `full_refresh=True` runs the build with dbt's `--full-refresh`: every
selected view is rebuilt (built anew and swapped in, readers never blocked).

The checks are those of the views' job at the run's cadence (`--cadence`): a check with a
`meta.check_cadence` runs in runs of that cadence or slower (`--cadence daily` also runs the
marts' daily checks of their hourly views), never in faster ones nor without `--cadence`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    RunsFilter,
)
from dagster_dbt.utils import select_unique_ids
from rich.table import Table

from orchestration.core.paths import PROJECT_DIR
from orchestration.core.project import CADENCES, sources, tags
from orchestration.defs.catalog import AnalyticsCatalog
from orchestration.defs.check_cadence import cadence_checks
from orchestration.defs.dbt_assets import checks_for
from orchestration.defs.memory import freeze_heap_at_exit
from orchestration.defs.schedules import ALL_VIEWS_JOB, MART_TAG, NO_MART, REFRESH_TAG, refresh_tags

_NAME_TOKEN = re.compile(r"(\d*\+)?([A-Za-z_][A-Za-z0-9_]*)(\+\d*)?")
_TAG_TOKEN = re.compile(r"tag:([A-Za-z0-9_][A-Za-z0-9_.-]*)")
_SOURCE_TOKEN = re.compile(
    r"source:([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?(\+\d*)?")
FULL_REFRESH_TAG = "analytics/full_refresh"
EXECUTING = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
_SYNTAX = ("model names, optionally with + before or after (+name, name+, 2+name), tag:<tag>,"
           " or source:<source>.<table>+ / source:<source>+")


class SelectionError(ValueError):
    """A --cadence or --select value that names nothing in the project."""


class RefreshBusyError(RuntimeError):
    """Another refresh run is in progress in the Dagster instance."""


@dataclass(frozen=True)
class ViewOutcome:
    model: str
    status: str
    action: str | None = None
    rows: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class RefreshReport:
    run_id: str
    success: bool
    views: list[ViewOutcome]
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def validate_selection(select: str, catalog: AnalyticsCatalog) -> list[str]:
    """The tokens of `select`, each checked to name a model or tag of the project."""
    tokens = select.split()
    if not tokens:
        raise SelectionError("--select is empty")
    known_tags = tags(catalog.manifest)
    for token in tokens:
        name_match = _NAME_TOKEN.fullmatch(token)
        tag_match = _TAG_TOKEN.fullmatch(token)
        source_match = _SOURCE_TOKEN.fullmatch(token)
        if source_match:
            _check_source(token, source_match.group(1), source_match.group(2), catalog)
        elif name_match:
            name = name_match.group(2)
            if name not in catalog.models:
                raise SelectionError(
                    f"--select {token!r}: {name!r} is not a model of this project"
                    f" (models: {', '.join(catalog.models) or 'none'})"
                )
        elif tag_match:
            if tag_match.group(1) not in known_tags:
                raise SelectionError(
                    f"--select {token!r}: no model has tag {tag_match.group(1)!r}"
                    f" (tags: {', '.join(sorted(known_tags)) or 'none'})"
                )
        else:
            raise SelectionError(f"--select {token!r}: not accepted; use {_SYNTAX}")
    return tokens


def _check_source(token: str, source: str, table: str | None, catalog: AnalyticsCatalog) -> None:
    """`source` (and `table`, when given) must be a source (table) of the manifest."""
    tables: dict[str, list[str]] = {}
    for found in sources(catalog.manifest).values():
        tables.setdefault(found.source_name, []).append(found.name)
    if source not in tables:
        raise SelectionError(
            f"--select {token!r}: {source!r} is not a source of this project"
            f" (sources: {', '.join(sorted(tables)) or 'none'})"
        )
    if table is not None and table not in tables[source]:
        raise SelectionError(
            f"--select {token!r}: source {source!r} has no table {table!r}"
            f" (its tables: {', '.join(sorted(tables[source]))}; sources:"
            f" {', '.join(sorted(tables))})"
        )


def selected_models(
    catalog: AnalyticsCatalog,
    cadence: str | None = None,
    select: str | None = None,
    marts: Sequence[str] | None = None,
) -> list[str]:
    """The models a refresh covers: all, or those of `marts`, of `cadence`, `select`ed."""
    names = set(catalog.models)
    if marts:
        unknown = sorted(set(marts) - set(catalog.marts))
        if unknown:
            raise SelectionError(f"--mart {', '.join(map(repr, unknown))}: the marts are "
                                 f"{', '.join(catalog.marts)}")
        names = {n for m in marts for n in catalog.mart_models(m)}
    if cadence is not None:
        if cadence not in CADENCES:
            raise SelectionError(f"--cadence {cadence!r}: use one of {', '.join(CADENCES)}")
        names &= {m.name for m in catalog.models.values() if m.cadence == cadence}
    if select is not None:
        tokens = validate_selection(select, catalog)
        unique_ids = select_unique_ids(" ".join(tokens), "", "", catalog.project, catalog.manifest)
        by_id = {m.unique_id: m.name for m in catalog.models.values()}
        names &= {by_id[u] for u in unique_ids if u in by_id}
    return sorted(names)


def dagster_instance() -> DagsterInstance:
    """DAGSTER_HOME's instance, else `<repo>/.dagster_home`'s if it exists, else ephemeral."""
    home = os.environ.get("DAGSTER_HOME") or ""
    default_home = PROJECT_DIR / ".dagster_home"
    if not home and (default_home / "dagster.yaml").exists():
        home = str(default_home)
    if home and Path(home).is_dir():
        return DagsterInstance.from_config(home)
    return DagsterInstance.ephemeral()


def busy_refresh_runs(instance: DagsterInstance, marts: Sequence[str]) -> list[str]:
    """Refresh runs executing now over any of `marts` (a run without a mart tag covers any).
    Queued ones do not count: they wait for the daemon of `make dev`, which may not be running,
    and the run queue keeps them behind this one anyway."""
    runs = instance.get_runs(filters=RunsFilter(statuses=EXECUTING, tags={REFRESH_TAG: "true"}))
    return [run.run_id for run in runs
            if run.tags.get(MART_TAG) is None or run.tags[MART_TAG] in marts]


def run_refresh(
    defs: Definitions,
    catalog: AnalyticsCatalog,
    model_names: Sequence[str],
    instance: DagsterInstance,
    cadence: str | None = None,
    log_level: str = "INFO",
    full_refresh: bool = False,
) -> RefreshReport:
    """Execute `refresh_views` for `model_names` in this process (with dbt's `--full-refresh`
    when `full_refresh`: every selected view is rebuilt)."""
    marts = sorted({catalog.models[name].mart or NO_MART for name in model_names})
    busy = busy_refresh_runs(instance, marts)
    if busy:
        raise RefreshBusyError(
            f"a refresh run of {', '.join(marts)} is in progress ({', '.join(busy)});"
            " try again when it ends"
        )
    keys = {catalog.keys[name] for name in model_names}
    spanned = spanned_assets(defs, keys)
    checks = run_checks(defs, catalog, keys, marts, cadence)
    # A subset with its checks (source tests included, see checks_for): the run record then
    # lists no asset selection, which the source sensor reads as "every view" while it runs.
    job = defs.resolve_job_def(ALL_VIEWS_JOB).get_subset(
        asset_selection=keys | spanned, asset_check_selection=set(checks)
    )
    freeze_heap_at_exit()
    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if full_refresh:
        ops = sorted({defs.resolve_assets_def(key).op.name for key in keys})
        run_config["ops"] = {op: {"config": {"full_refresh": True}} for op in ops}
    result = job.execute_in_process(
        run_config=run_config,
        instance=instance,
        tags={**refresh_tags("cli", cadence, marts[0] if len(marts) == 1 else None),
              **({FULL_REFRESH_TAG: "true"} if full_refresh else {})},
        raise_on_error=False,
    )
    names_by_key = {key: name for name, key in catalog.keys.items()}
    names_by_key.update({key: key.to_user_string() for key in spanned})
    outcomes = {name: ViewOutcome(name, "not built")
                for name in [*model_names, *sorted(k.to_user_string() for k in spanned)]}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        if materialization.asset_key not in names_by_key:
            continue
        name = names_by_key[materialization.asset_key]
        outcomes[name] = _outcome(name, materialization.metadata)
    evaluations = result.get_asset_check_evaluations()
    return RefreshReport(
        run_id=result.run_id,
        success=result.success,
        views=list(outcomes.values()),
        checks_passed=sum(1 for c in evaluations if c.passed),
        checks_failed=[_check_name(c.asset_check_key.asset_key, c.asset_check_key.name)
                       for c in evaluations if not c.passed],
        errors=[e.step_failure_data.error.message.strip()
                for e in result.get_step_failure_events()
                if e.step_failure_data.error is not None],
    )


def run_checks(
    defs: Definitions, catalog: AnalyticsCatalog, keys: set[AssetKey], marts: Sequence[str],
    cadence: str | None,
) -> frozenset[AssetCheckKey]:
    """The checks of a refresh of `keys` in a run of `cadence`, as the marts' job of that cadence
    runs them: those due at `cadence` (none with a check cadence when it is None), and the
    `marts`' checks of `cadence` on views left alone (`orchestration.defs.check_cadence`)."""
    checks = checks_for(list({defs.resolve_assets_def(key) for key in keys}), keys, cadence)
    mart_defs = {defs.resolve_assets_def(catalog.keys[name]) for mart in marts
                 for name in catalog.mart_models(mart)}
    return checks | cadence_checks(mart_defs, cadence, keys)


def spanned_assets(defs: Definitions, keys: set[AssetKey]) -> set[AssetKey]:
    """The non-dbt assets between selected views (a Python asset reading one selected view and
    read by another): a refresh of both runs it in between, as the mart's job would."""
    graph = defs.resolve_asset_graph()
    return {key for key in graph.materializable_asset_keys - keys
            if graph.get(key).parent_keys & keys and graph.get(key).child_keys & keys}


def around_python_assets(defs: Definitions, catalog: AnalyticsCatalog) -> list[str]:
    """The views each non-dbt asset reads, and every view downstream of it: refreshing them runs
    those assets too (`analytics demo` does, after its dbt build, so a first start shows the
    forecast in every view that reads it)."""
    graph = defs.resolve_asset_graph()
    names_by_key = {key: name for name, key in catalog.keys.items()}
    found: set[AssetKey] = set()
    for key in graph.materializable_asset_keys - set(names_by_key):
        if "dbt" in graph.get(key).kinds:
            continue  # a dbt seed: built by dbt build, not a Python asset
        found |= graph.get(key).parent_keys
        todo = set(graph.get(key).child_keys)
        while todo:
            child = todo.pop()
            if child not in found:
                found.add(child)
                todo |= graph.get(child).child_keys
    return sorted(names_by_key[k] for k in found if k in names_by_key)


def _check_name(key: AssetKey, name: str) -> str:
    return f"{key.to_user_string()}:{name}"


def _value(metadata: Mapping[str, Any], key: str) -> Any:
    value = metadata.get(key)
    return getattr(value, "value", value)


def _outcome(name: str, metadata: Mapping[str, Any]) -> ViewOutcome:
    rows = _value(metadata, "dagster/row_count")
    seconds = _value(metadata, "analytics/refresh_seconds")
    return ViewOutcome(
        model=name,
        status="built",
        action=_value(metadata, "analytics/action"),
        rows=int(rows) if rows is not None else None,
        seconds=float(seconds) if seconds is not None else None,
    )


def render(report: RefreshReport) -> Table:
    """Per view: what the materialization did, the rows it left and how long it took."""
    table = Table(title=f"Refresh run {report.run_id}")
    for column in ("view", "action", "rows", "seconds"):
        table.add_column(column, justify="right" if column in ("rows", "seconds") else "left")
    for view in report.views:
        action = view.action or f"[red]{view.status}[/red]"
        rows = f"{view.rows:,}" if view.rows is not None else "-"
        seconds = f"{view.seconds:.2f}" if view.seconds is not None else "-"
        table.add_row(view.model, action, rows, seconds)
    checks = f"{report.checks_passed} checks passed"
    if report.checks_failed:
        checks += f", failed: {', '.join(report.checks_failed)}"
    table.caption = checks
    return table
