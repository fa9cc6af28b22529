{{ config(
    unique_key=['kiosk_id'],
    meta={'cadence': 'daily', 'functions': ['kiosk_best_day(integer)']},
    post_hook="
        create or replace function {{ this.schema }}.kiosk_best_day(p_kiosk integer)
        returns setof date language sql stable
        begin atomic
            select best_day from {{ this }} where kiosk_id = p_kiosk;
        end",
) }}

select distinct on (kiosk_id)
    kiosk_id,
    sale_date as best_day,
    revenue

from {{ ref('mv_kiosk_daily_sales') }}
order by kiosk_id, revenue desc, sale_date
