{#- The compound-key version of `unique`: fails on every combination of the
    columns that appears more than once. Grouping millions of rows on their
    text columns is the costly part, so a 64-bit hash of the combination is
    looked at first: a combination that repeats has a hash that repeats, and
    only the rows of such hashes (none, or a few collisions, when the key
    holds) are grouped again on the columns themselves. Same verdict, same
    failing rows.
    The repeated hashes are found by sorting the hashes (a hash equal to the
    one before it repeats), not by grouping them: with every key distinct, a
    group by holds one hash-table entry per row, which outgrew DuckDB's
    memory ceiling past about 20 million posts and took the dbt process
    350 MB over it (the run's peak), where a sort of 8-byte hashes stays
    within the ceiling and is faster (40 million posts, after building
    staging: 3.7-3.9 s and 1.79 GB -> 2.9-3.0 s and no new peak; 10 million:
    1.1-1.2 -> 0.9 s; benchmarks/README.md). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set columns = combination_of_columns | join(', ') %}

with

hashes as (

    select hash({{ columns }}) as key_hash
    from {{ model }}

),

repeated_hashes as (

    select key_hash
    from hashes
    qualify key_hash = lag(key_hash) over (order by key_hash)

)

select
    {{ columns }},
    count(*) as occurrences
from {{ model }}
where hash({{ columns }}) in (select key_hash from repeated_hashes)
group by {{ columns }}
having count(*) > 1

{% endtest %}
