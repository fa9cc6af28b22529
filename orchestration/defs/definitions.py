"""The Dagster code location (`dagster dev` / `dagster definitions validate` load `defs`).

Everything is derived from the dbt manifest of the project in ANALYTICS_PROJECT_DIR (default:
this repository), prepared on load (`orchestration.core.project.prepare_manifest`), mart by mart:

* assets: per mart, its dbt models (one multi-asset, `orchestration.defs.dbt_assets`) with dbt
  tests as asset checks, its sources as observable assets (`sources`), and the non-dbt assets
  of `orchestration/defs/<mart>/`, if that folder exists (found automatically, in the mart's
  group);
* jobs and schedules: one per (mart, cadence) and per shared own schedule (`schedules`), and
  `refresh_views`;
* sensor: refresh on source change, a cursor per mart (`sensors`);
* resources: `dbt` (this venv's dbt on the configured server) and `postgres`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetsDefinition,
    Definitions,
    definitions,
    load_assets_from_package_module,
)

from orchestration.core.marts import load_package
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.dbt_assets import build_mart_dbt_assets, checks_for
from orchestration.defs.resources import PostgresResource, dbt_resource
from orchestration.defs.schedules import (
    ALL_VIEWS_JOB,
    ChecksFor,
    all_views_job,
    build_jobs_and_schedules,
)
from orchestration.defs.sensors import MartWatch, SourceWatch, build_source_sensor
from orchestration.defs.sources import observable_sources
from orchestration.defs.translator import AnalyticsTranslator


def build_definitions(project_dir: Path | None = None) -> Definitions:
    return definitions_for(load_catalog(project_dir))


def mart_assets(catalog: AnalyticsCatalog) -> list[AssetsDefinition]:
    """Each mart's dbt multi-asset, in mart order."""
    translator = AnalyticsTranslator()
    return [build_mart_dbt_assets(catalog.project, translator, mart) for mart in catalog.marts]


def python_assets(catalog: AnalyticsCatalog) -> list[object]:
    """The assets of `orchestration/defs/<mart>/` folders, each in its mart's group."""
    root = Path(catalog.project.project_dir) / "orchestration" / "defs"
    found: list[object] = []
    for mart in catalog.marts:
        folder = root / mart
        if (folder / "__init__.py").is_file():
            module = load_package(folder, "orchestration.defs")
            found += load_assets_from_package_module(module, group_name=mart)
    return found


def source_watch(catalog: AnalyticsCatalog, checks: ChecksFor) -> SourceWatch:
    all_keys = frozenset(catalog.keys.values())
    job_keys = {p.job_name: frozenset(catalog.keys[m] for m in p.models) for p in catalog.plans}
    job_keys[ALL_VIEWS_JOB] = all_keys
    return SourceWatch(
        marts={mart: MartWatch(catalog.downstream(mart)) for mart in catalog.marts},
        source_keys={s.relation: s.key for found in catalog.sources.values() for s in found},
        job_keys=job_keys,
        all_keys=all_keys,
        checks_for=checks,
    )


def definitions_for(catalog: AnalyticsCatalog) -> Definitions:
    resources = {"dbt": dbt_resource(catalog.project), "postgres": PostgresResource()}
    if not catalog.models:
        return Definitions(resources=resources)
    dbt_defs = mart_assets(catalog)

    def checks(keys: Iterable[AssetKey]) -> frozenset[AssetCheckKey]:
        return checks_for(dbt_defs, keys)

    jobs, schedules = build_jobs_and_schedules(catalog.plans, catalog.keys, checks)
    views_job = all_views_job(list(catalog.keys.values()), checks)
    sources = [observable_sources(mart, found) for mart, found in catalog.sources.items()]
    return Definitions(
        assets=[*dbt_defs, *sources, *python_assets(catalog)],
        jobs=[*jobs, views_job],
        schedules=schedules,
        sensors=[build_source_sensor(views_job, source_watch(catalog, checks))],
        resources=resources,
    )


@definitions
def defs() -> Definitions:
    """Loaded lazily by Dagster's tools, so importing this module builds nothing."""
    return build_definitions()
