"""The seller app's reads: one seller's five graphs and upcoming forecast, as SQL over the
mart's views in schema `analytics`, with psycopg2 named parameters, for the reader role
`analytics_reader` (SELECT on the views, nothing else).

The app opened a seller's analytics page and read the graph tables (`graph`, `graph_series`,
`graph_point`); here it reads one relation, `SELLER_GRAPHS` (the compatibility view, the seed's
shape), or each graph's own view. Every read is of one seller, `%(seller_id)s`, through the
unique index of its view (which starts with `seller_id`):

  `SELLER_GRAPHS` every point of the seller's five graphs, in the app's order;
  `WEEKLY_SALES_VS_POSTED` sales and posted units of the seller's last `%(weeks)s` weeks;
  `SELL_THROUGH` the seller's sell-through and unsold shares;
  `CATEGORY_DISTRIBUTION` sales per category, the best first;
  `TIME_WINDOW_DISTRIBUTION` sales per pickup start time (the seller's local time);
  `UPCOMING_FORECAST` the seller's future bundles with their forecast, the soonest first;
  `FORECAST_WEEKS` predicted sales and posted units per coming week.
"""

from __future__ import annotations

from typing import Final

SCHEMA: Final = "analytics"

SELLER_GRAPHS: Final = """
select graph_type, series_name, sort_index, x, y
from analytics.seller_graph_points
where seller_id = %(seller_id)s
order by graph_type, series_name, sort_index
"""

WEEKLY_SALES_VS_POSTED: Final = """
select week_start, sold_units, posted_units
from analytics.seller_weekly_sales_vs_posted
where seller_id = %(seller_id)s
order by week_start desc
limit %(weeks)s
"""

SELL_THROUGH: Final = """
select sold_units, posted_units, sell_through_pct, unsold_pct
from analytics.seller_sell_through_rate
where seller_id = %(seller_id)s
"""

CATEGORY_DISTRIBUTION: Final = """
select category_name, sold_units
from analytics.seller_category_distribution
where seller_id = %(seller_id)s
order by sold_units desc, category_name
"""

TIME_WINDOW_DISTRIBUTION: Final = """
select window_start_local, sold_units
from analytics.seller_time_window_distribution
where seller_id = %(seller_id)s
order by window_start_local
"""

UPCOMING_FORECAST: Final = """
select bundle_id, window_start, posted_qty, predicted_sales, predicted_no_show_prob,
       confidence, rationale
from analytics.seller_forecast_vs_posted
where seller_id = %(seller_id)s
order by window_start, bundle_id
"""

FORECAST_WEEKS: Final = """
select week_start, predicted_sales, posted_units
from analytics.seller_forecast_vs_posted_weekly
where seller_id = %(seller_id)s
order by week_start
"""
