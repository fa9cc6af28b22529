{#
  What the given nodes read, seen through ephemeral models (they are inlined): the sources and
  the non-ephemeral models. Used for the marts a new view reads and the sources a run reads.
#}
{% macro mv_read_nodes(unique_ids) -%}
  {%- set ns = namespace(queue=unique_ids | list, seen=[], found=[]) -%}
  {%- for _ in range(10000) if ns.queue -%}
    {%- set unique_id = ns.queue[0] -%}
    {%- set ns.queue = ns.queue[1:] -%}
    {%- if unique_id not in ns.seen -%}
      {%- do ns.seen.append(unique_id) -%}
      {%- set node = graph.nodes.get(unique_id) -%}
      {%- if node is none -%}
        {%- if unique_id in graph.sources -%}{%- do ns.found.append(unique_id) -%}{%- endif -%}
      {%- else -%}
        {%- for parent in node.depends_on.nodes -%}
          {%- set parent_node = graph.nodes.get(parent) -%}
          {%- if parent_node is not none and parent_node.resource_type == 'model'
                and parent_node.config.materialized == 'ephemeral' -%}
            {%- set ns.queue = ns.queue + [parent] -%}
          {%- elif parent not in ns.found -%}
            {%- do ns.found.append(parent) -%}
          {%- endif -%}
        {%- endfor -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(ns.found) }}
{%- endmacro %}
