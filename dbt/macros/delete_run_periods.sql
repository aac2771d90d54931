{#- Pre-hook of the incremental marts: a run owns its periods. It deletes them
    before appending what it computed, so that a rerun is idempotent, a period
    that now has no rows is emptied, and (but in `bts run --all`) no other
    period is touched.
    Quarter marts own the run's quarters; year marts own the years those
    quarters fall in (METRICS.md: running any quarter refreshes its year).
    A `bts run --all` runs every quarter that has data: it owns every period,
    so a quarter or year whose posts have all left the landing directory
    (files deleted) leaves the marts instead of keeping figures of data that
    is gone. -#}
{% macro delete_run_periods(period_column) -%}
    {%- if is_incremental() -%}
        {%- set first = bts_run_quarter_from() -%}
        {%- set last = bts_run_quarter_to() -%}
        {%- if period_column not in ('quarter', 'year') -%}
            {{ exceptions.raise_compiler_error("delete_run_periods: period_column must be 'quarter' or 'year', not '" ~ period_column ~ "'") }}
        {%- elif bts_run_every_quarter() -%}
            delete from {{ this }}
        {%- elif period_column == 'quarter' -%}
            delete from {{ this }} where quarter between '{{ first }}' and '{{ last }}'
        {%- elif period_column == 'year' -%}
            delete from {{ this }} where year between {{ first[:4] }} and {{ last[:4] }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
