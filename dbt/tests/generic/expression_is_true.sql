{#- Fails on the rows where the expression is false (NULL passes, as in
    dbt_utils, which cannot be installed here without the internet). -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
