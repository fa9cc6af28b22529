"""Refresh jobs and their schedules, derived from each model's cadence in the dbt manifest.

* one job and schedule per cadence, selecting exactly the models of that cadence:
  `refresh_hourly` at minute 0, `refresh_daily` at 02:00, `refresh_weekly` on Monday at 03:00;
* a model whose meta sets `schedule_cron` and/or `schedule_timezone` gets a job and schedule of
  its own, `refresh_model_<name>`, and is left out of its cadence's default one;
* `refresh_views`, every model: what `analytics refresh` and the source sensor run (a subset of
  it per request).

Schedules run in ANALYTICS_SCHEDULE_TIMEZONE (default UTC) unless a model names its own time
zone, and start RUNNING. Every refresh run carries the tag `analytics/refresh=true`, which
dagster.yaml limits to one run at a time; a job is one `dbt build` of its models, which dbt
runs in DAG order.
"""

from __future__ import annotations

import os
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

from orchestration.core.project import CADENCES, ModelInfo, check_timezone

DEFAULT_CRONS = {"hourly": "0 * * * *", "daily": "0 2 * * *", "weekly": "0 3 * * 1"}
TIMEZONE_ENV = "ANALYTICS_SCHEDULE_TIMEZONE"
REFRESH_TAG = "analytics/refresh"
TRIGGER_TAG = "analytics/trigger"
CADENCE_RUN_TAG = "analytics/cadence"
ALL_VIEWS_JOB = "refresh_views"
MODEL_JOB_PREFIX = "refresh_model_"


@dataclass(frozen=True)
class RefreshPlan:
    """One scheduled refresh: a job over `models`, run at `cron` in `timezone`."""

    job_name: str
    cadence: str | None
    cron: str
    timezone: str
    models: tuple[str, ...]

    @property
    def schedule_name(self) -> str:
        return f"{self.job_name}_schedule"


def default_timezone() -> str:
    return check_timezone(os.environ.get(TIMEZONE_ENV) or "UTC", TIMEZONE_ENV)


def refresh_plans(
    models: Mapping[str, ModelInfo], timezone: str | None = None
) -> list[RefreshPlan]:
    """The scheduled refreshes of `models`: one per cadence, one per model with its own."""
    timezone = timezone or default_timezone()
    plans = []
    for cadence in CADENCES:
        members = tuple(sorted(
            m.name for m in models.values() if m.cadence == cadence and not m.has_own_schedule
        ))
        if members:
            plans.append(RefreshPlan(f"refresh_{cadence}", cadence, DEFAULT_CRONS[cadence],
                                     timezone, members))
    for model in models.values():
        if not model.has_own_schedule:
            continue
        cron = model.schedule_cron or DEFAULT_CRONS[model.cadence or ""]
        plans.append(RefreshPlan(f"{MODEL_JOB_PREFIX}{model.name}", model.cadence, cron,
                                 model.schedule_timezone or timezone, (model.name,)))
    return plans


def refresh_tags(trigger: str, cadence: str | None = None) -> dict[str, str]:
    tags = {REFRESH_TAG: "true", TRIGGER_TAG: trigger}
    if cadence:
        tags[CADENCE_RUN_TAG] = cadence
    return tags


ChecksFor = Callable[[Iterable[AssetKey]], frozenset[AssetCheckKey]]


def views_selection(keys: Iterable[AssetKey], checks_for: ChecksFor) -> AssetSelection:
    """The views and every check their `dbt build` runs (their tests and their sources')."""
    keys = list(keys)
    return AssetSelection.assets(*keys) | AssetSelection.checks(*checks_for(keys))


def plan_job(
    plan: RefreshPlan, keys: Mapping[str, AssetKey], checks_for: ChecksFor
) -> UnresolvedAssetJobDefinition:
    own = plan.job_name.startswith(MODEL_JOB_PREFIX)
    what = f"{plan.models[0]} on its own schedule" if own else f"the {plan.cadence} views"
    return define_asset_job(
        name=plan.job_name,
        selection=views_selection((keys[m] for m in plan.models), checks_for),
        description=f"Refresh {what}: one dbt build of {', '.join(plan.models)}.",
        tags=refresh_tags("schedule", plan.cadence),
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
    return define_asset_job(
        name=ALL_VIEWS_JOB,
        selection=views_selection(keys, checks_for),
        description="Refresh any views, a subset per run (analytics refresh, the source sensor).",
        tags=refresh_tags("manual"),
    )


def build_jobs_and_schedules(
    plans: Sequence[RefreshPlan], keys: Mapping[str, AssetKey], checks_for: ChecksFor
) -> tuple[list[UnresolvedAssetJobDefinition], list[ScheduleDefinition]]:
    jobs = [plan_job(plan, keys, checks_for) for plan in plans]
    schedules = [plan_schedule(plan, job) for plan, job in zip(plans, jobs, strict=True)]
    return jobs, schedules
