"""The dbt sources as observable source assets, one group per mart, upstream of its views.

Observing a source reads its change marker from Postgres's statistics, never the table:

    pg_relation_filenode(relid) : n_tup_ins : n_tup_upd : n_tup_del   (pg_stat_user_tables)

Any committed (or aborted) insert, update or delete grows a counter and TRUNCATE changes the
file node; one catalog lookup per table whatever its size, no lock. The marker is the source's
data version, so the UI shows when each source last changed. The source sensor reads the same
markers each tick and records an observation when one changed; "Observe sources" in the UI runs
the observation below. Caveats (stats flush delay, resets): docs/orchestration.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import psycopg2.extensions
from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    DataVersion,
    ObserveResult,
    multi_observable_source_asset,
)
from dagster_shared.utils.warnings import BetaWarning

from orchestration.defs.resources import PostgresResource

MISSING = "missing"
_MARKER_QUERY = """
select s.schemaname || '.' || s.relname,
       concat_ws(':', pg_relation_filenode(s.relid), s.n_tup_ins, s.n_tup_upd, s.n_tup_del)
from pg_stat_user_tables s
where s.schemaname || '.' || s.relname = any(%s)
"""


@dataclass(frozen=True)
class SourceAsset:
    """One dbt source table as an asset of a mart."""

    key: AssetKey
    relation: str
    mart: str
    description: str


def read_markers(conn: psycopg2.extensions.connection, relations: Sequence[str]) -> dict[str, str]:
    """The change marker of each `schema.table` (MISSING for a table that does not exist)."""
    with conn.cursor() as cur:
        cur.execute(_MARKER_QUERY, (list(relations),))
        found = {str(name): str(marker) for name, marker in cur.fetchall()}
    return {relation: found.get(relation, MISSING) for relation in relations}


def observable_sources(mart: str, sources: Sequence[SourceAsset]) -> AssetsDefinition:
    """The mart's sources, observed together (one query for all of them)."""
    by_key: Mapping[AssetKey, str] = {s.key: s.relation for s in sources}

    def observe(postgres: PostgresResource) -> Iterator[ObserveResult]:
        with postgres.connect() as conn:
            markers = read_markers(conn, sorted(by_key.values()))
        for key, relation in by_key.items():
            yield ObserveResult(asset_key=key, data_version=DataVersion(markers[relation]))

    with warnings.catch_warnings():
        # The decorator is marked beta in Dagster 1.13; its behaviour here is covered by tests.
        warnings.simplefilter("ignore", BetaWarning)
        return multi_observable_source_asset(
            name=f"{mart}_sources",
            specs=[AssetSpec(s.key, group_name=mart, description=s.description,
                             metadata={"analytics/relation": s.relation}) for s in sources],
        )(observe)
