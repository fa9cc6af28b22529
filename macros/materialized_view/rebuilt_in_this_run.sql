{#
  True when this invocation already rebuilt `relation` as a dependant of a rebuilt view, and
  none of the views it reads was refreshed after that: its rows are as fresh as a refresh
  would make them, so the refresh is skipped.
#}
{% macro mv_rebuilt_in_this_run(relation, relation_oid) %}
  {%- set log = adapter.quote(mv_meta_schema()) ~ '.refresh_log' -%}
  {%- set query -%}
    select exists (
        select 1 from {{ log }} r
        where r.relation = {{ mv_literal(relation.schema ~ '.' ~ relation.identifier) }}
          and r.invocation_id = {{ mv_literal(invocation_id) }}
          and r.status = 'success' and r.action = 'rebuild'
          and r.note like 'dependant recreated%'
          and not exists (
              select 1 from {{ log }} p
              where p.invocation_id = r.invocation_id and p.id > r.id and p.status = 'success'
                and p.action in ('create', 'refresh', 'refresh_concurrently', 'refresh_swap', 'refresh_incremental', 'rebuild')
                and p.relation in (
                    select pn.nspname || '.' || pc.relname
                    from pg_depend d
                    join pg_rewrite rw on rw.oid = d.objid
                    join pg_class pc on pc.oid = d.refobjid
                    join pg_namespace pn on pn.oid = pc.relnamespace
                    where rw.ev_class = {{ relation_oid }} and d.classid = 'pg_rewrite'::regclass
                      and pc.oid <> {{ relation_oid }}))
    )
  {%- endset -%}
  {{ return(run_query(query).columns[0].values()[0]) }}
{% endmacro %}
