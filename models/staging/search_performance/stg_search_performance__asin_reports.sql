-- One plain select, no CTEs: inlined into a view's query it is flattened by Postgres, so the
-- view's filters and joins reach the source table and its indexes.
select
    id as asin_performance_id,
    asin,
    start_date,
    end_date,
    created_at,
    updated_at

from {{ source('sqp', 'asin_performance_data') }}
