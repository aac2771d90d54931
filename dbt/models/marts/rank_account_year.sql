{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('year') }}",
    )
}}

{#- Members ranked within their panel for each metric and year of the run's
    quarters.
    Incremental: a run deletes its own years, then appends them
    (macros/delete_run_periods.sql); other years stay as they were. -#}
with

account_ranks as (

    select * from {{ ref('int_account_metrics_ranked') }}

),

run_years as (

    select
        cast(period as integer) as year,
        panel,
        metric,
        handle,
        display_name,
        value,
        rank,
        previous_rank
    from account_ranks
    where period_kind = 'year'
    -- display order (METRICS.md): by rank, then handle
    order by year, panel, metric, rank, handle

)

select * from run_years
