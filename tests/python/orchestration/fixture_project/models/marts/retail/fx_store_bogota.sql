{{ config(unique_key='dispensary_id') }}
select id as dispensary_id, state, crawl_enabled
from {{ source('retail_raw', 'dispensaries') }}
