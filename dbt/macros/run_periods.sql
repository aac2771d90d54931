{#- The run's periods: `bts_quarter_from` / `bts_quarter_to` are quarter
    labels, `bts_run_date` the run's own date (docs/architecture.md),
    `bts_every_quarter` 'true' when the run is `bts run --all`.

    Dagster does not pass them as `--vars`: dbt parses the whole project again
    whenever its command-line vars change, which cost about 10 s per run. It
    writes them instead, under the warehouse lock and just before `dbt build`,
    to the one-row table dbt_run.parameters, which these macros read when the
    models are compiled (at execution, so parsing never depends on them).
    A var given on the command line (`dbt build --vars '{"bts_quarter_from":
    "2023-Q4", "bts_quarter_to": "2023-Q4"}'`, unit-test overrides) wins over
    the table; without either, compilation fails naming both ways.
    A malformed value fails the compilation with the var's name, rather than
    silently computing an empty or wrong range. -#}

{#- The table Dagster writes; its columns are named like the vars. -#}
{% macro bts_run_parameters_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='dbt_run', identifier='parameters')) }}
{%- endmacro %}


{#- A run parameter as text. Given on the command line, the vars are all
    taken from there (an empty bts_run_date then means today), else all from
    the table; '' when neither gives one. While dbt parses (execute is false)
    nothing is read and the placeholder is returned. -#}
{% macro bts_run_parameter(name, placeholder) -%}
    {%- set from_command_line = [] -%}
    {%- for quarter_var in ('bts_quarter_from', 'bts_quarter_to') -%}
        {%- if (var(quarter_var, '') | string | trim) not in ('', 'None') -%}
            {%- do from_command_line.append(quarter_var) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if from_command_line -%}
        {{ return(var(name, '') | string | trim) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(placeholder) }}
    {%- endif -%}
    {%- set relation = bts_run_parameters_relation() -%}
    {#- the column, not only the table: a table written by an older version lacks the newer parameters -#}
    {%- set exists = run_query(
        "select count(*) from information_schema.columns where table_schema = 'dbt_run' and table_name = 'parameters' "
        ~ "and column_name = '" ~ name ~ "'"
    ).columns[0].values()[0] -%}
    {%- if exists == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set values = run_query("select cast(" ~ name ~ " as varchar) from " ~ relation).columns[0].values() -%}
    {%- if values | length != 1 -%}
        {{ exceptions.raise_compiler_error(relation ~ " must hold exactly one row, not " ~ (values | length)) }}
    {%- endif -%}
    {{ return((values[0] if values[0] is not none else '') | string | trim) }}
{%- endmacro %}


{% macro bts_quarter_var(name) -%}
    {%- set label = bts_run_parameter(name, '2000-Q1') -%}
    {%- if label == '' -%}
        {{ exceptions.raise_compiler_error(
            "dbt var " ~ name ~ " is not set: pass the run's quarters with --vars '{bts_quarter_from: 2023-Q4, bts_quarter_to: 2023-Q4}' "
            ~ "or run the pipeline (bts run), which writes them to " ~ bts_run_parameters_relation()
        ) }}
    {%- endif -%}
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
    {%- set value = bts_run_parameter('bts_run_date', '') -%}
    {%- if value in ('', 'None') -%}
        cast(timezone('{{ reporting_timezone() }}', current_timestamp) as date)
    {%- elif modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
        date '{{ value }}'
    {%- else -%}
        {{ exceptions.raise_compiler_error("dbt var bts_run_date must be YYYY-MM-DD or empty, not '" ~ value ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{#- Whether the run's quarters are every quarter that has data (`bts run --all`):
    the marts then keep no other period (macros/delete_run_periods.sql). -#}
{% macro bts_run_every_quarter() -%}
    {%- set value = bts_run_parameter('bts_every_quarter', 'false') | lower -%}
    {%- if value not in ('', 'none', 'true', 'false') -%}
        {{ exceptions.raise_compiler_error("dbt var bts_every_quarter must be true or false, not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value == 'true') }}
{%- endmacro %}
