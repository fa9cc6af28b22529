-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as category_id,
    name as category_name

from {{ source('products', 'categories') }}
