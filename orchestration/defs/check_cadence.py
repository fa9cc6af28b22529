"""Checks with a cadence of their own: a dbt test whose config sets `meta: {check_cadence: daily}`.

Every dbt test is an asset check that runs with its model (or, for a source test, with the models
reading the source). A test that is too costly for every run of its model, e.g. one recomputing a
whole hourly view to compare it with the incrementally maintained rows, says how often it is due:

    data_tests:
      - matches_full_recomputation:
          config:
            meta: {check_cadence: daily}

Such a check (`hourly`, `daily` or `weekly`; `analytics/check_cadence` in its Dagster metadata):

* runs in a run of its model whose cadence is the check's or a slower one (the daily check of a
  weekly view runs in the weekly run), never in a faster one (a daily check of an hourly view is
  left out of the hourly runs);
* runs in the mart's job of the check's cadence (`refresh_<mart>_<cadence>`, and `analytics
  refresh --cadence <cadence> --mart <mart>`) even where that job does not refresh its model: the
  daily job of a mart checks its hourly views' daily checks against the views as they are;
  a mart with such checks and no job of that cadence gets one with the checks alone;
* is left out of the runs that have no cadence: the source sensor's and `analytics refresh`
  without `--cadence` (`dbt test --select <test>` runs one by hand).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dagster import AssetCheckKey, AssetCheckSpec, AssetKey, AssetsDefinition

from orchestration.core.project import CADENCES, ProjectConfigError, node_meta

# The key of a dbt test's config meta, and the metadata key of its asset check.
CHECK_CADENCE = "check_cadence"
CHECK_CADENCE_METADATA = "analytics/check_cadence"
_RANK = {cadence: rank for rank, cadence in enumerate(CADENCES)}


def dbt_test_cadence(node: Mapping[str, Any]) -> str | None:
    """The `meta.check_cadence` of a dbt test node, checked; None when it has none."""
    value = node_meta(node).get(CHECK_CADENCE)
    if value is None:
        return None
    if value not in CADENCES:
        raise ProjectConfigError(f"test {node.get('name')}: meta.{CHECK_CADENCE} must be one of"
                                 f" {', '.join(CADENCES)}, got {value!r}")
    return str(value)


def spec_cadence(spec: AssetCheckSpec) -> str | None:
    value = (spec.metadata or {}).get(CHECK_CADENCE_METADATA)
    return None if value is None else str(getattr(value, "value", value))


def is_due(check_cadence: str | None, run_cadence: str | None) -> bool:
    """Whether a check of `check_cadence` runs in a run (of its model) of `run_cadence`."""
    if check_cadence is None:
        return True
    return run_cadence is not None and _RANK[check_cadence] <= _RANK[run_cadence]


def check_specs(assets_defs: Iterable[AssetsDefinition]) -> dict[AssetCheckKey, AssetCheckSpec]:
    """Every check spec of `assets_defs`, by key."""
    return {spec.key: spec for assets_def in assets_defs
            for spec in assets_def.node_check_specs_by_output_name.values()}


def cadence_checks(
    assets_defs: Iterable[AssetsDefinition], cadence: str | None,
    built: Iterable[AssetKey] = (),
) -> frozenset[AssetCheckKey]:
    """The checks of `cadence` on assets of `assets_defs` (their models and sources) that a run
    of that cadence runs on their own, without refreshing their asset (not in `built`)."""
    if cadence is None:
        return frozenset()
    skip = frozenset(built)
    return frozenset(key for key, spec in check_specs(assets_defs).items()
                     if spec_cadence(spec) == cadence and key.asset_key not in skip)


def cadences_by_mart(
    assets_by_mart: Mapping[str, Iterable[AssetsDefinition]],
) -> dict[str, set[str]]:
    """Per mart, the cadences its checks set."""
    found: dict[str, set[str]] = {}
    for mart, assets_defs in assets_by_mart.items():
        cadences = {c for spec in check_specs(assets_defs).values() if (c := spec_cadence(spec))}
        if cadences:
            found[mart] = cadences
    return found
