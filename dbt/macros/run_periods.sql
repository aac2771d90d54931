{#- The run's periods come from dbt vars set by Dagster (docs/architecture.md):
    `bts_quarter_from` / `bts_quarter_to` are quarter labels, `bts_run_date` the
    run's own date. A malformed value fails the compilation with the var's name,
    rather than silently computing an empty or wrong range. -#}

{% macro bts_quarter_var(name) -%}
    {%- set label = var(name) | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-Q[1-4]$', label) -%}
        {{ exceptions.raise_compiler_error("dbt var " ~ name ~ " must be a quarter label like 2023-Q4, not '" ~ label ~ "'") }}
    {%- endif -%}
    {{ return(label) }}
{%- endmacro %}


{% macro bts_run_quarter_from() -%}
    {%- set first = bts_quarter_var('bts_quarter_from') -%}
    {%- set last = bts_quarter_var('bts_quarter_to') -%}
    {%- if first > last -%}
        {{ exceptions.raise_compiler_error("dbt var bts_quarter_from (" ~ first ~ ") comes after bts_quarter_to (" ~ last ~ ")") }}
    {%- endif -%}
    {{ return(first) }}
{%- endmacro %}


{% macro bts_run_quarter_to() -%}
    {{ return(bts_quarter_var('bts_quarter_to')) }}
{%- endmacro %}


{#- A quarter label's first day, as a SQL date literal. -#}
{% macro quarter_start_date(label) -%}
    date '{{ label[:4] }}-{{ "%02d" | format((label[-1] | int - 1) * 3 + 1) }}-01'
{%- endmacro %}


{#- The `YYYY-Qn` label of a SQL date expression. -#}
{% macro quarter_label(date_expression) -%}
    cast(year({{ date_expression }}) as varchar) || '-Q' || cast(quarter({{ date_expression }}) as varchar)
{%- endmacro %}


{% macro reporting_timezone() -%}
    {{ return(env_var('BTS_TIMEZONE', 'Europe/Paris')) }}
{%- endmacro %}


{#- The run's date as a SQL date expression: the var when given, else today in
    the reporting timezone (not in UTC: on 31 December after 23:00 UTC, Paris
    is already in the next year). -#}
{% macro bts_run_date() -%}
    {%- set value = var('bts_run_date', '') | string | trim -%}
    {%- if value in ('', 'None') -%}
        cast(timezone('{{ reporting_timezone() }}', current_timestamp) as date)
    {%- elif modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
        date '{{ value }}'
    {%- else -%}
        {{ exceptions.raise_compiler_error("dbt var bts_run_date must be YYYY-MM-DD or empty, not '" ~ value ~ "'") }}
    {%- endif -%}
{%- endmacro %}
