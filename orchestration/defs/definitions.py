"""The Dagster code location (`dagster dev` / `dagster definitions validate` load `defs`).

Everything is derived from the dbt manifest of the project in ANALYTICS_PROJECT_DIR (default:
this repository), prepared on load (`orchestration.core.project.prepare_manifest`), mart by mart:

* assets: per mart, its dbt models (one multi-asset, `orchestration.defs.dbt_assets`) with dbt
  tests as asset checks, its sources as observable assets (`sources`), and the non-dbt assets
  of `orchestration/defs/<mart>/`, if that folder exists (found automatically, in the mart's
  group). A dbt source whose asset key is such an asset's (a table a Python asset writes) is
  that asset, not an observable source: dbt models reading it sit downstream of it, and one
  job runs dbt, then Python, then dbt (Dagster splits the dbt op around it);
* jobs and schedules: one per (mart, cadence) and per shared own schedule (`schedules`), with
  the mart's Python assets of that cadence (tag `analytics/cadence`) and the checks due at that
  cadence (`check_cadence`), and `refresh_views`;
* sensor: refresh on source change, a cursor per mart (`sensors`);
* resources: `dbt` (this venv's dbt on the configured server) and `postgres`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from orchestration.core.project import CADENCE_TAG
from orchestration.defs.catalog import AnalyticsCatalog, load_catalog
from orchestration.defs.check_cadence import cadence_checks, cadences_by_mart
from orchestration.defs.dbt_assets import build_mart_dbt_assets, checks_for
from orchestration.defs.memory import paused_gc
from orchestration.defs.resources import PostgresResource, dbt_resource
from orchestration.defs.schedules import (
    ALL_VIEWS_JOB,
    ChecksFor,
    RefreshPlan,
    all_views_job,
    build_jobs_and_schedules,
    is_cadence_plan,
    with_check_plans,
)
from orchestration.defs.sensors import MartWatch, SourceWatch, build_source_sensor
from orchestration.defs.sources import observable_sources
from orchestration.defs.translator import AnalyticsTranslator


def build_definitions(project_dir: Path | None = None) -> Definitions:
    return definitions_for(load_catalog(project_dir))


def mart_assets(catalog: AnalyticsCatalog) -> list[AssetsDefinition]:
    """Each mart's dbt multi-asset, in mart order."""
    translator = AnalyticsTranslator()
    return [build_mart_dbt_assets(catalog.project, translator, mart, catalog.manifest)
            for mart in catalog.marts]


def own_checks_by_plan(
    plans: Sequence[RefreshPlan], dbt_by_mart: Mapping[str, AssetsDefinition],
    keys: Mapping[str, AssetKey],
) -> dict[str, frozenset[AssetCheckKey]]:
    """Per mart's cadence job, the mart's checks of that cadence on views it does not refresh."""
    return {plan.job_name: cadence_checks([dbt_by_mart[plan.mart]], plan.cadence,
                                          [keys[m] for m in plan.models])
            for plan in plans if is_cadence_plan(plan) and plan.mart in dbt_by_mart}


def python_assets(catalog: AnalyticsCatalog) -> dict[str, list[AssetsDefinition]]:
    """Per mart, the assets of its `orchestration/defs/<mart>/` folder, in its group."""
    root = Path(catalog.project.project_dir) / "orchestration" / "defs"
    found: dict[str, list[AssetsDefinition]] = {}
    for mart in catalog.marts:
        folder = root / mart
        if (folder / "__init__.py").is_file():
            module = load_package(folder, "orchestration.defs")
            loaded = load_assets_from_package_module(module, group_name=mart)
            found[mart] = [a for a in loaded if isinstance(a, AssetsDefinition)]
    return found


def python_keys_by_plan(
    catalog: AnalyticsCatalog, python: Mapping[str, Sequence[AssetsDefinition]]
) -> dict[str, frozenset[AssetKey]]:
    """Per refresh plan's job, the mart's Python assets tagged with the plan's cadence."""
    found: dict[str, frozenset[AssetKey]] = {}
    for plan in catalog.plans:
        found[plan.job_name] = frozenset(
            key for assets_def in python.get(plan.mart, ()) for key in assets_def.keys
            if plan.cadence is not None
            and assets_def.tags_by_key.get(key, {}).get(CADENCE_TAG) == plan.cadence)
    return found


def source_watch(
    catalog: AnalyticsCatalog, checks: ChecksFor, produced: frozenset[AssetKey] = frozenset(),
    extra_job_keys: Mapping[str, frozenset[AssetKey]] | None = None,
) -> SourceWatch:
    """What the source sensor watches: every source but those a Python asset `produced`."""
    extra = extra_job_keys or {}
    all_keys = frozenset(catalog.keys.values()) | produced
    job_keys = {p.job_name: frozenset(catalog.keys[m] for m in p.models) | extra.get(p.job_name,
                frozenset()) for p in catalog.plans}
    job_keys[ALL_VIEWS_JOB] = all_keys
    watched = {s.relation: s.key for found in catalog.sources.values() for s in found
               if s.key not in produced}
    return SourceWatch(
        marts={mart: MartWatch({relation: keys for relation, keys
                                in catalog.downstream(mart).items() if relation in watched})
               for mart in catalog.marts},
        source_keys=watched,
        job_keys=job_keys,
        all_keys=all_keys,
        checks_for=checks,
    )


def definitions_for(catalog: AnalyticsCatalog) -> Definitions:
    with paused_gc():
        return _definitions_for(catalog)


def _definitions_for(catalog: AnalyticsCatalog) -> Definitions:
    resources = {"dbt": dbt_resource(catalog.project), "postgres": PostgresResource()}
    if not catalog.models:
        return Definitions(resources=resources)
    dbt_defs = mart_assets(catalog)
    dbt_by_mart = dict(zip(catalog.marts, dbt_defs, strict=True))

    def checks(keys: Iterable[AssetKey], cadence: str | None = None) -> frozenset[AssetCheckKey]:
        return checks_for(dbt_defs, keys, cadence)

    python = python_assets(catalog)
    produced = frozenset(key for found in python.values() for a in found for key in a.keys)
    extra = python_keys_by_plan(catalog, python)
    plans = with_check_plans(catalog.plans, cadences_by_mart(
        {mart: [assets_def] for mart, assets_def in dbt_by_mart.items()}))
    jobs, schedules = build_jobs_and_schedules(
        plans, catalog.keys, checks, extra, own_checks_by_plan(plans, dbt_by_mart, catalog.keys))
    views_job = all_views_job([*catalog.keys.values(), *sorted(produced)], checks)
    sources = [observable_sources(mart, mine) for mart, found in catalog.sources.items()
               if (mine := [s for s in found if s.key not in produced])]
    return Definitions(
        assets=[*dbt_defs, *sources, *(a for found in python.values() for a in found)],
        jobs=[*jobs, views_job],
        schedules=schedules,
        sensors=[build_source_sensor(views_job, source_watch(catalog, checks, produced, extra))],
        resources=resources,
    )


@definitions
def defs() -> Definitions:
    """Loaded lazily by Dagster's tools, so importing this module builds nothing."""
    return build_definitions()
