{#- Every figure of one member of a panel over one period (METRICS.md "Per
    account and period"), for quarters and years alike: the quarter and year
    marts both read this one definition. -#}
with

members as (

    select * from {{ ref('int_panel_members_resolved') }}

),

account_days as (

    select * from {{ ref('int_account_days_aggregated') }}

),

follower_snapshots as (

    select * from {{ ref('stg_landing__follower_snapshots') }}

),

member_posting_days as (

    -- the whole period's posts count, also for a member who joined mid-period
    select
        members.period_kind,
        members.period,
        members.panel,
        members.handle,
        account_days.published_date,
        account_days.posts,
        account_days.likes,
        account_days.comments,
        account_days.reposts,
        account_days.quotes,
        account_days.reactions,
        account_days.followers,
        account_days.day_interaction_rate
    from members
    inner join account_days
        on members.platform = account_days.platform
        and members.handle = account_days.handle
        and account_days.published_date between members.period_start and members.period_end

),

post_totals as (

    select
        period_kind,
        period,
        panel,
        handle,
        cast(sum(posts) as bigint) as posts,
        cast(sum(likes) as bigint) as likes,
        cast(sum(comments) as bigint) as comments,
        cast(sum(reposts) as bigint) as reposts,
        cast(sum(quotes) as bigint) as quotes,
        cast(sum(reactions) as bigint) as reactions,
        -- avg skips the days whose follower count is unknown or 0
        -- summed in day order: a parallel sum of doubles could differ in its
        -- last bit from one run to the next, and reruns must be identical
        avg(day_interaction_rate order by published_date) as post_interaction_rate,
        -- the same mean as exact fractions, reactions / (posts × followers)
        -- for each day: rankings tell near-equal rates apart with them
        -- (int_interaction_rate_near_ties_resolved)
        list({'numerator': reactions, 'denominator': posts * followers} order by published_date)
            filter (where day_interaction_rate is not null) as post_interaction_rate_terms
    from member_posting_days
    group by period_kind, period, panel, handle

),

members_with_day_before as (

    select
        *,
        period_start - 1 as day_before_period
    from members

),

followers_at_start as (

    select
        members_with_day_before.period_kind,
        members_with_day_before.period,
        members_with_day_before.panel,
        members_with_day_before.handle,
        follower_snapshots.followers as followers_start
    from members_with_day_before
    asof left join follower_snapshots
        on members_with_day_before.platform = follower_snapshots.platform
        and members_with_day_before.handle = follower_snapshots.handle
        and members_with_day_before.day_before_period >= follower_snapshots.snapshot_date

),

followers_at_end as (

    -- following_end comes from the very snapshot that gives followers_end
    select
        members.period_kind,
        members.period,
        members.panel,
        members.handle,
        follower_snapshots.followers as followers_end,
        follower_snapshots.following as following_end
    from members
    asof left join follower_snapshots
        on members.platform = follower_snapshots.platform
        and members.handle = follower_snapshots.handle
        and members.period_end >= follower_snapshots.snapshot_date

),

joined as (

    select
        members.period_kind,
        members.period,
        members.period_start,
        members.period_end,
        members.days,
        members.previous_period,
        members.is_run_period,
        members.panel,
        members.platform,
        members.handle,
        members.company,
        members.display_name,
        members.account_type,
        coalesce(post_totals.posts, 0) as posts,
        coalesce(post_totals.likes, 0) as likes,
        coalesce(post_totals.comments, 0) as comments,
        coalesce(post_totals.reposts, 0) as reposts,
        coalesce(post_totals.quotes, 0) as quotes,
        coalesce(post_totals.reactions, 0) as reactions,
        post_totals.post_interaction_rate,
        post_totals.post_interaction_rate_terms,
        followers_at_start.followers_start,
        followers_at_end.followers_end,
        followers_at_end.following_end
    from members
    left join post_totals
        on members.period_kind = post_totals.period_kind
        and members.period = post_totals.period
        and members.panel = post_totals.panel
        and members.handle = post_totals.handle
    left join followers_at_start
        on members.period_kind = followers_at_start.period_kind
        and members.period = followers_at_start.period
        and members.panel = followers_at_start.panel
        and members.handle = followers_at_start.handle
    left join followers_at_end
        on members.period_kind = followers_at_end.period_kind
        and members.period = followers_at_end.period
        and members.panel = followers_at_end.panel
        and members.handle = followers_at_end.handle

),

metrics as (

    select
        period_kind,
        period,
        period_start,
        period_end,
        days,
        previous_period,
        is_run_period,
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
        case when posts > 0 then cast(likes as double) / posts end as likes_per_post,
        case when posts > 0 then cast(comments as double) / posts end as comments_per_post,
        case when posts > 0 then cast(reposts as double) / posts end as reposts_per_post,
        case when posts > 0 then cast(reactions as double) / posts end as reactions_per_post,
        cast(posts as double) / days as posts_per_day,
        post_interaction_rate,
        post_interaction_rate_terms,
        followers_start,
        followers_end,
        case
            when followers_start > 0 and followers_end is not null
                then 100 * cast(followers_end - followers_start as double) / followers_start
        end as followers_growth_pct,
        following_end
    from joined

)

select * from metrics
