{#- The compound-key version of `relationships`: fails on every row of the
    model whose columns match no row of `to` (columns named alike on both
    sides). -#}
{% test relationships_on_columns(model, to, columns) %}

with

children as (

    select * from {{ model }}

),

parents as (

    select * from {{ to }}

),

orphans as (

    select children.*
    from children
    anti join parents
        on {% for column in columns %}children.{{ column }} = parents.{{ column }}{% if not loop.last %}
        and {% endif %}{% endfor %}

)

select * from orphans

{% endtest %}
