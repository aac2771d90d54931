{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('quarter') }}",
    )
}}

{#- Members ranked within their panel for each metric and run quarter.
    Incremental: a run deletes its own quarters, then appends them
    (macros/delete_run_periods.sql); other quarters stay as they were. -#}
with

account_ranks as (

    select * from {{ ref('int_account_metrics_ranked') }}

),

run_quarters as (

    select
        period as quarter,
        panel,
        metric,
        handle,
        display_name,
        value,
        rank,
        previous_rank
    from account_ranks
    where period_kind = 'quarter'
    -- display order (METRICS.md): by rank, then handle
    order by quarter, panel, metric, rank, handle

)

select * from run_quarters
