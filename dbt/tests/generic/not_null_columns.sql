{#- `not_null` for several columns of a model in one test: one scan counts
    the NULLs of every column, and the test returns one row per column that
    holds any (its name and how many), so a failure names the columns.
    Same verdict as one `not_null` per column, without dbt's cost per test
    node (about 12 ms each, 141 of them, on every run). -#}
{% test not_null_columns(model, column_names) %}

with

null_counts as (

    select
    {%- for column in column_names %}
        count(*) - count({{ adapter.quote(column) }}) as {{ adapter.quote('nulls_' ~ loop.index) }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}

)

{% for column in column_names -%}
select '{{ column }}' as column_name, {{ adapter.quote('nulls_' ~ loop.index) }} as null_rows
from null_counts
where {{ adapter.quote('nulls_' ~ loop.index) }} > 0
{% if not loop.last %}union all
{% endif -%}
{%- endfor %}

{% endtest %}
