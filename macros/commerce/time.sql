{#
  "Now" for the commerce BI mart: the refresh time, so days in stock move with each refresh,
  pinned by the var `commerce_as_of`.
#}
{% macro commerce_as_of() -%}
    {{ refresh_time('commerce_as_of') }}
{%- endmacro %}


{#
  The calendar day of a timestamptz in the shop's time zone (var `commerce_time_zone`): explicit,
  so the session's zone never moves a sale to another day.
#}
{% macro commerce_local_date(timestamp_expression) -%}
    ({{ timestamp_expression }} at time zone '{{ var("commerce_time_zone") }}')::date
{%- endmacro %}


{#
  Whole days from one timestamptz to a later one; NULL when either is NULL or the second is
  earlier (a sale before its purchase, a payout before its sale: data errors, not ages).
#}
{% macro commerce_days_between(from_ts, to_ts) -%}
    case when {{ to_ts }} >= {{ from_ts }}
         then floor(extract(epoch from ({{ to_ts }} - {{ from_ts }})) / 86400)::integer end
{%- endmacro %}
