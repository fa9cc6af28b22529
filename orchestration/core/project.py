"""The dbt project as Dagster sees it: its `DbtProject`, its manifest and what the manifest says
about each model (cadence, schedule override, unique key, relation, upstream sources).

Everything the orchestration derives (assets, schedules, the source sensor, `analytics refresh`
and `analytics status`) reads the models from here, so no model name is written in Python.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dagster._utils import run_with_concurrent_update_guard
from dagster._utils.schedules import is_valid_cron_string
from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer
from dagster_shared.record import replace

from orchestration.core.dbt import dbt_executable
from orchestration.core.paths import PROJECT_DIR

CADENCES = ("hourly", "daily", "weekly")
# The tag and metadata key a view's cadence is shown under, on assets and runs alike.
CADENCE_TAG = "analytics/cadence"
PARTIAL_PARSE = "partial_parse.msgpack"
TARGET_PATH = Path("target", "dagster")
# Files whose change makes target/manifest.json stale.
_SOURCE_SUFFIXES = (".sql", ".yml", ".yaml", ".md", ".csv", ".py")


class ProjectConfigError(ValueError):
    """A model's orchestration settings in dbt config `meta` cannot be used."""


@dataclass(frozen=True)
class ModelInfo:
    """One dbt model, as the orchestration needs it."""

    name: str
    unique_id: str
    schema: str
    alias: str
    materialized: str
    mart: str | None
    cadence: str | None
    schedule_cron: str | None
    schedule_timezone: str | None
    unique_key: tuple[str, ...]
    description: str

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.alias}"

    @property
    def has_own_schedule(self) -> bool:
        return self.schedule_cron is not None or self.schedule_timezone is not None


@dataclass(frozen=True)
class SourceTable:
    """One dbt source table: its unique id and where it lives."""

    unique_id: str
    source_name: str
    name: str
    schema: str
    identifier: str

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.identifier}"


class VenvDbtPreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's preparer (`dbt parse`), run with this venv's dbt whatever PATH says."""

    def prepare(self, project: DbtProject) -> None:
        run_with_concurrent_update_guard(project.manifest_path, self._parse, project=project)

    def _parse(self, project: DbtProject) -> None:
        dbt = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
        dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()


def dbt_project(project_dir: Path | None = None) -> DbtProject:
    """The project's `DbtProject`; `profiles.yml` sits in the project directory.

    Its manifest is parsed into `target/dagster/`, away from `target/manifest.json`, so a
    `dbt build` started by hand at the same time cannot clobber the one Dagster reads.
    """
    directory = Path(project_dir or PROJECT_DIR).resolve()
    project = DbtProject(project_dir=directory, profiles_dir=directory, target_path=TARGET_PATH)
    return replace(project, preparer=VenvDbtPreparer())


def prepare_manifest(project: DbtProject) -> Path:
    """Make `target/manifest.json` current and return its path.

    Under `dagster dev` dagster-dbt re-parses on every code load (`prepare_if_dev`). Anywhere
    else (`dagster definitions validate`, the CLI, tests) the project is parsed only when the
    manifest is missing or older than a file of the project, so a fresh clone just works.
    `dbt parse` renders profiles.yml but does not connect to the database.
    """
    project.prepare_if_dev()
    if manifest_is_stale(project):
        project.preparer.prepare(project)
    return project.manifest_path


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(path.stat().st_mtime > built for path in _project_files(project.project_dir))


def _project_files(project_dir: Path) -> Iterable[Path]:
    config = _dbt_project_yml(project_dir)
    yield project_dir / "dbt_project.yml"
    yield from (p for p in (project_dir / "profiles.yml",) if p.exists())
    for key, default in (("model-paths", ["models"]), ("macro-paths", ["macros"]),
                         ("test-paths", ["tests"]), ("seed-paths", ["seeds"]),
                         ("snapshot-paths", ["snapshots"]), ("analysis-paths", ["analyses"])):
        for folder in config.get(key, default):
            root = project_dir / folder
            if root.is_dir():
                yield from (p for p in root.rglob("*") if p.suffix in _SOURCE_SUFFIXES)


def _dbt_project_yml(project_dir: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    return loaded if isinstance(loaded, dict) else {}


def meta_schema(project: DbtProject) -> str:
    """Where the materialization keeps refresh_log and mv_status (dbt var `mv_meta_schema`)."""
    value = (_dbt_project_yml(project.project_dir).get("vars") or {}).get("mv_meta_schema")
    if not value:
        raise ProjectConfigError(f"{project.project_dir / 'dbt_project.yml'}: set var mv_meta_schema"
                                 " (the schema of the materialization's refresh log)")
    schema = str(value)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ProjectConfigError(f"var mv_meta_schema must be a plain identifier, got {schema!r}")
    return schema


def load_manifest(project: DbtProject) -> dict[str, Any]:
    with open(project.manifest_path, encoding="utf-8") as handle:
        manifest: dict[str, Any] = json.load(handle)
    return manifest


def node_meta(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """The node's meta: `config.meta` (folder `+meta:` and model config) over top-level `meta`."""
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def model_info(node: Mapping[str, Any]) -> ModelInfo:
    """Read and check one model node's orchestration settings."""
    name = str(node["name"])
    meta = node_meta(node)
    config = node.get("config") or {}
    cadence = meta.get("cadence")
    if cadence is not None and cadence not in CADENCES:
        raise ProjectConfigError(
            f"model {name}: meta.cadence must be one of {', '.join(CADENCES)}, got {cadence!r}"
        )
    cron = meta.get("schedule_cron")
    if cron is not None and not (isinstance(cron, str) and is_valid_cron_string(cron)):
        raise ProjectConfigError(f"model {name}: meta.schedule_cron is not a cron string: {cron!r}")
    timezone = meta.get("schedule_timezone")
    if timezone is not None:
        check_timezone(str(timezone), f"model {name}: meta.schedule_timezone")
    if (cron or timezone) and cadence is None and cron is None:
        raise ProjectConfigError(
            f"model {name}: meta.schedule_timezone needs meta.cadence or meta.schedule_cron"
        )
    raw_key = config.get("unique_key")
    unique_key = (raw_key,) if isinstance(raw_key, str) else tuple(raw_key or ())
    fqn = list(node.get("fqn") or [])
    mart = fqn[2] if len(fqn) > 3 and fqn[1] == "marts" else None
    return ModelInfo(
        name=name,
        unique_id=str(node["unique_id"]),
        schema=str(node["schema"]),
        alias=str(node.get("alias") or name),
        materialized=str(config.get("materialized") or ""),
        mart=mart,
        cadence=cadence,
        schedule_cron=cron,
        schedule_timezone=str(timezone) if timezone is not None else None,
        unique_key=tuple(str(k) for k in unique_key),
        description=str(node.get("description") or ""),
    )


