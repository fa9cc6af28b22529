"""Refresh jobs and their schedules, one per (mart, cadence), from each model's dbt config.

* `refresh_<mart>_<cadence>`: the mart's models of that cadence, at minute 0 (hourly), 02:00
  (daily) or Monday 03:00 (weekly), so a slow mart never delays another's hourly views; with
  the mart's Python assets tagged with that cadence, run where the lineage puts them;
* models whose `meta` sets `schedule_cron` and/or `schedule_timezone` leave their cadence's job:
  those of one mart sharing a cron and a zone share one job and schedule,
  `refresh_<mart>_<cadence>_<cron>_<zone>` (e.g. `refresh_kpis_daily_0_1_x_x_x_america_bogota`);
* `refresh_views`, every model: what `analytics refresh` and the source sensor run, a subset
  per run.

A job runs its models' checks that are due at its cadence, and the mart's checks of its cadence
on views it does not refresh (`orchestration.defs.check_cadence`): a mart whose checks have a
cadence without a job gets `refresh_<mart>_<cadence>` with those checks alone.

Schedules run in ANALYTICS_SCHEDULE_TIMEZONE (default UTC) unless the models name their zone,
and start RUNNING. Every run of a mart carries `analytics/mart=<mart>`, which dagster.yaml
limits to one run per mart at a time; a job is one `dbt build` per mart, in DAG order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

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


def with_check_plans(
    plans: Sequence[RefreshPlan], check_cadences: Mapping[str, Iterable[str]],
    timezone: str | None = None,
) -> list[RefreshPlan]:
    """`plans`, and a plan without models for each (mart, cadence) of `check_cadences` (the
    cadences of a mart's checks) that has no plan of its own: the job then runs those checks."""
    have = {(p.mart, p.cadence) for p in plans if is_cadence_plan(p)}
    extra = [RefreshPlan(f"refresh_{mart}_{cadence}", mart, cadence, DEFAULT_CRONS[cadence],
                         timezone or default_timezone(), ())
             for mart, cadences in sorted(check_cadences.items()) for cadence in sorted(cadences)
             if (mart, cadence) not in have]
    order = {cadence: i for i, cadence in enumerate(CADENCES)}
    return sorted([*plans, *extra],
                  key=lambda p: (p.mart, order.get(p.cadence or "", 9), p.job_name))


def is_cadence_plan(plan: RefreshPlan) -> bool:
    """The mart's plan of a cadence at its default time (not a model's own cron or zone)."""
    return plan.cadence is not None and plan.job_name == f"refresh_{plan.mart}_{plan.cadence}"


class ChecksFor(Protocol):
    """The checks a run of `cadence` (None: a run without one) refreshing `keys` runs."""

    def __call__(self, keys: Iterable[AssetKey], cadence: str | None = None
                 ) -> frozenset[AssetCheckKey]: ...


def views_selection(keys: Iterable[AssetKey], checks_for: ChecksFor,
                    cadence: str | None = None) -> AssetSelection:
    """The views and every check their `dbt build` runs (their tests and their sources') in a
    run of `cadence`."""
    keys = list(keys)
    # `assets()` alone would bring every check of the views, due or not.
    return (AssetSelection.assets(*keys).without_checks()
            | AssetSelection.checks(*checks_for(keys, cadence)))


def plan_job(
    plan: RefreshPlan, keys: Mapping[str, AssetKey], checks_for: ChecksFor,
    python_keys: frozenset[AssetKey] = frozenset(),
    own_checks: frozenset[AssetCheckKey] = frozenset(),
) -> UnresolvedAssetJobDefinition:
    """The plan's job; `own_checks` are checks it runs without refreshing their asset."""
    selection = views_selection((keys[m] for m in plan.models), checks_for, plan.cadence)
    views = f"one dbt build of {', '.join(plan.models)}" if plan.models else "no views"
    also = ""
    if python_keys:
        selection |= AssetSelection.assets(*sorted(python_keys))
        also = f", and {', '.join(k.to_user_string() for k in sorted(python_keys))} in lineage order"
    if own_checks:
        selection |= AssetSelection.checks(*sorted(own_checks))
        also += (f"; and the {plan.cadence} checks of views it does not refresh:"
                 f" {', '.join(sorted(k.name for k in own_checks))}")
    return define_asset_job(
        name=plan.job_name,
        selection=selection,
        description=f"Refresh the {plan.mart} mart's {plan.cadence or 'scheduled'} views at "
                    f"{plan.cron} ({plan.timezone}): {views}{also}.",
        tags=refresh_tags("schedule", plan.cadence, plan.mart),
    )


def plan_schedule(plan: RefreshPlan, job: UnresolvedAssetJobDefinition) -> ScheduleDefinition:
    return ScheduleDefinition(
        name=plan.schedule_name,
        job=job,
        cron_schedule=plan.cron,
        execution_timezone=plan.timezone,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"{plan.cron} ({plan.timezone}): {', '.join(plan.models) or 'checks only'}",
    )


def all_views_job(keys: Sequence[AssetKey], checks_for: ChecksFor) -> UnresolvedAssetJobDefinition:
    """Every view and Python asset of the project: runs select a subset."""
    return define_asset_job(
        name=ALL_VIEWS_JOB,
        selection=views_selection(keys, checks_for, CADENCES[-1]),
        description="Refresh any views, a subset per run (analytics refresh, the source sensor).",
        tags=refresh_tags("manual"),
    )


def build_jobs_and_schedules(
    plans: Sequence[RefreshPlan], keys: Mapping[str, AssetKey], checks_for: ChecksFor,
    python_keys: Mapping[str, frozenset[AssetKey]] | None = None,
    own_checks: Mapping[str, frozenset[AssetCheckKey]] | None = None,
) -> tuple[list[UnresolvedAssetJobDefinition], list[ScheduleDefinition]]:
    """A job and schedule per plan; `python_keys` adds a plan's non-dbt assets by job name,
    `own_checks` the checks it runs without their asset."""
    extra = python_keys or {}
    checks = own_checks or {}
    jobs = [plan_job(plan, keys, checks_for, extra.get(plan.job_name, frozenset()),
                     checks.get(plan.job_name, frozenset()))
            for plan in plans]
    schedules = [plan_schedule(plan, job) for plan, job in zip(plans, jobs, strict=True)]
    return jobs, schedules
