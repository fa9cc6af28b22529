"""How each dbt model becomes a Dagster asset.

`AnalyticsTranslator` keeps dagster-dbt's asset keys and dependencies (a model's key is
`<schema>/<name>`, a source's `<source>/<table>`) and adds what the views are about:

* group: the model's dbt group (`+group` per mart folder in dbt_project.yml), else its mart,
  the folder under `models/marts/`; models elsewhere by their top folder, or `default`;
* metadata: `analytics/cadence`, `analytics/unique_key`, `analytics/relation` and, for a model
  with its own schedule, `analytics/schedule_cron` / `analytics/schedule_timezone`;
* tags: `analytics/cadence=<hourly|daily|weekly>` (filterable in the UI) besides the dbt tags;
* description: the dbt description, or a line naming the relation and cadence when it has none
  (instead of dagster-dbt's default of the raw SQL);
* freshness policy: from the cadence (see `orchestration.defs.freshness`);
* on a check, `analytics/check_cadence` from the dbt test's `meta.check_cadence` (see
  `orchestration.defs.check_cadence`), also named in its description.

dbt tests become asset checks, source tests included (checks on the source assets, which
`orchestration.defs.sources` defines as observable assets), so a `dbt build` of a cadence also
runs the tests of the sources it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetCheckSpec, AssetSpec, MetadataValue
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject
from dagster_shared.record import replace

from orchestration.core.project import CADENCE_TAG, model_info
from orchestration.defs.check_cadence import CHECK_CADENCE_METADATA, dbt_test_cadence
from orchestration.defs.freshness import freshness_policy

DEFAULT_GROUP = "default"


class AnalyticsTranslator(DagsterDbtTranslator):
    """dagster-dbt's translator with marts as groups and cadence-driven metadata and freshness."""

    def __init__(self) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True,
                enable_source_tests_as_checks=True,
            )
        )

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") != "model":
            return spec
        policy = freshness_policy(model_info(props).cadence)
        return spec if policy is None else spec.replace_attributes(freshness_policy=policy)

    def get_asset_check_spec(
        self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str,
        project: DbtProject | None,
    ) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        cadence = dbt_test_cadence(manifest["nodes"][unique_id]) if spec else None
        if spec is None or cadence is None:
            return spec
        note = f"Runs {cadence} (meta.check_cadence), not in faster runs."
        return replace(spec, metadata={**spec.metadata, CHECK_CADENCE_METADATA: cadence},
                       description=f"{spec.description}\n\n{note}" if spec.description else note)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        configured = super().get_group_name(dbt_resource_props)
        if configured or dbt_resource_props.get("resource_type") != "model":
            return configured
        info = model_info(dbt_resource_props)
        if info.mart:
            return info.mart
        fqn = list(dbt_resource_props.get("fqn") or [])
        return fqn[1] if len(fqn) > 2 else DEFAULT_GROUP

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        if dbt_resource_props.get("resource_type") != "model":
            return metadata
        info = model_info(dbt_resource_props)
        metadata[CADENCE_TAG] = MetadataValue.text(info.cadence or "none")
        metadata["analytics/relation"] = MetadataValue.text(info.relation)
        metadata["analytics/unique_key"] = MetadataValue.text(", ".join(info.unique_key) or "none")
        if info.schedule_cron:
            metadata["analytics/schedule_cron"] = MetadataValue.text(info.schedule_cron)
        if info.schedule_timezone:
            metadata["analytics/schedule_timezone"] = MetadataValue.text(info.schedule_timezone)
        return metadata

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        if dbt_resource_props.get("resource_type") == "model":
            cadence = model_info(dbt_resource_props).cadence
            if cadence:
                tags[CADENCE_TAG] = cadence
        return tags

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        if dbt_resource_props.get("resource_type") != "model":
            return super().get_description(dbt_resource_props)
        info = model_info(dbt_resource_props)
        if info.description.strip():
            return info.description
        refreshed = f"refreshed {info.cadence}" if info.cadence else "refreshed on demand"
        return f"`{info.relation}` ({info.materialized}, {refreshed})."
