{{ config(unique_key='dispensary_id') }}
select d.id as dispensary_id, d.name, count(p.id) as products
from {{ source('retail_raw', 'dispensaries') }} d
left join {{ source('retail_raw', 'store_products') }} p on p.dispensary_id = d.id
group by d.id, d.name
