"""The mart under test, read from the manifest of `dbt compile`: its views in DAG order, each
with the SQL the materialization runs, and that SQL with every upstream view inlined (so it
reads only sources: how the same question is answered without the views).

"View" is any model of the `materialized_view` materialization: a materialized view, or with
`refresh_strategy='incremental'` a table the materialization maintains (`View.incremental`),
which has no REFRESH; its compiled SQL, run without the slices setting, is its full build."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.bench.context import BenchContext, BenchError
from orchestration.bench.spec import quote_ident
from orchestration.core.project import dbt_project, meta_schema, model_info


@dataclass(frozen=True)
class View:
    name: str
    unique_id: str
    schema: str
    identifier: str
    relation_name: str
    compiled_sql: str
    upstream: tuple[str, ...]
    cadence: str | None
    unique_key: tuple[str, ...]
    refresh_strategy: str = "concurrently"
    # `skip_refresh_when_unchanged`: a run with no source changed skips the refresh.
    skip_unchanged: bool = False

    @property
    def incremental(self) -> bool:
        """A `refresh_strategy='incremental'` model: a table the materialization keeps from its
        source's invalidation log (no REFRESH; readers see row-level changes)."""
        return self.refresh_strategy == "incremental"

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.identifier)}"

    @property
    def regclass(self) -> str:
        return f"{self.schema}.{self.identifier}"


@dataclass(frozen=True)
class Mart:
    name: str
    views: tuple[View, ...]
    meta_schema: str
    # The dbt seeds the views read, directly or through other models (loaded before a build).
    seeds: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.views]

    def view(self, name: str) -> View:
        for view in self.views:
            if view.name == name:
                return view
        raise BenchError(f"the mart has no view {name!r} (views: {', '.join(self.names)})")

    def has(self, name: str) -> bool:
        return any(v.name == name for v in self.views)

    def inlined_sql(self, name: str) -> str:
        """The view's SQL with each upstream view replaced by its own (inlined) SQL."""
        view = self.view(name)
        sql = view.compiled_sql
        for upstream in view.upstream:
            parent = self.view(upstream)
            sql = sql.replace(parent.relation_name, f"(\n{self.inlined_sql(upstream)}\n)")
        return sql

    def selector(self) -> str:
        return f"marts.{self.name}"

    def by_cadence(self, cadence: str) -> list[str]:
        return [v.name for v in self.views if v.cadence == cadence]

    def incremental_views(self) -> list[View]:
        """The views configured with `refresh_strategy='incremental'` (tables)."""
        return [v for v in self.views if v.incremental]

    def skipping_unchanged(self) -> list[View]:
        """The views configured with `skip_refresh_when_unchanged`."""
        return [v for v in self.views if v.skip_unchanged]


def compile_mart(ctx: BenchContext, mart: str) -> Mart:
    """`dbt compile` the mart into the bench's target directory and read it back."""
    ctx.dbt(["compile", "-s", f"marts.{mart}", "--quiet"])
    return load_mart(ctx.dbt_target_dir / "manifest.json", mart,
                     meta_schema(dbt_project(ctx.project_dir)))


def load_mart(manifest_path: Path, mart: str, meta_schema_name: str) -> Mart:
    with open(manifest_path, encoding="utf-8") as handle:
        manifest: dict[str, Any] = json.load(handle)
    nodes: Mapping[str, Mapping[str, Any]] = manifest.get("nodes", {})
    members = {uid: node for uid, node in nodes.items() if _is_view_of(node, mart)}
    if not members:
        raise BenchError(f"no materialized_view model under models/marts/{mart} in {manifest_path}")
    names = {uid: str(node["name"]) for uid, node in members.items()}
    views: dict[str, View] = {}
    for uid, node in members.items():
        compiled = node.get("compiled_code")
        if not compiled:
            raise BenchError(f"{names[uid]} has no compiled SQL in {manifest_path}")
        info = model_info(node)
        upstream = tuple(sorted(names[d] for d in node["depends_on"]["nodes"] if d in members))
        views[info.name] = View(
            name=info.name,
            unique_id=uid,
            schema=info.schema,
            identifier=info.alias,
            relation_name=str(node["relation_name"]),
            compiled_sql=str(compiled).strip().rstrip(";").strip(),
            upstream=upstream,
            cadence=info.cadence,
            unique_key=info.unique_key,
            refresh_strategy=str((node.get("config") or {}).get("refresh_strategy")
                                 or "concurrently"),
            skip_unchanged=(node.get("config") or {}).get("skip_refresh_when_unchanged") is True,
        )
    return Mart(name=mart, views=tuple(_dag_order(views)), meta_schema=meta_schema_name,
                seeds=_upstream_seeds(manifest, set(members)))


def _upstream_seeds(manifest: Mapping[str, Any], members: set[str]) -> tuple[str, ...]:
    """The names of the seeds the members read, directly or through other nodes."""
    nodes: Mapping[str, Mapping[str, Any]] = {**manifest.get("nodes", {})}
    seen: set[str] = set()
    todo = list(members)
    while todo:
        node = nodes.get(todo.pop()) or {}
        for parent in (node.get("depends_on") or {}).get("nodes", []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return tuple(sorted(str(nodes[uid]["name"]) for uid in seen
                        if (nodes.get(uid) or {}).get("resource_type") == "seed"))


def _is_view_of(node: Mapping[str, Any], mart: str) -> bool:
    """A materialized view of the mart (a model under models/marts/<mart>/)."""
    return (node.get("resource_type") == "model"
            and (node.get("config") or {}).get("materialized") == "materialized_view"
            and model_info(node).mart == mart)


def _dag_order(views: Mapping[str, View]) -> list[View]:
    """Parents before children; among views ready at the same time, by name."""
    done: list[View] = []
    placed: set[str] = set()
    while len(done) < len(views):
        ready = sorted(n for n, v in views.items()
                       if n not in placed and all(u in placed for u in v.upstream))
        if not ready:
            raise BenchError("the mart's views depend on each other in a cycle")
        done.append(views[ready[0]])
        placed.add(ready[0])
    return done
