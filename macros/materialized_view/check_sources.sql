{#
  skip_refresh_when_unchanged, in the run's transaction after its locks and before any work:
  reads the change marker of every relation the view reads (mv_sources). The read is its own
  statement before the refresh, so under READ COMMITTED every write it counts was committed
  before the refresh's later snapshot; a write it misses is counted by the next run. Returns
  the markers (stored with the refresh), whether the view is unchanged since its last
  refresh (only asked when the action is a refresh) and the note saying why not. A relation
  whose changes cannot be counted means a refresh, with a warning naming it and what to grant.
#}
{% macro mv_check_sources(existing, action, install_errors) %}
  {%- set markers = {} -%}
  {%- set untracked = [] -%}
  {%- for source in mv_sources(existing) -%}
    {%- if source.problem is none -%}
      {%- do markers.update({source.relation: source.marker}) -%}
    {%- else -%}
      {%- set error = install_errors.get(source.oid) if source.oid is not none else none -%}
      {%- do untracked.append(source.relation ~ ' (' ~ source.problem ~ (': ' ~ error if error else '')
                              ~ ('; run `' ~ source.fix ~ '`' if source.fix else '') ~ ')') -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if untracked -%}
    {{ exceptions.warn(model.name ~ ": skip_refresh_when_unchanged cannot tell whether these changed, so it refreshes every run:\n  "
                       ~ untracked | join('\n  ')) }}
  {%- endif -%}
  {%- set notes = [] -%}
  {%- set stored = existing.source_markers if existing is not none else none -%}
  {%- if action in ['refresh', 'refresh_concurrently', 'refresh_swap'] -%}
    {%- if stored is none -%}
      {%- do notes.append('no change markers stored yet (first refresh with skip_refresh_when_unchanged)') -%}
    {%- else -%}
      {%- set changed = mv_changed_sources(stored, markers) -%}
      {%- if changed -%}{%- do notes.append('changed since the last refresh: ' ~ changed | join(', ')) -%}{%- endif -%}
    {%- endif -%}
    {%- if untracked -%}
      {%- do notes.append('cannot tell whether unchanged: ' ~ untracked | join(', ')) -%}
    {%- endif -%}
  {%- endif -%}
  {{ return({'markers': markers,
             'unchanged': action in ['refresh', 'refresh_concurrently', 'refresh_swap'] and notes | length == 0,
             'note': notes | join('; ') if notes else none}) }}
{% endmacro %}
