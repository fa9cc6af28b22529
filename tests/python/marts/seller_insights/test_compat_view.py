"""The compatibility view `seller_graph_points` (the seed's graph shape) equals the five graph
views row for row on scale S: for each graph type, its points EXCEPT ALL the points built from
that graph's view are none, and the other way round; and every seller with data has each of
its graphs once — 1 to 4 for a seller with a past valid bundle, 5 for one with a forecast
future bundle — as whole series (sort_index 0 … n-1, graph 1's and 5's two series alike).
"""

from __future__ import annotations

import pytest

from tests.python.marts.seller_insights.conftest import ANCHOR, BuiltMart, query

SCHEMA = "analytics"


def weekly(graph: int, view: str, first: tuple[str, str]) -> str:
    """The points of a weekly graph (1, 5): its `first` (series, y) and 'posted', each week's
    Monday as x, in week order."""
    return "\n        union all".join(f"""
        select seller_id, {graph}, '{series}', (row_number() over w - 1)::integer,
               to_char(week_start, 'YYYY-MM-DD'), {y}
        from {SCHEMA}.{view}
        window w as (partition by seller_id order by week_start)"""
        for series, y in (first, ("posted", "posted_units::numeric")))


# Each graph's points, built from its view as the seller app's graph tables held them.
POINTS = {
    1: weekly(1, "seller_weekly_sales_vs_posted", ("sales", "sold_units::numeric")),
    2: f"""
        select seller_id, 2, 'sell_rate', 0, 'sold', sell_through_pct
        from {SCHEMA}.seller_sell_through_rate
        union all
        select seller_id, 2, 'sell_rate', 1, 'unsold', unsold_pct
        from {SCHEMA}.seller_sell_through_rate""",
    3: f"""
        select seller_id, 3, 'categories',
               (row_number() over (partition by seller_id
                                   order by sold_units desc, category_name) - 1)::integer,
               category_name, sold_units
        from {SCHEMA}.seller_category_distribution""",
    4: f"""
        select seller_id, 4, 'time_windows',
               (row_number() over (partition by seller_id order by window_start_local) - 1)::integer,
               to_char(window_start_local, 'HH24:MI'), sold_units::numeric
        from {SCHEMA}.seller_time_window_distribution""",
    5: weekly(5, "seller_forecast_vs_posted_weekly", ("forecast", "predicted_sales")),
}
COMPAT = f"""
    select seller_id, graph_type, series_name, sort_index, x, y
    from {SCHEMA}.seller_graph_points where graph_type = %s"""


def count(mart: BuiltMart, statement: str, params: tuple = ()) -> int:
    return query(mart.settings, statement, params)[0][0]


@pytest.mark.parametrize("graph", sorted(POINTS))
def test_graph_points_equal_the_graph_view(seller_insights_mart: BuiltMart, graph: int) -> None:
    params = (graph,)
    compat = count(seller_insights_mart, f"select count(*) from ({COMPAT}) as c", params)
    assert compat > 0, f"graph {graph} has no points"
    extra = query(seller_insights_mart.settings,
                  f"({COMPAT}) except all ({POINTS[graph]}) limit 5", params)
    missing = query(seller_insights_mart.settings,
                    f"({POINTS[graph]}) except all ({COMPAT}) limit 5", params)
    assert (extra, missing) == ([], [])
    assert count(seller_insights_mart, f"select count(*) from ({POINTS[graph]}) as p") == compat


def test_no_other_graph_types(seller_insights_mart: BuiltMart) -> None:
    types = {t for (t,) in query(seller_insights_mart.settings,
                                 f"select distinct graph_type from {SCHEMA}.seller_graph_points")}
    assert types == set(POINTS)


def test_each_seller_with_data_has_each_of_its_graphs_once(
    seller_insights_mart: BuiltMart,
) -> None:
    settings = seller_insights_mart.settings
    # Sellers with a valid bundle before the load's anchor (past at the build), from the
    # sources alone, have graphs 1-4; those with a forecast future bundle graph 5. (Valid: a
    # known seller, a window not ending before it starts, units posted >= 0.)
    expected: dict[int, set[int]] = {}
    for (seller,) in query(settings, """
            select distinct b.seller_id from surplus.bundles b
            join surplus.sellers s on s.seller_id = b.seller_id
            where b.window_end >= b.window_start and b.total_qty >= 0
              and b.window_start <= %s""", (ANCHOR,)):
        expected[seller] = {1, 2, 3, 4}
    for (seller,) in query(settings, f"""
            select distinct seller_id from {SCHEMA}.seller_forecast_vs_posted"""):
        expected.setdefault(seller, set()).add(5)
    assert any(5 in graphs for graphs in expected.values())
    assert any(5 not in graphs for graphs in expected.values())
    found: dict[int, set[int]] = {}
    for seller, graph in query(settings, f"""
            select distinct seller_id, graph_type from {SCHEMA}.seller_graph_points"""):
        found.setdefault(seller, set()).add(graph)
    assert found == expected


def test_series_are_whole(seller_insights_mart: BuiltMart) -> None:
    """Each series counts its points 0 … n-1; graph 2 has its two points; the two series of
    graphs 1 and 5 have the same x in the same order."""
    settings = seller_insights_mart.settings
    broken = query(settings, f"""
        select seller_id, graph_type, series_name
        from {SCHEMA}.seller_graph_points
        group by seller_id, graph_type, series_name
        having min(sort_index) <> 0 or max(sort_index) <> count(*) - 1""")
    assert broken == []
    assert query(settings, f"""
        select seller_id from {SCHEMA}.seller_graph_points where graph_type = 2
        group by seller_id having array_agg(x order by sort_index) <> array['sold', 'unsold']
            or sum(y) <> 100""") == []
    assert query(settings, f"""
        select a.seller_id, a.graph_type, a.sort_index
        from {SCHEMA}.seller_graph_points a
        full join {SCHEMA}.seller_graph_points b
            on b.seller_id = a.seller_id and b.graph_type = a.graph_type
            and b.sort_index = a.sort_index and b.series_name = 'posted'
        where a.graph_type in (1, 5) and a.series_name <> 'posted'
            and b.x is distinct from a.x""") == []
