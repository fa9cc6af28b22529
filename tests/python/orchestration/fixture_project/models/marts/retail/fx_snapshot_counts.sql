{{ config(unique_key=['dispensary_id', 'product_id'], meta={'cadence': 'hourly'}) }}
select dispensary_id, product_id, count(*) as snapshots, max(captured_at) as last_captured_at
from {{ source('retail_raw', 'inventory_snapshots') }}
group by dispensary_id, product_id
