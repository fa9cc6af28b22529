"""Refresh jobs and their schedules, one per (mart, cadence), from each model's dbt config.

* `refresh_<mart>_<cadence>`: the mart's models of that cadence, at minute 0 (hourly), 02:00
  (daily) or Monday 03:00 (weekly), so a slow mart never delays another's hourly views; with
  the mart's Python assets tagged with that cadence, run where the lineage puts them;
* models whose `meta` sets `schedule_cron` and/or `schedule_timezone` leave their cadence's job:
  those of one mart sharing a cron and a zone share one job and schedule,
  `refresh_<mart>_<cadence>_<cron>_<zone>` (e.g. `refresh_kpis_daily_0_1_x_x_x_america_bogota`);
* `refresh_views`, every model: what `analytics refresh` and the source sensor run, a subset
  per run.

Schedules run in ANALYTICS_SCHEDULE_TIMEZONE (default UTC) unless the models name their zone,
and start RUNNING. Every run of a mart carries `analytics/mart=<mart>`, which dagster.yaml
limits to one run per mart at a time; a job is one `dbt build` per mart, in DAG order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
)
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from orchestration.core.project import CADENCE_TAG, CADENCES, ModelInfo, check_timezone

DEFAULT_CRONS = {"hourly": "0 * * * *", "daily": "0 2 * * *", "weekly": "0 3 * * 1"}
TIMEZONE_ENV = "ANALYTICS_SCHEDULE_TIMEZONE"
REFRESH_TAG = "analytics/refresh"
MART_TAG = "analytics/mart"
TRIGGER_TAG = "analytics/trigger"
ALL_VIEWS_JOB = "refresh_views"
NO_MART = "other"


@dataclass(frozen=True)
class RefreshPlan:
    """One scheduled refresh: a job over some of a mart's `models`, run at `cron` in `timezone`."""

    job_name: str
    mart: str
    cadence: str | None
    cron: str
    timezone: str
    models: tuple[str, ...]

    @property
    def schedule_name(self) -> str:
        return f"{self.job_name}_schedule"


def default_timezone() -> str:
    return check_timezone(os.environ.get(TIMEZONE_ENV) or "UTC", TIMEZONE_ENV)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("*", "x")).strip("_")


def refresh_plans(
    models: Mapping[str, ModelInfo], timezone: str | None = None
) -> list[RefreshPlan]:
    """The scheduled refreshes: per mart, one per cadence and one per own (cron, zone)."""
    timezone = timezone or default_timezone()
    groups: dict[tuple[str, str | None, str, str, bool], list[str]] = {}
    for model in models.values():
        if model.cadence is None and not model.has_own_schedule:
            continue
        cron = model.schedule_cron or DEFAULT_CRONS[model.cadence or ""]
        zone = model.schedule_timezone or timezone
        key = (model.mart or NO_MART, model.cadence, cron, zone, model.has_own_schedule)
        groups.setdefault(key, []).append(model.name)
    plans = []
    for (mart, cadence, cron, zone, own), names in groups.items():
        name = f"refresh_{mart}_{cadence or 'custom'}"
        if own:
            name += f"_{_slug(cron)}_{_slug(zone)}"
        plans.append(RefreshPlan(name, mart, cadence, cron, zone, tuple(sorted(names))))
    order = {cadence: i for i, cadence in enumerate(CADENCES)}
    return sorted(plans, key=lambda p: (p.mart, order.get(p.cadence or "", 9), p.job_name))


def refresh_tags(trigger: str, cadence: str | None = None, mart: str | None = None) -> dict[str, str]:
    tags = {REFRESH_TAG: "true", TRIGGER_TAG: trigger}
    if cadence:
        tags[CADENCE_TAG] = cadence
    if mart:
        tags[MART_TAG] = mart
    return tags


ChecksFor = Callable[[Iterable[AssetKey]], frozenset[AssetCheckKey]]


def views_selection(keys: Iterable[AssetKey], checks_for: ChecksFor) -> AssetSelection:
    """The views and every check their `dbt build` runs (their tests and their sources')."""
    keys = list(keys)
    return AssetSelection.assets(*keys) | AssetSelection.checks(*checks_for(keys))


def plan_job(
    plan: RefreshPlan, keys: Mapping[str, AssetKey], checks_for: ChecksFor,
    python_keys: frozenset[AssetKey] = frozenset(),
) -> UnresolvedAssetJobDefinition:
    selection = views_selection((keys[m] for m in plan.models), checks_for)
    also = ""
    if python_keys:
        selection |= AssetSelection.assets(*sorted(python_keys))
        also = f", and {', '.join(k.to_user_string() for k in sorted(python_keys))} in lineage order"
    return define_asset_job(
        name=plan.job_name,
        selection=selection,
        description=f"Refresh the {plan.mart} mart's {plan.cadence or 'scheduled'} views at "
                    f"{plan.cron} ({plan.timezone}): one dbt build of {', '.join(plan.models)}"
                    f"{also}.",
        tags=refresh_tags("schedule", plan.cadence, plan.mart),
    )


def plan_schedule(plan: RefreshPlan, job: UnresolvedAssetJobDefinition) -> ScheduleDefinition:
    return ScheduleDefinition(
        name=plan.schedule_name,
        job=job,
        cron_schedule=plan.cron,
        execution_timezone=plan.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"{plan.cron} ({plan.timezone}): {', '.join(plan.models)}",
    )


def all_views_job(keys: Sequence[AssetKey], checks_for: ChecksFor) -> UnresolvedAssetJobDefinition:
    """Every view and Python asset of the project: runs select a subset."""
    return define_asset_job(
        name=ALL_VIEWS_JOB,
        selection=views_selection(keys, checks_for),
        description="Refresh any views, a subset per run (analytics refresh, the source sensor).",
        tags=refresh_tags("manual"),
    )


def build_jobs_and_schedules(
    plans: Sequence[RefreshPlan], keys: Mapping[str, AssetKey], checks_for: ChecksFor,
    python_keys: Mapping[str, frozenset[AssetKey]] | None = None,
) -> tuple[list[UnresolvedAssetJobDefinition], list[ScheduleDefinition]]:
    """A job and schedule per plan; `python_keys` adds a plan's non-dbt assets by job name."""
    extra = python_keys or {}
    jobs = [plan_job(plan, keys, checks_for, extra.get(plan.job_name, frozenset()))
            for plan in plans]
    schedules = [plan_schedule(plan, job) for plan, job in zip(plans, jobs, strict=True)]
    return jobs, schedules
