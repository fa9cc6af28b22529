{#
  Folds the change rows of the given relations into their per-relation count, so counting
  them stays cheap. One statement deletes the rows and adds their number to the count, so
  every reader sees either both or neither and the total never moves; rows of writes not yet
  committed are not seen, so not deleted. One compaction at a time (a try-lock: a run that
  finds another one at it leaves it be). Counts are never deleted, so a relation's count only
  grows, even for a new relation that reuses a dropped one's OID.
#}
{% macro mv_compact_source_changes(oids) %}
  {%- if oids | length == 0 -%}{{ return('') }}{%- endif -%}
  {%- set meta = adapter.quote(mv_meta_schema()) -%}
  {% call statement('mv_compact_source_changes') %}
    do $mv_compact$
    begin
        if pg_try_advisory_xact_lock(hashtext('mv_compact_source_changes')) then
            with gone as (
                delete from {{ meta }}.source_changes
                 where relid = any (array[{{ oids | join(', ') }}]::oid[])
                returning relid
            )
            insert into {{ meta }}.source_change_counts as k (relid, changes)
            select relid, count(*) from gone group by relid
            on conflict (relid) do update set changes = k.changes + excluded.changes;
        end if;
    end
    $mv_compact$
  {% endcall %}
{% endmacro %}
