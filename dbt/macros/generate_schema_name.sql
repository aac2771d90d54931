{#- Schemas are named for the layer (`staging`, `marts`), not `<target>_<layer>`,
    so analysts and checks find `marts.fct_account_quarter` under that name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
