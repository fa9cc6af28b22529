"""The Dagster code location (`dagster dev` / `dagster definitions validate` load `defs`).

Everything is derived from the dbt manifest of the project in ANALYTICS_PROJECT_DIR (default:
this repository), prepared on load (see `orchestration.project.prepare_manifest`):

* assets: every dbt model (`orchestration.assets`), dbt tests as asset checks;
* jobs and schedules: one per cadence, one per model with its own schedule, and
  `refresh_views` (`orchestration.schedules`);
* sensor: refresh on source change (`orchestration.sensors`);
* resources: `dbt` (this venv's dbt on the configured server) and `postgres`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetCheckKey, AssetKey, Definitions, definitions
from dagster_dbt import DbtProject

from orchestration.defs.dbt_assets import build_dbt_assets, checks_for
from orchestration.core.project import (
    ModelInfo,
    dbt_project,
    downstream_models,
    load_manifest,
    models,
    prepare_manifest,
    sources,
)
from orchestration.defs.resources import PostgresResource, dbt_resource
from orchestration.defs.schedules import (
    ALL_VIEWS_JOB,
    ChecksFor,
    RefreshPlan,
    all_views_job,
    build_jobs_and_schedules,
    refresh_plans,
)
from orchestration.defs.sensors import SourceWatch, build_source_sensor
from orchestration.defs.translator import AnalyticsTranslator


@dataclass(frozen=True)
class AnalyticsCatalog:
    """The project's models with their asset keys and refresh plans, read from the manifest."""

    project: DbtProject
    manifest: Mapping[str, Any]
    models: Mapping[str, ModelInfo]
    keys: Mapping[str, AssetKey]
    plans: list[RefreshPlan]

    def source_watch(self, checks: ChecksFor | None = None) -> SourceWatch:
        downstream = {}
        for unique_id, source in sources(self.manifest).items():
            names = downstream_models(self.manifest, [unique_id])
            if names:
                downstream[source.relation] = frozenset(self.keys[n] for n in names)
        all_keys = frozenset(self.keys.values())
        job_keys = {p.job_name: frozenset(self.keys[m] for m in p.models) for p in self.plans}
        job_keys[ALL_VIEWS_JOB] = all_keys
        return SourceWatch(downstream=downstream, job_keys=job_keys, all_keys=all_keys,
                           checks_for=checks)


def load_catalog(project_dir: Path | None = None) -> AnalyticsCatalog:
    project = dbt_project(project_dir)
    prepare_manifest(project)
    manifest = load_manifest(project)
    found = models(manifest)
    translator = AnalyticsTranslator()
    keys = {
        name: translator.get_asset_spec(manifest, info.unique_id, project).key
        for name, info in found.items()
    }
    return AnalyticsCatalog(project, manifest, found, keys, refresh_plans(found))


def build_definitions(project_dir: Path | None = None) -> Definitions:
    return definitions_for(load_catalog(project_dir))


def definitions_for(catalog: AnalyticsCatalog) -> Definitions:
    resources = {"dbt": dbt_resource(catalog.project), "postgres": PostgresResource()}
    if not catalog.models:
        return Definitions(resources=resources)
    assets = build_dbt_assets(catalog.project, AnalyticsTranslator())

    def checks(keys: Iterable[AssetKey]) -> frozenset[AssetCheckKey]:
        return checks_for(assets, keys)

    jobs, schedules = build_jobs_and_schedules(catalog.plans, catalog.keys, checks)
    views_job = all_views_job(list(catalog.keys.values()), checks)
    return Definitions(
        assets=[assets],
        jobs=[*jobs, views_job],
        schedules=schedules,
        sensors=[build_source_sensor(views_job, catalog.source_watch(checks))],
        resources=resources,
    )


@definitions
def defs() -> Definitions:
    """Loaded lazily by Dagster's tools, so importing this module builds nothing."""
    return build_definitions()
