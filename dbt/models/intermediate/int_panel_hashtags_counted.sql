{#- How each hashtag was used by the members of each panel in each of the
    run's quarters (METRICS.md "Hashtags"). -#}
with

members as (

    select * from {{ ref('int_panel_members_resolved') }}

),

account_hashtags as (

    select * from {{ ref('int_account_hashtags_aggregated') }}

),

member_hashtags as (

    select
        members.period,
        members.panel,
        members.handle,
        account_hashtags.hashtag,
        account_hashtags.posts,
        account_hashtags.reactions
    from members
    inner join account_hashtags
        on members.platform = account_hashtags.platform
        and members.handle = account_hashtags.handle
        and members.period_start = account_hashtags.quarter_start
    where members.period_kind = 'quarter'
        and members.is_run_period

),

hashtag_counts as (

    -- a post has one (platform, handle), and a member is listed once per
    -- panel and period, so each post is counted at most once per panel and
    -- hashtag: the panel's posts and reactions are its members' sums
    select
        period,
        panel,
        hashtag,
        cast(sum(posts) as bigint) as posts,
        count(distinct handle) as accounts,
        cast(sum(reactions) as bigint) as reactions
    from member_hashtags
    group by period, panel, hashtag

)

select * from hashtag_counts
