-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as platform_id,
    name as platform_name,
    slug as platform_slug

from {{ source('transactions', 'platforms') }}
