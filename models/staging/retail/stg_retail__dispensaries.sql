-- One plain select, no CTEs: inlined into a view's query it is flattened by Postgres, so the
-- view's filters and joins reach the source table and its indexes.
select
    id as dispensary_id,
    name as dispensary_name,
    city,
    state as state_code,
    crawl_enabled as is_crawl_enabled

from {{ source('retail_raw', 'dispensaries') }}
