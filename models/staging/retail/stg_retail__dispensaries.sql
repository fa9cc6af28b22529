-- One plain select, no CTEs: inlined into a view's query it is flattened by Postgres, so the
-- view's filters and joins reach the source table and its indexes.
{#- The store's time zone (F5): var `retail_time_zone` when set (one zone for every store),
    else its state's zone from the seed, else var `retail_default_time_zone`. -#}
{%- set override = var('retail_time_zone', none) %}
select
    dispensaries.id as dispensary_id,
    dispensaries.name as dispensary_name,
    dispensaries.city,
    dispensaries.state as state_code,
    dispensaries.crawl_enabled as is_crawl_enabled,
    {% if override -%}
        {{ mv_literal(override) }}::text as time_zone
    {%- else -%}
        coalesce(
            state_time_zones.time_zone,
            {{ mv_literal(var('retail_default_time_zone', 'UTC')) }}::text
        ) as time_zone
    {%- endif %}

from {{ source('retail_raw', 'dispensaries') }} as dispensaries

left join {{ ref('retail_state_time_zones') }} as state_time_zones
    on dispensaries.state = state_time_zones.state_code
