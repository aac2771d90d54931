{#- The day is the unit of the interaction rate (METRICS.md): each publishing
    day weighs the same, however many posts it has.
    Aggregated straight from staging over the span of all the periods the run
    needs (its own and the ones before, for previous_rank), reading only the
    figures of the posts. The top posts' candidates (int_top_post_candidates)
    cover the run's own periods only, and take their follower counts from
    here, so that both read one lookup. -#}
with

posts as (

    select * from {{ ref('stg_landing__posts') }}

),

follower_snapshots as (

    select * from {{ ref('stg_landing__follower_snapshots') }}

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

periods as (

    select * from {{ ref('int_periods_enumerated') }}

),

run_span as (

    select
        min(period_start) as first_day,
        max(period_end) as last_day
    from periods

),

counted_posts_in_span as (

    -- counted posts (METRICS.md "Counted posts") of accounts listed in a panel
    select
        posts.platform,
        posts.handle,
        posts.published_date,
        posts.likes,
        posts.comments,
        posts.reposts,
        posts.quotes,
        posts.reactions
    from posts
    inner join run_span
        on posts.published_date between run_span.first_day and run_span.last_day
    semi join accounts
        on posts.platform = accounts.platform
        and posts.handle = accounts.handle
    where posts.is_counted

),

account_days as (

    select
        platform,
        handle,
        published_date,
        count(*) as posts,
        cast(sum(likes) as bigint) as likes,
        cast(sum(comments) as bigint) as comments,
        cast(sum(reposts) as bigint) as reposts,
        cast(sum(quotes) as bigint) as quotes,
        cast(sum(reactions) as bigint) as reactions
    from counted_posts_in_span
    group by platform, handle, published_date

),

with_followers as (

    -- the latest snapshot on or before the publish day, however old
    -- (LANDING.md section 3); none before the account's first snapshot.
    -- Looked up once per account and day, not once per post: far fewer rows.
    select
        account_days.*,
        follower_snapshots.followers
    from account_days
    asof left join follower_snapshots
        on account_days.platform = follower_snapshots.platform
        and account_days.handle = follower_snapshots.handle
        and account_days.published_date >= follower_snapshots.snapshot_date

),

with_day_rate as (

    select
        platform,
        handle,
        published_date,
        posts,
        likes,
        comments,
        reposts,
        quotes,
        reactions,
        followers,
        case
            when followers > 0
                then (cast(reactions as double) / posts) / followers
        end as day_interaction_rate
    from with_followers

)

select * from with_day_rate
