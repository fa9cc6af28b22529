-- Replace the content of sqp. The demo-data engine runs these steps in one transaction, after
-- it truncated the schema's tables and dropped their indexes and constraints (both are bulk
-- tables), and recreates them afterwards; public's two tables are filled at the same time by
-- another session, and both commit together. Rows go in id order, which is (week, ASIN) order
-- like a weekly loader's.

-- step: asin_performance_data
insert into sqp.asin_performance_data (id, asin, start_date, end_date, created_at, updated_at)
select report_id, asin, start_date, end_date, created_at, updated_at
from search_performance_sim.reports
order by report_id;

-- step: search_query_performance
insert into sqp.search_query_performance (
    id, asin_performance_id, search_query, search_query_score, search_query_volume,
    total_query_impression_count, asin_impression_count, total_click_count, asin_click_count,
    total_cart_add_count, asin_cart_add_count, total_purchase_count, asin_purchase_count,
    asin_median_purchase_price, created_at, updated_at)
select
    id, asin_performance_id, search_query, search_query_score, search_query_volume,
    total_query_impression_count, asin_impression_count, total_click_count, asin_click_count,
    total_cart_add_count, asin_cart_add_count, total_purchase_count, asin_purchase_count,
    asin_median_purchase_price, created_at, updated_at
from search_performance_sim.query_out
order by id;

-- step: identities
-- The ids were given explicitly: rows inserted later (by hand, by tests) get the next ones.
select
    setval(pg_get_serial_sequence('sqp.asin_performance_data', 'id'),
           coalesce((select max(id) from sqp.asin_performance_data), 0) + 1, false),
    setval(pg_get_serial_sequence('sqp.search_query_performance', 'id'),
           coalesce((select max(id) from sqp.search_query_performance), 0) + 1, false);
