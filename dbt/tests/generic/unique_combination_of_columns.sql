{#- The compound-key version of `unique`: fails on every combination of the
    columns that appears more than once. Grouping millions of rows on their
    text columns is the costly part, so a 64-bit hash of the combination is
    grouped first: a combination that repeats has a hash that repeats, and
    only the rows of such hashes (none, or a few collisions, when the key
    holds) are grouped again on the columns themselves. Same verdict, same
    failing rows. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns = combination_of_columns | join(', ') %}

with

repeated_hashes as (

    select hash({{ columns }}) as key_hash
    from {{ model }}
    group by key_hash
    having count(*) > 1

)

select
    {{ columns }},
    count(*) as occurrences
from {{ model }}
where hash({{ columns }}) in (select key_hash from repeated_hashes)
group by {{ columns }}
having count(*) > 1

{% endtest %}
