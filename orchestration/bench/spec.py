"""What a mart gives the bench (its plug-in's `bench`): the contract, and nothing else.

A mart's plug-in (`orchestration/marts/<mart>/bench.py`) builds one `BenchSpec`: the queries its
dashboards send, how to pick their parameters from the built views, and any target figure of
its own. Everything else the bench derives: the views from dbt's manifest, the data from the
plug-in's simulator (its size = the rows of the simulator's `probe_table`).

This module stays light (no psycopg2, no dbt): `orchestration.core.marts` loads every plug-in,
and a plug-in imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from orchestration.bench.mart import Mart

SOURCE = "{source}"
SCHEMA = "{schema}"


@dataclass(frozen=True)
class DashboardQuery:
    """One question a dashboard asks, written once against `{source}`.

    On the views `{source}` is the materialized view; "raw" is the same question with `{source}`
    replaced by the view's defining SQL with every upstream view inlined, so it reads only the
    source tables and gives the rows the view would after a refresh. Parameters are psycopg2
    named values (`%(state)s`), filled from the spec's `pick_parameters`.

    `{schema}` is the view's schema (quoted), for an object the mart creates beside its view,
    such as a function reading it. A query that reaches the view through such an object rather
    than through `{source}` cannot be inlined: its `raw_sql` is the same question written
    against `{source}` (e.g. the function's body), run for the raw variant instead of `sql`."""

    name: str
    question: str
    view: str
    sql: str
    raw_sql: str | None = None

    @property
    def raw_template(self) -> str:
        """The SQL the raw variant inlines: `raw_sql` when given, else `sql`."""
        return self.raw_sql if self.raw_sql is not None else self.sql

    def on_view(self, mart: Mart) -> str:
        view = mart.view(self.view)
        return self.sql.replace(SCHEMA, quote_ident(view.schema)).replace(SOURCE, view.qualified)

    def on_raw(self, mart: Mart) -> str:
        # psycopg2 reads % as a placeholder once parameters are passed.
        inlined = mart.inlined_sql(self.view).replace("%", "%%")
        return (self.raw_template.replace(SCHEMA, quote_ident(mart.view(self.view).schema))
                .replace(SOURCE, f"(\n{inlined}\n) as {self.view}"))


def quote_ident(name: str) -> str:
    """A name quoted as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class IncrementalSpec:
    """The incremental section of a mart whose models include `refresh_strategy='incremental'`
    (see `orchestration.bench.incremental`): the chain of views refreshed together at one
    cadence, measured after new data of three kinds.

    `late_batch(cursor, clock)` writes, in the cursor's open transaction, a batch of source
    rows that arrive late (dated a week before `clock`, the run's clock) and returns what it
    wrote: at least `rows` and `keys` (and anything that describes it, e.g. `day`). The new
    hour comes from the mart's demo-data simulator (`advance`, e.g. 1h), the midnight rollover
    from pinning the clock (`analytics.as_of`) past the next midnight."""

    # The cadence whose views form the chain (config meta.cadence), refreshed in one dbt run.
    cadence: str
    late_batch: Callable[[Any, datetime], dict[str, Any]]
    # How much new data each "new hour" step appends (`analytics demo-data --advance`).
    advance: str = "1h"
    # Past midnight, by this much, for the rollover step.
    after_midnight: timedelta = timedelta(minutes=30)


class ViewReader(Protocol):
    """What a parameter picker may ask of the built views."""

    def relation(self, view: str) -> str:
        """The quoted, schema-qualified name of one of the mart's views."""
        ...

    def first(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of `sql` (None without a row)."""
        ...


def describe_parameters(params: Mapping[str, Any]) -> str:
    """The default one-line account of the parameters: name=value, ..."""
    return ", ".join(f"{k}={v}" for k, v in params.items())


@dataclass(frozen=True)
class BenchSpec:
    """A mart's bench: its dashboard queries and how to fill them in."""

    # The dashboard's questions; each names the view it reads (a view of the mart).
    queries: tuple[DashboardQuery, ...]
    # Every parameter of the queries, picked deterministically from the built views.
    pick_parameters: Callable[[ViewReader], dict[str, Any]]
    # One line saying what the picked parameters are (printed before the measurements).
    describe: Callable[[Mapping[str, Any]], str] = describe_parameters
    # Thresholds of this mart that differ from the issue's, by target id (see `targets`).
    thresholds: Mapping[str, float] = field(default_factory=dict)
    # Sections of the mart's own, by name, run first on the built mart (before the refresh
    # and dashboard sections, whose views may read what they write, e.g. a forecast): each
    # gets the bench's context and the mart and returns its figures for the results.
    sections: Mapping[str, Callable[[Any, Mart], dict[str, Any]]] = field(default_factory=dict)
    # The incremental section (when the mart has incremental models), else None.
    incremental: IncrementalSpec | None = None

    def __post_init__(self) -> None:
        names = [q.name for q in self.queries]
        if not names:
            raise ValueError("a bench needs at least one dashboard query")
        if len(set(names)) != len(names):
            raise ValueError(f"dashboard query names must be unique: {', '.join(names)}")
        # The raw variant must read the sources: through `{source}`, in `sql` or in `raw_sql`.
        unplaced = [q.name for q in self.queries if SOURCE not in q.raw_template]
        if unplaced:
            raise ValueError(f"dashboard queries without {SOURCE} (in sql, or in raw_sql when "
                             f"given): {', '.join(unplaced)}")

    @property
    def views(self) -> set[str]:
        """The views the queries read."""
        return {q.view for q in self.queries}
