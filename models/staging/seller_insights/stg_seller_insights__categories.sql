-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    category_id,
    category_name

from {{ source('surplus', 'categories') }}
