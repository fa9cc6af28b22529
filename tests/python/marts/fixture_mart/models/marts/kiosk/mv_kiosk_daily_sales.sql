{{ config(
    unique_key=['kiosk_id', 'sale_date'],
    meta={'cadence': 'hourly'},
) }}

select
    kiosk_id,
    sold_at::date as sale_date,
    count(*) as sales,
    sum(amount) as revenue

from {{ ref('stg_kiosk__sales') }}
group by kiosk_id, sold_at::date
