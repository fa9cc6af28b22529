{#
  The `incremental` config of a model with refresh_strategy 'incremental', checked before
  anything runs: which source's writes are logged, by which key and time columns, and how a
  logged time becomes the first model day to recompute (docs/materialized-view.md,
  "Incremental refresh").
#}
{% macro mv_incremental_config() -%}
  {%- set given = config.get('incremental') or {} -%}
  {%- set where = model.name ~ ": config incremental" -%}
  {%- if given is not mapping -%}
    {{ exceptions.raise_compiler_error(where ~ " must be a mapping, got '" ~ given ~ "'") }}
  {%- endif -%}
  {%- for name in ['source', 'key', 'source_time', 'time_column'] -%}
    {%- if not given.get(name) -%}
      {{ exceptions.raise_compiler_error(where ~ "." ~ name ~ " is required with refresh_strategy 'incremental' (see docs/materialized-view.md)") }}
    {%- endif -%}
  {%- endfor -%}
  {%- set source_parts = given.source if given.source is not string else given.source.split('.') -%}
  {%- if source_parts | length != 2 -%}
    {{ exceptions.raise_compiler_error(where ~ ".source must be [source_name, table_name], got '" ~ given.source ~ "'") }}
  {%- endif -%}
  {%- set key = [given.key] if given.key is string else given.key -%}
  {%- set slice_day = given.get('slice_day') or "({time} at time zone 'UTC')::date" -%}
  {%- if '{time}' not in slice_day -%}
    {{ exceptions.raise_compiler_error(where ~ ".slice_day must contain {time} (the earliest changed instant), got '" ~ slice_day ~ "'") }}
  {%- endif -%}
  {%- set limit = given.get('full_rebuild_above', 1000000) -%}
  {%- if limit is not number or limit < 1 -%}
    {{ exceptions.raise_compiler_error(where ~ ".full_rebuild_above must be a positive number of slice-days, got '" ~ limit ~ "'") }}
  {%- endif -%}
  {{ return({'source': source(source_parts[0], source_parts[1]).include(database=false),
             'key': key, 'source_time': given.source_time, 'time_column': given.time_column,
             'slice_day': slice_day, 'expired': given.get('expired'),
             'full_rebuild_above': limit}) }}
{%- endmacro %}
