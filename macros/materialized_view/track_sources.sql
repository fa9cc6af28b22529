{#
  skip_refresh_when_unchanged, before the run takes its locks: installs the change trigger on
  each table the view reads that lacks it, each in a statement of its own (committed at once:
  CREATE TRIGGER blocks the table's writers while its transaction lasts), then compacts their
  change rows. Returns why it could not install on a table (by OID); mv_check_sources then
  refreshes and says so.
#}
{% macro mv_track_sources(existing) %}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {%- set sources = mv_sources(existing) -%}
  {%- set failed = {} -%}
  {%- for source in sources if source.install -%}
    {%- set error = run_query('select ' ~ meta ~ '.mv_track_source(' ~ source.oid ~ ')').columns[0].values()[0] -%}
    {%- if error is not none -%}{%- do failed.update({source.oid: error}) -%}{%- endif -%}
  {%- endfor -%}
  {{ mv_compact_source_changes(sources | selectattr('oid') | map(attribute='oid') | list) }}
  {{ return(failed) }}
{% endmacro %}
