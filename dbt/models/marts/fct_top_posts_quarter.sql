{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('quarter') }}",
    )
}}

{#- The ten posts with the highest interaction per panel and run quarter.
    Incremental: a run deletes its own quarters, then appends them
    (macros/delete_run_periods.sql); other quarters stay as they were. -#}
with

top_posts as (

    select * from {{ ref('int_top_posts_ranked') }}

),

run_quarters as (

    select
        period as quarter,
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
    where period_kind = 'quarter'
    -- in the order reports show them
    order by quarter, panel, rank

)

select * from run_quarters
