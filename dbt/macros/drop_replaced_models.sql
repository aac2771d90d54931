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


{#- Columns a model no longer has. An incremental model's table is kept from
    build to build, and dbt's on_schema_change cannot drop them here: DuckDB
    refuses to alter a table that the same transaction has already changed
    (stg_landing__posts's pre-hook deletes the posts it rebuilds). So they
    are dropped before the build, in a statement of their own; a column that
    is not there costs nothing. -#}
{% macro drop_retired_columns() -%}
    {%- set retired = [
        ('staging', 'stg_landing__posts', 'source_format'),
        ('staging', 'stg_landing__posts', 'file_hash'),
    ] -%}
    {%- for schema, table, column in retired %}
    alter table if exists {{ generate_schema_name(schema, none) }}.{{ table }} drop column if exists {{ column }};
    {%- endfor %}
{%- endmacro %}
