-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    id as supplier_id,
    name as supplier_name,
    contact_email,
    contact_phone,
    country as supplier_country,
    rating as supplier_rating

from {{ source('products', 'suppliers') }}
