{#
  Fails (one row) when the model has no row: after a build, an empty view usually means its
  sources are empty or a join lost everything. Meant for `severity: warn`.
#}
{% test not_empty(model) %}
    select 'no rows' as problem
    where not exists (select 1 from {{ model }})
{% endtest %}
