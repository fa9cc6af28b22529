{#
  contract: {enforced: true}: the query's columns must be the model yml's, by name and type,
  or the run fails before it touches the view (which keeps serving) and the refresh log says
  why. Same comparison as dbt's assert_columns_equivalent, whose error the user then sees.
  A query that cannot run at all (a revoked grant) is not a contract matter: the action's
  guarded block runs it and logs that error as it logs any other.
#}
{% macro mv_check_contract(log_id, model_sql) -%}
  {%- if not (model.get('contract') or {}).get('enforced') -%}{{ return(none) }}{%- endif -%}
  {%- if mv_query_error(model_sql) is not none -%}{{ return(none) }}{%- endif -%}
  {%- set declared = model['columns'] -%}
  {%- set holds = false -%}
  {%- if declared -%}
    {%- set built = format_columns(get_column_schema_from_query(model_sql, config.get('sql_header', none))) -%}
    {%- set promised = format_columns(get_column_schema_from_query(get_empty_schema_sql(declared))) -%}
    {%- set holds = (built | map(attribute='formatted') | sort | list) == (promised | map(attribute='formatted') | sort | list) -%}
  {%- endif -%}
  {%- if not holds -%}
    {{ mv_log_failure(log_id, 'contract', "the query's columns differ from the contract in the model's yml (names and data types): the view was left as it was") }}
    {{ adapter.commit() }}
    {{ get_assert_columns_equivalent(model_sql) }}
    {#- dbt's check orders nothing and found no difference where ours did: fail anyway. -#}
    {{ exceptions.raise_compiler_error(model.name ~ ": the columns of its query differ from its contract") }}
  {%- endif -%}
{%- endmacro %}


{# The error the query raises when planned and started (no rows read), or none. #}
{% macro mv_query_error(model_sql) -%}
  {%- call statement('mv_query_error', fetch_result=True) -%}
    create or replace function pg_temp.mv_query_error(query text) returns text
        language plpgsql as $mv_probe$
    begin
        execute query;
        return null;
    exception when others then
        return sqlerrm;
    end
    $mv_probe$;
    select pg_temp.mv_query_error({{ mv_literal('select * from (\n' ~ model_sql ~ '\n) as q where false limit 0') }})
  {%- endcall -%}
  {{ return(load_result('mv_query_error').table.rows[0][0]) }}
{%- endmacro %}
