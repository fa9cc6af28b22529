-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    bundle_id,
    category_id

from {{ source('surplus', 'bundle_categories') }}
