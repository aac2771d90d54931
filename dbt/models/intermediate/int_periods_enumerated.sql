{#- The periods this run needs: its own quarters and years, and the period
    before each, whose ranks give `previous_rank`. Nothing else is computed
    downstream, so a one-quarter run stays small. -#}
{%- set first_quarter = bts_run_quarter_from() -%}
{%- set last_quarter = bts_run_quarter_to() -%}

with

run_bounds as (

    select
        {{ quarter_start_date(first_quarter) }} as first_quarter_start,
        {{ quarter_start_date(last_quarter) }} as last_quarter_start,
        {{ bts_run_date() }} as run_date

),

year_to_date_bound as (

    select
        *,
        -- the current year's period stops at its last complete quarter: the day
        -- before the run date's quarter began
        cast(date_trunc('quarter', run_date) as date) - 1 as last_complete_quarter_end
    from run_bounds

),

quarter_starts as (

    select
        cast(generated.quarter_start as date) as period_start,
        cast(generated.quarter_start as date) >= year_to_date_bound.first_quarter_start as is_run_period
    from year_to_date_bound
    cross join generate_series(
        year_to_date_bound.first_quarter_start - interval 3 month,
        year_to_date_bound.last_quarter_start,
        interval 3 month
    ) as generated (quarter_start)

),

quarters as (

    select
        'quarter' as period_kind,
        {{ quarter_label('period_start') }} as period,
        period_start,
        cast(period_start + interval 3 month as date) - 1 as period_end,
        {{ quarter_label('cast(period_start - interval 3 month as date)') }} as previous_period,
        is_run_period
    from quarter_starts

),

calendar_years as (

    select
        cast(generated.calendar_year as integer) as calendar_year,
        generated.calendar_year >= year(year_to_date_bound.first_quarter_start) as is_run_period,
        year_to_date_bound.last_complete_quarter_end
    from year_to_date_bound
    cross join range(
        year(year_to_date_bound.first_quarter_start) - 1,
        year(year_to_date_bound.last_quarter_start) + 1
    ) as generated (calendar_year)

),

years as (

    select
        'year' as period_kind,
        cast(calendar_year as varchar) as period,
        make_date(calendar_year, 1, 1) as period_start,
        least(make_date(calendar_year, 12, 31), last_complete_quarter_end) as period_end,
        cast(calendar_year - 1 as varchar) as previous_period,
        is_run_period
    from calendar_years
    -- a current year without a complete quarter yet has no period
    where least(make_date(calendar_year, 12, 31), last_complete_quarter_end) >= make_date(calendar_year, 1, 1)

),

periods as (

    select * from quarters
    union all
    select * from years

),

with_days as (

    select
        period_kind,
        period,
        period_start,
        period_end,
        cast(period_end - period_start + 1 as integer) as days,
        previous_period,
        is_run_period
    from periods

)

select * from with_days
