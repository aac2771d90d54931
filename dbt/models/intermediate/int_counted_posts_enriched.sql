{#- Counted posts (METRICS.md "Counted posts") of accounts listed in a panel,
    published within the span of the run's periods, with the follower count of
    their publish day. Post texts stay in staging: only the few top posts need
    them, and copying millions of texts here would cost more than the join. -#}
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

    select posts.*
    from posts
    inner join run_span
        on posts.published_date between run_span.first_day and run_span.last_day
    semi join accounts
        on posts.platform = accounts.platform
        and posts.handle = accounts.handle
    where posts.is_counted

),

publishing_days as (

    select distinct
        platform,
        handle,
        published_date
    from counted_posts_in_span

),

followers_by_day as (

    -- the latest snapshot on or before the publish day, however old
    -- (LANDING.md section 3); none before the account's first snapshot.
    -- Looked up once per account and day, not once per post: far fewer rows.
    select
        publishing_days.platform,
        publishing_days.handle,
        publishing_days.published_date,
        follower_snapshots.followers
    from publishing_days
    asof left join follower_snapshots
        on publishing_days.platform = follower_snapshots.platform
        and publishing_days.handle = follower_snapshots.handle
        and publishing_days.published_date >= follower_snapshots.snapshot_date

),

with_followers as (

    select
        counted_posts_in_span.platform,
        counted_posts_in_span.post_id,
        counted_posts_in_span.handle,
        counted_posts_in_span.published_at,
        counted_posts_in_span.published_date,
        counted_posts_in_span.post_type,
        counted_posts_in_span.likes,
        counted_posts_in_span.comments,
        counted_posts_in_span.reposts,
        counted_posts_in_span.quotes,
        counted_posts_in_span.reactions,
        followers_by_day.followers as followers_at_publish
    from counted_posts_in_span
    left join followers_by_day
        on counted_posts_in_span.platform = followers_by_day.platform
        and counted_posts_in_span.handle = followers_by_day.handle
        and counted_posts_in_span.published_date = followers_by_day.published_date

),

with_interaction as (

    select
        *,
        case
            when followers_at_publish > 0
                then cast(reactions as double) / followers_at_publish
        end as post_interaction
    from with_followers

)

select * from with_interaction
