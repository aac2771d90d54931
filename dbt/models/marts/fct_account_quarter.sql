{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('quarter') }}",
    )
}}

{#- Each member's figures for each of the run's quarters.
    Incremental: a run deletes its own quarters, then appends them
    (macros/delete_run_periods.sql); other quarters stay as they were. -#}
with

account_periods as (

    select * from {{ ref('int_account_periods_aggregated') }}

),

run_quarters as (

    select
        period as quarter,
        period_start,
        period_end,
        panel,
        platform,
        handle,
        company,
        display_name,
        account_type,
        posts,
        likes,
        comments,
        reposts,
        quotes,
        reactions,
        likes_per_post,
        comments_per_post,
        reposts_per_post,
        reactions_per_post,
        posts_per_day,
        post_interaction_rate,
        followers_start,
        followers_end,
        followers_growth_pct,
        following_end
    from account_periods
    where period_kind = 'quarter'
        and is_run_period

)

select * from run_quarters