def check_timezone(name: str, what: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProjectConfigError(f"{what}: unknown time zone {name!r}") from None
    return name


def is_asset_model(node: Mapping[str, Any]) -> bool:
    """A model that builds a relation; ephemeral ones are inlined and are no Dagster asset."""
    materialized = (node.get("config") or {}).get("materialized")
    return node.get("resource_type") == "model" and materialized != "ephemeral"


def models(manifest: Mapping[str, Any]) -> dict[str, ModelInfo]:
    """Every enabled, non-ephemeral model of the project, by name."""
    found = {}
    for node in manifest.get("nodes", {}).values():
        if is_asset_model(node):
            info = model_info(node)
            found[info.name] = info
    return dict(sorted(found.items()))


def sources(manifest: Mapping[str, Any]) -> dict[str, SourceTable]:
    """Every source table, by unique id."""
    return {
        unique_id: SourceTable(
            unique_id=unique_id,
            source_name=str(node["source_name"]),
            name=str(node["name"]),
            schema=str(node["schema"]),
            identifier=str(node.get("identifier") or node["name"]),
        )
        for unique_id, node in sorted(manifest.get("sources", {}).items())
    }


def downstream_models(manifest: Mapping[str, Any], unique_ids: Iterable[str]) -> set[str]:
    """Names of the (non-ephemeral) models that depend, directly or not, on any of `unique_ids`."""
    child_map: Mapping[str, list[str]] = manifest.get("child_map", {})
    nodes = manifest.get("nodes", {})
    seen: set[str] = set()
    pending = list(unique_ids)
    while pending:
        for child in child_map.get(pending.pop(), []):
            if child not in seen:
                seen.add(child)
                pending.append(child)
    return {nodes[u]["name"] for u in seen if is_asset_model(nodes.get(u, {}))}


def tags(manifest: Mapping[str, Any]) -> set[str]:
    return {
        str(tag)
        for node in manifest.get("nodes", {}).values()
        if is_asset_model(node)
        for tag in node.get("tags") or []
    }


def sources_read_by(manifest: Mapping[str, Any], model_ids: Iterable[str]) -> set[str]:
    """Unique ids of the sources the models read, directly or through ephemeral models."""
    nodes = manifest.get("nodes", {})
    found: set[str] = set()
    pending, seen = list(model_ids), set()
    while pending:
        unique_id = pending.pop()
        if unique_id in seen:
            continue
        seen.add(unique_id)
        for parent in (nodes.get(unique_id, {}).get("depends_on") or {}).get("nodes") or []:
            if parent.startswith("source."):
                found.add(parent)
            elif parent in nodes:
                pending.append(parent)
    return found


def keep_partial_parse(run_target: Path) -> None:
    """Make this run's dbt parse the one the next run starts from.

    dagster-dbt seeds each run's target directory (a child of the shared target/dagster/) with
    the shared `partial_parse.msgpack`; dbt re-parses everything when the environment variables
    profiles.yml reads differ from that file's, so the run's own file is copied back
    (atomically). Why it matters: docs/orchestration.md.
    """
    source = run_target / PARTIAL_PARSE
    if not source.is_file():
        return
    staged = run_target.parent / f".{PARTIAL_PARSE}.{os.getpid()}"
    shutil.copyfile(source, staged)
    os.replace(staged, run_target.parent / PARTIAL_PARSE)
