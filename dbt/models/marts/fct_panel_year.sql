{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('year') }}",
    )
}}

{#- Each panel's mean, median and pooled figures for each year of the run's
    quarters.
    Incremental: a run deletes its own years, then appends them
    (macros/delete_run_periods.sql); other years stay as they were. -#}
with

panel_metrics as (

    select * from {{ ref('int_panel_metrics_aggregated') }}

),

run_years as (

    select
        cast(period as integer) as year,
        panel,
        platform,
        metric,
        accounts,
        mean_of_accounts,
        median_of_accounts,
        pooled
    from panel_metrics
    where period_kind = 'year'

)

select * from run_years
