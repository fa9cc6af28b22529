{#
  get_product_segment_metadata(brand, from, to): the product table's expansion indicators, as
  the original function returns them. dbt's `functions/` resource makes scalar functions only,
  so this set-returning one is created by a post-hook of brand_product_segments, on every build.
  Its body is a plain string (not BEGIN ATOMIC), so it names the view at call time and keeps
  working after the view is rebuilt or swapped; LANGUAGE sql and STABLE let the planner inline
  it into the caller's query and use the view's indexes. Sums are cast to the declared bigint
  (SUM(bigint) is numeric: the original failed at every call), and count the weekly segments
  only (the original added weekly and monthly ones: every report twice).
#}
{% macro search_performance_segment_metadata_function() %}
  {%- set function = adapter.quote(this.schema) ~ '.get_product_segment_metadata' -%}
  {%- set signature = function ~ '(uuid, date, date)' -%}
  create or replace function {{ function }}(p_brand_id uuid, p_date_from date, p_date_to date)
  returns table (
      asin varchar(20),
      has_weekly_segments boolean,
      has_monthly_segments boolean,
      weekly_count integer,
      monthly_count integer,
      earliest_segment_date date,
      latest_segment_date date,
      total_segment_impressions bigint
  )
  language sql
  stable
  parallel safe
  as $body$
      select
          bps.asin,
          bool_or(bps.segment_type = 'weekly') as has_weekly_segments,
          bool_or(bps.segment_type = 'monthly') as has_monthly_segments,
          (count(*) filter (where bps.segment_type = 'weekly'))::integer as weekly_count,
          (count(*) filter (where bps.segment_type = 'monthly'))::integer as monthly_count,
          min(bps.earliest_date) as earliest_segment_date,
          max(bps.latest_date) as latest_segment_date,
          -- Weekly segments only: with the monthly ones every report would count twice.
          (sum(bps.asin_impressions) filter (where bps.segment_type = 'weekly'))::bigint
              as total_segment_impressions
      from {{ this }} as bps
      where bps.brand_id = p_brand_id
        and bps.period_start >= p_date_from
        and bps.period_end <= p_date_to
        and bps.asin_impressions > 0
      group by bps.asin
      order by total_segment_impressions desc nulls last, bps.asin
  $body$;
  comment on function {{ signature }} is {{ mv_literal(search_performance_function_comment()) }};
  revoke all on function {{ signature }} from public;
  {%- set grants = mv_grants_for_existing_roles({'execute': ['analytics_reader'] + var('search_performance_api_roles')}) if execute else {'execute': []} %}
  {%- for role in grants['execute'] %}
  grant execute on function {{ signature }} to {{ adapter.quote(role) }};
  {%- endfor %}
{% endmacro %}


{# The function's comment, also its description in the docs site (macros yml). #}
{% macro search_performance_function_comment() -%}
  {{ return('Segment availability per product of one brand in a date range: which ASINs have weekly and monthly segments with impressions, how many, their first and last report dates and their impressions (most first). Reads brand_product_segments, built by the dbt project (models/marts/search_performance).') }}
{%- endmacro %}
