{#- Counted posts (METRICS.md "Counted posts") of accounts listed in a panel,
    published within the span of the run's own periods (not the periods
    before them: their figures come from int_account_days_aggregated, and
    only the run's periods need single posts, for the top posts), with the
    follower count of their publish day. A one-quarter run thus reads its
    year, not every year. Post texts stay in staging: only the few top posts
    need them, and copying millions of texts here would cost more than the
    join. -#}
with

posts as (

    select * from {{ ref('stg_landing__posts') }}

),

account_days as (

    select * from {{ ref('int_account_days_aggregated') }}

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
    where is_run_period

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

with_followers as (

    -- every such post has its day in account_days, whose span holds this one;
    -- the day's follower count is the one of its posts (LANDING.md section 3)
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
        account_days.followers as followers_at_publish
    from counted_posts_in_span
    left join account_days
        on counted_posts_in_span.platform = account_days.platform
        and counted_posts_in_span.handle = account_days.handle
        and counted_posts_in_span.published_date = account_days.published_date

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
