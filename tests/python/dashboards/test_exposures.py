"""Each dashboard is a dbt exposure (`models/marts/<mart>/_<mart>__exposures.yml`) whose
`depends_on` is exactly the views its charts' datasets read: the docs site's lineage ends at
the dashboards and `dbt build --select +exposure:<name>` refreshes what one dashboard needs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from orchestration.core.paths import PROJECT_DIR
from orchestration.dashboards.bundle import DASHBOARDS_DIR, SHARED, load, repository_files

REF = re.compile(r"""ref\(\s*['"](\w+)['"]\s*\)""")
STATUS_SCHEMA = "analytics_meta"  # the status view: the materialization's, not a model


def _configs(group: str, kind: str) -> list[dict[str, Any]]:
    return [load(file.path(DASHBOARDS_DIR)) for file in repository_files(DASHBOARDS_DIR)
            if file.group in (group, SHARED) and file.relative.startswith(f"{kind}/")]


def _views_read(mart: str, dashboard: dict[str, Any]) -> set[str]:
    charts = {c["uuid"]: c for c in _configs(mart, "charts")}
    datasets = {d["uuid"]: d for d in _configs(mart, "datasets")}
    on_screen = [node["meta"]["uuid"] for node in dashboard["position"].values()
                 if isinstance(node, dict) and node.get("type") == "CHART"]
    tables = {(datasets[charts[uuid]["dataset_uuid"]]["schema"],
               datasets[charts[uuid]["dataset_uuid"]]["table_name"]) for uuid in on_screen}
    return {table for schema, table in tables if schema != STATUS_SCHEMA}


MARTS = sorted(p.name for p in DASHBOARDS_DIR.iterdir() if p.is_dir() and p.name != SHARED)


@pytest.mark.parametrize("mart", MARTS)
def test_each_dashboard_has_an_exposure_depending_on_exactly_the_views_it_reads(mart: str) -> None:
    path = PROJECT_DIR / "models" / "marts" / mart / f"_{mart}__exposures.yml"
    assert path.exists(), f"{mart}'s dashboards have no exposures file {path}"
    exposures = yaml.safe_load(path.read_text())["exposures"]
    by_slug = {re.search(r"/superset/dashboard/([\w-]+)/", e["url"]).group(1): e for e in exposures}
    dashboards = {d["slug"]: d for d in _configs(mart, "dashboards")}
    assert sorted(by_slug) == sorted(dashboards)
    for slug, dashboard in dashboards.items():
        exposure = by_slug[slug]
        assert exposure["type"] == "dashboard" and exposure["owner"].get("email"), exposure
        depends_on = {REF.fullmatch(item.strip()).group(1) for item in exposure["depends_on"]}
        assert depends_on == _views_read(mart, dashboard), slug


def test_the_freshness_chart_of_each_dashboard_lists_exactly_its_views() -> None:
    for mart in MARTS:
        charts = {c["uuid"]: c for c in _configs(mart, "charts")}
        datasets = {d["uuid"]: d for d in _configs(mart, "datasets")}
        for dashboard in _configs(mart, "dashboards"):
            on_screen = [charts[node["meta"]["uuid"]] for node in dashboard["position"].values()
                         if isinstance(node, dict) and node.get("type") == "CHART"]
            status = [c for c in on_screen if datasets[c["dataset_uuid"]]["schema"] == STATUS_SCHEMA]
            assert len(status) == 1, f"{dashboard['slug']}: one freshness chart, found {len(status)}"
            listed = {value for f in status[0]["params"]["adhoc_filters"]
                      if f.get("subject") == "relation_name" for value in f["comparator"]}
            assert listed == _views_read(mart, dashboard), dashboard["slug"]
