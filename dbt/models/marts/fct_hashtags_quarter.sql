{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_periods('quarter') }}",
    )
}}

{#- Hashtag use per panel and run quarter.
    Incremental: a run deletes its own quarters, then appends them
    (macros/delete_run_periods.sql); other quarters stay as they were. -#}
with

panel_hashtags as (

    select * from {{ ref('int_panel_hashtags_counted') }}

),

run_quarters as (

    select
        period as quarter,
        panel,
        hashtag,
        posts,
        accounts,
        reactions
    from panel_hashtags

)

select * from run_quarters
