"""The dbt models as Dagster assets: one multi-asset per mart, each running `dbt build`.

A run of any subset of a mart (a schedule's job, the source sensor's request, `analytics
refresh`) is one `dbt build --select ...` of the selected models, so dbt orders them by the
DAG; unit tests are left to development and CI, as dbt's docs advise. Each mart's op holds a
pool of its own (`analytics_refresh_<mart>`, limit 1 in dagster.yaml): two runs never refresh
the same mart's views at once, while different marts refresh side by side. The op's only run
config is `full_refresh` (a boolean, default false: `analytics refresh --full-refresh` sets it),
which adds dbt's `--full-refresh`: the materialization then rebuilds each view and swaps it in.

The checks of a run are those due at its cadence (`orchestration.defs.check_cadence`): a test
with `meta.check_cadence` slower than the run is left out, of Dagster's plan and of dbt's
selection alike (dagster-dbt always adds the source tests upstream of the selected models to
dbt's selection; the op excludes those that are not due).
"""

# No `from __future__ import annotations`: Dagster checks the op's `context` annotation at run time.
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from dagster import AssetCheckKey, AssetExecutionContext, AssetKey, AssetsDefinition, Config
from dagster_dbt import DbtProject, dbt_assets
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_UNIQUE_ID_METADATA_KEY,
    get_checks_on_sources_upstream_of_selected_assets,
)

from orchestration.core.project import keep_partial_parse, load_manifest, meta_schema
from orchestration.defs.check_cadence import is_due, spec_cadence
from orchestration.defs.refresh_log import with_refresh_metadata
from orchestration.defs.resources import AnalyticsDbtCliResource, PostgresResource
from orchestration.defs.translator import AnalyticsTranslator

POOL_PREFIX = "analytics_refresh_"
# Models outside models/marts/<mart>/ (none in this project) get an op of their own.
OTHER = "other"


class DbtBuildConfig(Config):
    """Run config of a mart's dbt op."""

    full_refresh: bool = False


def build_args(config: DbtBuildConfig, skipped_tests: Sequence[str] = ()) -> list[str]:
    """The arguments of the op's `dbt build`, leaving out the tests `skipped_tests` (FQNs).

    `--no-write-json`: no manifest.json (written twice by a build, ~0.5 s each at M on a busy
    machine) nor run_results.json in the run's target directory; the run reads dbt's events,
    and a failed run's directory keeps dbt.log."""
    args = ["build", "--exclude-resource-type", "unit_test", "--no-write-json"]
    if skipped_tests:
        args += ["--exclude", " ".join(sorted(skipped_tests))]
    return [*args, "--full-refresh"] if config.full_refresh else args


def skipped_cadence_tests(
    assets_def: AssetsDefinition, selected: Iterable[AssetCheckKey],
    manifest: Mapping[str, Any],
) -> list[str]:
    """FQNs of the tests with a check cadence whose checks this run did not select."""
    chosen = frozenset(selected)
    return [".".join(manifest["nodes"][spec.metadata[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY]]["fqn"])
            for spec in assets_def.node_check_specs_by_output_name.values()
            if spec.key not in chosen and spec_cadence(spec) is not None]


def pool_name(mart: str) -> str:
    return f"{POOL_PREFIX}{mart}"


def checks_for(
    assets_defs: Sequence[AssetsDefinition], keys: Iterable[AssetKey], cadence: str | None = None
) -> frozenset[AssetCheckKey]:
    """The checks a `dbt build` of `keys` in a run of `cadence` (None: a run without one, the
    sensor's or a selection's) runs: their own tests and those of their sources, but the tests
    whose check cadence is slower than the run's.

    dagster-dbt always adds the tests of the sources upstream of the selected models to the
    dbt selection; selecting them in Dagster too records them as planned checks instead of
    warning that an unselected check ran.
    """
    selected = frozenset(keys)
    found: set[AssetCheckKey] = set()
    for assets_def in assets_defs:
        mine = selected & assets_def.keys
        if mine:
            found |= {spec.key for spec in assets_def.check_specs if spec.asset_key in mine}
            found |= set(get_checks_on_sources_upstream_of_selected_assets(assets_def, mine))
    specs = {spec.key: spec for assets_def in assets_defs
             for spec in assets_def.node_check_specs_by_output_name.values()}
    return frozenset(key for key in found if is_due(spec_cadence(specs[key]), cadence))


def build_mart_dbt_assets(
    project: DbtProject, translator: AnalyticsTranslator, mart: str,
    manifest: Mapping[str, Any] | None = None,
) -> AssetsDefinition:
    """`@dbt_assets` over the models of one mart (the project's manifest, loaded once by the
    caller or here, must be prepared)."""
    manifest = dict(manifest) if manifest is not None else load_manifest(project)
    schema = meta_schema(project)
    model_names = {
        unique_id: str(node["name"])
        for unique_id, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "model"
    }
    selection = {"select": "fqn:*", "exclude": "fqn:marts"} if mart == OTHER \
        else {"select": f"fqn:marts.{mart}"}

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=translator,
        name=f"{mart}_dbt_models",
        pool=pool_name(mart),
        **selection,
    )
    def mart_dbt_models(
        context: AssetExecutionContext, dbt: AnalyticsDbtCliResource, postgres: PostgresResource,
        config: DbtBuildConfig,
    ) -> Iterator[Any]:
        skipped = skipped_cadence_tests(context.assets_def, context.selected_asset_check_keys,
                                        manifest)
        invocation = dbt.cli(build_args(config, skipped), context=context)
        yield from with_refresh_metadata(invocation.stream(), postgres, schema, model_names,
                                         context.asset_key_for_output)
        keep_partial_parse(invocation.target_path)
        # Each run gets its own target/dagster/<op>-<run>-<id>/; keep failed ones only.
        shutil.rmtree(invocation.target_path, ignore_errors=True)

    return mart_dbt_models
