{#
  Runs statements as one unit that cannot lose the previous view: an error rolls the unit
  back and is written to the refresh log in the same transaction, so the failure stays on
  record. Phases and the swap's lock retries: docs/materialized-view.md, "The guarded block".
#}
{% macro mv_guarded_sql(log_id, action, target, statements, sql, unique_key, phase='all',
                        swap_attempts=3000, swap_lock_timeout='20ms', swap_retry_pause=0.1) -%}
  {%- set tag = '$mvq$' -%}
  {%- for statement in statements + [sql] -%}
    {%- if tag in statement -%}
      {{ exceptions.raise_compiler_error(model.name ~ ": the SQL contains the reserved quote tag " ~ tag) }}
    {%- endif -%}
  {%- endfor -%}
  {%- set log = adapter.quote(mv_meta_schema()) ~ '.refresh_log' -%}
do $mv_guard$
declare
    v_started timestamptz := clock_timestamp();
    v_rows bigint;
    v_state text;
    v_message text;
    v_detail text;
    v_duplicate text;
    v_tries int;
    v_lock_timeout text;
    v_count bigint;
    v_counts bigint[] := '{}';
begin
{%- if phase in ['copies', 'swap'] %}
    select started_at into v_started from {{ log }} where id = {{ log_id }};
{%- else %}
    update {{ log }} set action = {{ mv_literal(action) }}, started_at = v_started where id = {{ log_id }};
{%- endif %}
    begin
{%- if phase == 'swap' %}
{#- The swap needs each relation exclusively. Waiting behind a long query would make every
    new reader queue behind the swap, so each try gives up after a short lock_timeout, lets
    the readers go on and tries again; the last try waits as long as it takes. #}
        v_lock_timeout := current_setting('lock_timeout');
        for v_attempt in 1..{{ swap_attempts }} loop
            v_tries := v_attempt;
            begin
                perform set_config('lock_timeout',
                                   case when v_attempt < {{ swap_attempts }} then '{{ swap_lock_timeout }}' else '0' end, true);
{%- for statement in statements %}
                execute {{ tag }}{{ statement }}{{ tag }};
{%- endfor %}
                exit;
            exception when lock_not_available then
                perform pg_sleep({{ swap_retry_pause }});
            end;
        end loop;
        perform set_config('lock_timeout', v_lock_timeout, true);
        if v_tries > 1 then
            update {{ log }} set note = concat_ws('; ', note, format('the swap waited for readers (%s tries)', v_tries))
             where id = {{ log_id }};
        end if;
{%- else %}
{%- for statement in statements %}
        execute {{ tag }}{{ statement }}{{ tag }};
{%- if phase == 'incremental' %}
        get diagnostics v_count = row_count;
        v_counts := v_counts || v_count;
{%- endif %}
{%- endfor %}
{%- endif %}
{%- if phase == 'incremental' %}
{#- Statement order of mv_incremental_sql: slices, setting, new rows, deleted, expired, inserted.
    The row count follows from the last one logged, without counting the table. #}
        select l.rows_after + v_counts[6] - v_counts[4] - v_counts[5] into v_rows
          from {{ log }} l
         where l.relation = {{ mv_literal(target.schema ~ '.' ~ target.identifier) }} and l.status = 'success'
           and l.rows_after is not null and l.id < {{ log_id }}
         order by l.id desc limit 1;
        if v_rows is null then
            execute {{ tag }}select count(*) from {{ target }}{{ tag }} into v_rows;
        end if;
        update {{ log }}
           set slices = v_counts[1], rows_deleted = v_counts[4] + v_counts[5], rows_inserted = v_counts[6],
               note = concat_ws('; ', note, format('%s slices recomputed: %s rows deleted (%s of them expired), %s inserted',
                                                   v_counts[1], v_counts[4] + v_counts[5], v_counts[5], v_counts[6]))
         where id = {{ log_id }};
{%- endif %}
{%- if phase == 'build' %}
        execute {{ tag }}select count(*) from {{ target }}{{ tag }} into v_rows;
        update {{ log }} set rows_after = v_rows where id = {{ log_id }};
{%- elif phase == 'copies' %}
        null;
{%- else %}
{%- if phase == 'all' %}
        execute {{ tag }}select count(*) from {{ target }}{{ tag }} into v_rows;
{%- endif %}
        update {{ log }}
           set status = 'success', finished_at = clock_timestamp(), rows_after = coalesce(v_rows, rows_after),
               duration_seconds = extract(epoch from clock_timestamp() - v_started)
         where id = {{ log_id }};
{%- endif %}
    exception when others then
        get stacked diagnostics v_state = returned_sqlstate, v_message = message_text,
                                v_detail = pg_exception_detail;
{%- if unique_key %}
        if v_state in ('23505', '21000') then
            begin
                execute {{ tag }}select row({{ unique_key | join(', ') }})::text from (
{{ sql }}
) as mv_rows group by {{ unique_key | join(', ') }} having count(*) > 1 limit 1{{ tag }}
                   into v_duplicate;
            exception when others then
                v_duplicate := null;
            end;
            v_message := format('model %s: unique_key (%s) is not unique: %s appears more than once. (%s)',
                                {{ mv_literal(model.name) }}, {{ mv_literal(unique_key | join(', ')) }},
                                coalesce(v_duplicate, 'a key'), v_message);
        end if;
{%- endif %}
        update {{ log }}
           set status = 'error', finished_at = clock_timestamp(),
               duration_seconds = extract(epoch from clock_timestamp() - v_started),
               error = v_message || coalesce(E'\n' || nullif(v_detail, ''), '') || ' [SQLSTATE ' || v_state || ']'
         where id = {{ log_id }};
    end;
end
$mv_guard$
{%- endmacro %}
