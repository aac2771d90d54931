{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('quarter') }}",
    )
}}

{#- Each panel's mean, median and pooled figures for each of the run's quarters.
    Incremental: a run deletes its own quarters, then appends them
    (macros/delete_run_periods.sql); other quarters stay as they were. -#}
with

panel_metrics as (

    select * from {{ ref('int_panel_metrics_aggregated') }}

),

run_quarters as (

    select
        period as quarter,
        panel,
        platform,
        metric,
        accounts,
        mean_of_accounts,
        median_of_accounts,
        pooled
    from panel_metrics
    where period_kind = 'quarter'

)

select * from run_quarters
