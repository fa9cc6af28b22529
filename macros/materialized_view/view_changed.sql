{#
  Statement that counts a change of the view's rows (a create, refresh or swap, in its
  guarded block): the marker of the view for the views that read it with
  skip_refresh_when_unchanged. Only runs holding the view's lock write it, so the counter
  row has no contention; it commits with the new rows, so a reader counts it exactly when
  it can see them.
#}
{% macro mv_view_changed_sql(relation) -%}
  insert into {{ adapter.quote(mv_meta_schema()) }}.source_change_counts as k (relid, changes)
  values ({{ mv_literal(relation.render()) }}::regclass, 1)
  on conflict (relid) do update set changes = k.changes + 1
{%- endmacro %}
