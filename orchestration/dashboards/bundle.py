"""The dashboards as code: `dashboards/` in Superset's import/export YAML, one folder per mart.

`dashboards/_shared/` holds what every mart's dashboards use (the database, the status view's
dataset); `dashboards/<mart>/` holds a mart's datasets, charts and dashboards. Importing merges
them into one bundle; exporting writes Superset's files back to where they came from, with what
differs between installations made canonical (ids, file-name suffixes, the database's address),
so that an import followed by an export changes no file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from orchestration.core.paths import PROJECT_DIR
from orchestration.dashboards.reader_login import MASKED_PASSWORD, READER_LOGIN

DASHBOARDS_DIR = PROJECT_DIR / "dashboards"
SHARED = "_shared"
METADATA = {"version": "1.0.0", "type": "assets", "timestamp": "1970-01-01T00:00:00+00:00"}
# The database's address in the repository; the real one is set at import.
PLACEHOLDER_URI = f"postgresql+psycopg2://{READER_LOGIN}:{MASKED_PASSWORD}@localhost/analytics"
KINDS = ("databases", "datasets", "charts", "dashboards")
ID_SUFFIX = re.compile(r"_\d+\.yaml$")


class BundleError(ValueError):
    """A dashboard file cannot be placed or read; the message names it."""


@dataclass(frozen=True)
class BundleFile:
    group: str  # `_shared` or the mart's name
    relative: str  # Superset's path inside a bundle, e.g. charts/Store_ranking.yaml

    def path(self, root: Path) -> Path:
        return root / self.group / self.relative


def repository_files(root: Path = DASHBOARDS_DIR) -> list[BundleFile]:
    """Every dashboard file in the repository, in a stable order."""
    found = []
    for group_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for kind in KINDS:
            for path in sorted((group_dir / kind).rglob("*.yaml")):
                found.append(BundleFile(group_dir.name, str(path.relative_to(group_dir))))
    return found


def load(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise BundleError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(loaded, dict):
        raise BundleError(f"{path}: expected a mapping of Superset's fields")
    return loaded


def dump(config: dict[str, Any]) -> str:
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def import_contents(
    database_uri: str, root: Path = DASHBOARDS_DIR, marts: Iterable[str] | None = None
) -> dict[str, str]:
    """The repository's dashboards (or some marts') as one bundle for Superset's importer.

    Superset reads a file's kind from its first folder only, so each file is keyed
    `<kind>/<group>/...`: two marts may name files alike.
    """
    wanted = None if marts is None else {SHARED, *marts}
    contents = {"metadata.yaml": dump(METADATA)}
    for file in repository_files(root):
        if wanted is not None and file.group not in wanted:
            continue
        config = load(file.path(root))
        if file.relative.startswith("databases/"):
            config["sqlalchemy_uri"] = database_uri
        kind, rest = file.relative.split("/", 1)
        contents[f"{kind}/{file.group}/{rest}"] = dump(config)
    return contents


def canonical_name(exported: str) -> str:
    """Superset's exported path without the id suffix Superset adds to it."""
    return ID_SUFFIX.sub(".yaml", exported)


def canonical(relative: str, config: dict[str, Any]) -> dict[str, Any]:
    """What differs between two installations of the same dashboards, made the same."""
    if relative.startswith("databases/"):
        config["sqlalchemy_uri"] = PLACEHOLDER_URI
    elif relative.startswith("datasets/"):
        # Superset lists them in the order it found them; the repository keeps them by name.
        config["columns"] = sorted(config.get("columns") or [], key=lambda c: c["column_name"])
        config["metrics"] = sorted(config.get("metrics") or [], key=lambda m: m["metric_name"])
    elif relative.startswith("charts/"):
        params = config.get("params") or {}
        params.pop("dashboards", None)
        params.pop("datasource", None)
        config["query_context"] = None
    elif relative.startswith("dashboards/"):
        renumber_charts(config)
    return config


def renumber_charts(dashboard: dict[str, Any]) -> None:
    """Chart ids are the installation's: number them 1, 2, ... in the layout's order.

    Superset's importer maps them back through the charts' UUIDs in the layout and in a native
    filter's `scope.excluded`, but not in the `chartsInScope` lists, which it would keep pointing
    at another installation's charts: those are dropped (Superset derives them from the scope).
    """
    position = dashboard.get("position") or {}
    charts = [node for node in position.values() if isinstance(node, dict) and node.get("type") == "CHART"]
    numbering: dict[int, int] = {}
    for node in sorted(charts, key=lambda node: node["id"]):
        numbering.setdefault(node["meta"]["chartId"], len(numbering) + 1)
    for node in charts:
        node["meta"]["chartId"] = numbering[node["meta"]["chartId"]]
    metadata = dashboard.get("metadata") or {}
    for native_filter in metadata.get("native_filter_configuration") or []:
        native_filter.pop("chartsInScope", None)
        scope = native_filter.get("scope") or {}
        if "excluded" in scope:
            scope["excluded"] = sorted(numbering[old] for old in scope["excluded"] if old in numbering)
    for key in ("chart_configuration", "global_chart_configuration", "expanded_slices",
                "timed_refresh_immune_slices", "filter_scopes", "positions"):
        metadata.pop(key, None)
    # Written by Superset's page whenever a dashboard is viewed (the colours it gave the series):
    # a state of the installation, not of the dashboard.
    for key in ("shared_label_colors", "map_label_colors", "color_scheme_domain"):
        metadata.pop(key, None)


def write_export(
    files: dict[str, str], new_group: str | None = None, root: Path = DASHBOARDS_DIR
) -> list[Path]:
    """Write Superset's export back into the repository; returns the files written.

    A file the repository has (the same UUID) goes back where it is, under its name; a new one
    goes to `new_group` (the mart the new dashboard belongs to), or the export stops naming it.
    """
    placed = {
        load(file.path(root))["uuid"]: file for file in repository_files(root)
    } if root.exists() else {}
    targets: list[tuple[Path, dict[str, Any]]] = []
    unplaced: list[str] = []
    for exported, text in sorted(files.items()):
        relative = canonical_name(exported)
        if relative == "metadata.yaml":
            continue
        config = canonical(relative, yaml.safe_load(text))
        file = placed.get(config["uuid"]) or (BundleFile(new_group, relative) if new_group else None)
        if file is None:
            unplaced.append(relative)
            continue
        targets.append((file.path(root), config))
    if unplaced:
        raise BundleError(
            "new dashboard files, not yet in the repository: " + ", ".join(unplaced)
            + ". Export again with --mart <mart> to say which mart's folder they belong to."
        )
    for target, config in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump(config))
    return [target for target, _ in targets]


def dashboard_slugs(root: Path = DASHBOARDS_DIR) -> list[str]:
    return [load(file.path(root))["slug"] for file in repository_files(root)
            if file.relative.startswith("dashboards/")]
