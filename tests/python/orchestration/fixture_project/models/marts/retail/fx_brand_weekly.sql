{{ config(unique_key='brand', meta={'cadence': 'weekly'}) }}
select coalesce(brand, 'unknown') as brand, count(*) as listings
from {{ source('retail_raw', 'store_products') }}
group by coalesce(brand, 'unknown')
