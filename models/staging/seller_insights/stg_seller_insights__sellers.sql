-- One plain select: inlined into a view's query it is flattened by Postgres.
select
    seller_id,
    name as seller_name,
    latitude,
    longitude,
    time_zone as time_zone_set

from {{ source('surplus', 'sellers') }}
