{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('year') }}",
    )
}}

{#- The ten posts with the highest interaction per panel and year of the run's
    quarters.
    Incremental: a run deletes its own years, then appends them
    (macros/delete_run_periods.sql); other years stay as they were. -#}
with

top_posts as (

    select * from {{ ref('int_top_posts_ranked') }}

),

run_years as (

    select
        cast(period as integer) as year,
        panel,
        rank,
        handle,
        display_name,
        post_id,
        published_at,
        post_type,
        text,
        permalink,
        likes,
        comments,
        reposts,
        quotes,
        reactions,
        followers_at_publish,
        post_interaction
    from top_posts
    where period_kind = 'year'
    -- in the order reports show them
    order by year, panel, rank

)

select * from run_years
