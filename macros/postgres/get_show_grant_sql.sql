{#
  information_schema.role_table_grants has no materialized views, so dbt could neither see
  nor revoke their grants. Read the ACL itself.
#}
{%- macro postgres__get_show_grant_sql(relation) -%}
  select pg_get_userbyid(g.grantee) as grantee, g.privilege_type
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  cross join lateral aclexplode(c.relacl) g
  where n.nspname = {{ mv_literal(relation.schema) }}
    and c.relname = {{ mv_literal(relation.identifier) }}
    and g.grantee <> 0
    and g.grantee <> c.relowner
    and g.grantor = (select oid from pg_roles where rolname = current_role)
{%- endmacro -%}
