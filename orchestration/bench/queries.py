"""A mart's dashboard queries (its `BenchSpec`) checked against its views, their parameters
picked from the built views, and their rows made comparable across plans."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from orchestration.bench.context import BenchContext, BenchError
from orchestration.bench.mart import Mart
from orchestration.bench.spec import BenchSpec, DashboardQuery


def queries_for(mart: Mart, spec: BenchSpec) -> list[DashboardQuery]:
    missing = sorted(spec.views - set(mart.names))
    if missing:
        raise BenchError(f"the {mart.name} dashboard queries read views the mart lacks: "
                         f"{', '.join(missing)}")
    return list(spec.queries)


def by_view(queries: list[DashboardQuery]) -> dict[str, list[DashboardQuery]]:
    grouped: dict[str, list[DashboardQuery]] = {}
    for query in queries:
        grouped.setdefault(query.view, []).append(query)
    return grouped


@dataclass(frozen=True)
class MartViews:
    """The built views as a parameter picker sees them (`spec.ViewReader`)."""

    ctx: BenchContext
    mart: Mart

    def relation(self, view: str) -> str:
        return self.mart.view(view).qualified

    def first(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> Any:
        return self.ctx.scalar(sql, tuple(params))


def pick_parameters(ctx: BenchContext, mart: Mart, spec: BenchSpec) -> dict[str, Any]:
    """The spec's parameters; each query's placeholders must all be among them."""
    params = spec.pick_parameters(MartViews(ctx, mart))
    missing = sorted({name for query in spec.queries
                      for name in placeholders(query.sql) | placeholders(query.raw_template)}
                     - set(params))
    if missing:
        raise BenchError(f"the {mart.name} bench picks no value for {', '.join(missing)}")
    return params


def placeholders(sql: str) -> set[str]:
    """The psycopg2 named placeholders of `sql` (`%(name)s`)."""
    return set(re.findall(r"%\((\w+)\)s", sql))


def normalise_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows comparable across plans: numbers rounded to 6 significant digits."""

    def value(v: Any) -> Any:
        if isinstance(v, Decimal | float):
            return float(f"{float(v):.6g}")
        if isinstance(v, datetime | date):
            return v.isoformat()
        return v

    return [tuple(value(v) for v in row) for row in rows]
