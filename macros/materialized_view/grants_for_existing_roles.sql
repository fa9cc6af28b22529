{#
  The `grants` config without the roles this server does not have, each named in a warning:
  a missing role cannot fail a refresh, and a grant not made only ever means less access.
#}
{% macro mv_grants_for_existing_roles(grant_config) -%}
  {%- if not grant_config -%}{{ return(grant_config) }}{%- endif -%}
  {%- set wanted = [] -%}
  {%- for grantees in grant_config.values() -%}{%- do wanted.extend(grantees) -%}{%- endfor -%}
  {%- if wanted | length == 0 -%}{{ return(grant_config) }}{%- endif -%}
  {%- set existing = run_query("select rolname from pg_roles where rolname in ("
                               ~ mv_literal_list(wanted | unique | list) ~ ")").columns[0].values() | list -%}
  {%- set kept = {} -%}
  {%- for privilege, grantees in grant_config.items() -%}
    {%- for grantee in grantees if grantee not in existing -%}
      {{ exceptions.warn(model.name ~ ": role " ~ grantee ~ " does not exist, so " ~ privilege ~ " is not granted to it (create the role, or leave it out of the grants; `analytics db migrate` creates the project's own roles)") }}
    {%- endfor -%}
    {%- do kept.update({privilege: grantees | select('in', existing) | list}) -%}
  {%- endfor -%}
  {{ return(kept) }}
{%- endmacro %}
