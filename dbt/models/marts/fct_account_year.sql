{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('year') }}",
    )
}}

{#- Each member's figures for each year of the run's quarters (the current
    year up to its last complete quarter).
    Incremental: a run deletes its own years, then appends them
    (macros/delete_run_periods.sql); other years stay as they were. -#}
with

account_periods as (

    select * from {{ ref('int_account_periods_aggregated') }}

),

run_years as (

    select
        cast(period as integer) as year,
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
    where period_kind = 'year'
        and is_run_period

)

select * from run_years
