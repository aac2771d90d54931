{#- dbt never drops the table of a model that is renamed or removed: an older
    warehouse would keep it, unread, for good (at ten million posts these two
    held 10 and 15.6 million rows). Run before every build (on-run-start in
    dbt_project.yml); a table that is not there costs nothing. -#}
{% macro drop_replaced_models() -%}
    {%- set replaced = [
        'int_counted_posts_enriched',
        'int_post_hashtags_extracted',
    ] -%}
    {%- for name in replaced %}
    drop table if exists {{ generate_schema_name('intermediate', none) }}.{{ name }};
    {%- endfor %}
{%- endmacro %}
