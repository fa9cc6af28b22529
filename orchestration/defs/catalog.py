"""The project's models and sources as the code location needs them, read from the manifest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster import AssetKey
from dagster_dbt import DbtProject

from orchestration.core.project import (
    ModelInfo,
    dbt_project,
    downstream_models,
    load_manifest,
    models,
    prepare_manifest,
    sources,
)
from orchestration.defs.memory import paused_gc
from orchestration.defs.schedules import NO_MART, RefreshPlan, refresh_plans
from orchestration.defs.sources import SourceAsset
from orchestration.defs.translator import AnalyticsTranslator


@dataclass(frozen=True)
class AnalyticsCatalog:
    """The models with their asset keys and refresh plans, and the sources each mart reads."""

    project: DbtProject
    manifest: Mapping[str, Any]
    models: Mapping[str, ModelInfo]
    keys: Mapping[str, AssetKey]
    plans: list[RefreshPlan]

    @cached_property
    def marts(self) -> list[str]:
        return sorted({m.mart or NO_MART for m in self.models.values()})

    def mart_models(self, mart: str) -> list[str]:
        return [name for name, m in self.models.items() if (m.mart or NO_MART) == mart]

    @cached_property
    def sources(self) -> dict[str, list[SourceAsset]]:
        """Per mart, the source tables in its group: those its views read (a table read by two
        marts is in the first one's group; the sensor watches it for both)."""
        translator = AnalyticsTranslator()
        found: dict[str, list[SourceAsset]] = {}
        for unique_id, source in sources(self.manifest).items():
            readers = downstream_models(self.manifest, [unique_id])
            node = self.manifest["sources"][unique_id]
            key = translator.get_asset_spec(self.manifest, unique_id, self.project).key
            marts = sorted({self.models[n].mart or NO_MART for n in readers})
            for mart in marts[:1]:
                found.setdefault(mart, []).append(SourceAsset(
                    key=key, relation=source.relation, mart=mart,
                    description=str(node.get("description") or f"Source table {source.relation}.")))
        return found

    def downstream(self, mart: str) -> dict[str, frozenset[AssetKey]]:
        """Per source relation the mart reads, the mart's views downstream of it."""
        mine = set(self.mart_models(mart))
        result = {}
        for unique_id, source in sources(self.manifest).items():
            names = downstream_models(self.manifest, [unique_id]) & mine
            if names:
                result[source.relation] = frozenset(self.keys[n] for n in names)
        return result


def load_catalog(project_dir: Path | None = None) -> AnalyticsCatalog:
    with paused_gc():
        return _load_catalog(project_dir)


def _load_catalog(project_dir: Path | None) -> AnalyticsCatalog:
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
