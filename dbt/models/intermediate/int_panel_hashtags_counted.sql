{#- How each hashtag was used by the members of each panel in each of the
    run's quarters (METRICS.md "Hashtags"). -#}
with

members as (

    select * from {{ ref('int_panel_members_resolved') }}

),

post_hashtags as (

    select * from {{ ref('int_post_hashtags_extracted') }}

),

member_hashtags as (

    select
        members.period,
        members.panel,
        members.handle,
        post_hashtags.post_id,
        post_hashtags.reactions,
        post_hashtags.hashtag
    from members
    inner join post_hashtags
        on members.platform = post_hashtags.platform
        and members.handle = post_hashtags.handle
        and post_hashtags.published_date between members.period_start and members.period_end
    where members.period_kind = 'quarter'
        and members.is_run_period

),

hashtag_counts as (

    -- a post has one (platform, handle), and a handle one row per panel and
    -- period, so each post appears here at most once per panel and hashtag
    select
        period,
        panel,
        hashtag,
        count(*) as posts,
        count(distinct handle) as accounts,
        cast(sum(reactions) as bigint) as reactions
    from member_hashtags
    group by period, panel, hashtag

)

select * from hashtag_counts
