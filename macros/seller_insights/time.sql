{#
  "Now" for the seller insights mart: the refresh time, which splits past bundles (graphs) from
  future ones (the forecast), pinned by the var `seller_insights_as_of`.
#}
{% macro seller_insights_now() -%}
    {{ refresh_time('seller_insights_as_of') }}
{%- endmacro %}


{#
  A timestamptz as the seller's wall-clock time (timestamp without time zone) in `time_zone`,
  a resolved zone name (int_seller_insights__sellers): explicit, never the session's zone.
#}
{% macro seller_insights_local(timestamp_expression, time_zone) -%}
    ({{ timestamp_expression }} at time zone {{ time_zone }})
{%- endmacro %}


{# The seller's ISO week (its Monday) of a timestamptz, in the seller's zone. #}
{% macro seller_insights_week_start(timestamp_expression, time_zone) -%}
    date_trunc('week', {{ seller_insights_local(timestamp_expression, time_zone) }})::date
{%- endmacro %}


{# The seller's local calendar day of a timestamptz. #}
{% macro seller_insights_local_date(timestamp_expression, time_zone) -%}
    {{ seller_insights_local(timestamp_expression, time_zone) }}::date
{%- endmacro %}


{# The seller's local time of day of a timestamptz, to the minute (seconds dropped). #}
{% macro seller_insights_local_time(timestamp_expression, time_zone) -%}
    date_trunc('minute', {{ seller_insights_local(timestamp_expression, time_zone) }})::time
{%- endmacro %}
