{#- The counted posts (METRICS.md "Counted posts") that may enter a top ten
    (METRICS.md "Top posts"), with their follower context: those of accounts
    listed in a panel, published within the span of the run's own periods
    (not the periods before them, which only need ranks), whose
    post_interaction is known and at or above the tenth best of their account
    and quarter, ties included.

    No other post can be in a top ten: every period is made of whole quarters
    and every panel of whole accounts, so a post that ten posts of its own
    account and quarter beat has ten posts of its panel and period above it.
    A few posts per account and quarter stay, not millions: writing one row
    per post of the run's periods was the larger part of the top posts' cost
    (benchmarks/README.md). Post texts stay in staging and are joined to the
    ten posts kept.

    Two passes over the posts, each joined first to the span's account-days
    (a few hundred thousand rows): the first gives each account and quarter
    its tenth best rate, the second keeps the posts at or above it. Keeping
    each rated post between the two passes instead, or joining the posts to
    the span before the account-days (which made DuckDB build its hash
    tables on the posts), took 10 s and 1.5 GB at 20 million posts, with
    gigabytes spilled to disk; this takes 2.2 s and 0.5 GB. -#}
with

-- read twice, through rated_posts: never copied
posts as not materialized (

    select * from {{ ref('stg_landing__posts') }}

),

account_days as (

    select * from {{ ref('int_account_days_aggregated') }}

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

followed_days as (

    -- the account-days of the span whose follower count is known and above
    -- 0, the only ones whose posts have a post_interaction. Every counted
    -- post of an account listed in a panel has its day in account_days,
    -- whose span holds this one, and no other account is there: joining a
    -- post to these days is also its test of span and membership. The day's
    -- follower count is the one of its posts (LANDING.md section 3).
    -- The posts are joined to nothing else first: DuckDB then estimates
    -- them as the large side and builds its hash tables on these few rows,
    -- not on the posts.
    select
        account_days.platform,
        account_days.handle,
        account_days.published_date,
        account_days.followers
    from account_days
    inner join run_span
        on account_days.published_date between run_span.first_day and run_span.last_day
    where account_days.followers > 0

),

rated_posts as not materialized (

    -- post_interaction = reactions / followers_at_publish. Read twice (the
    -- thresholds, then the candidates), computed each time: never copied
    select
        posts.platform,
        posts.post_id,
        posts.handle,
        posts.published_at,
        posts.published_date,
        cast(date_trunc('quarter', posts.published_date) as date) as quarter_start,
        posts.post_type,
        posts.likes,
        posts.comments,
        posts.reposts,
        posts.quotes,
        posts.reactions,
        followed_days.followers as followers_at_publish,
        cast(posts.reactions as double) / followed_days.followers as post_interaction
    from posts
    inner join followed_days
        on posts.platform = followed_days.platform
        and posts.handle = followed_days.handle
        and posts.published_date = followed_days.published_date
    where posts.is_counted

),

account_quarter_thresholds as (

    -- the tenth best post_interaction of each account and quarter (the
    -- lowest when the quarter has fewer than ten rated posts)
    select
        platform,
        handle,
        quarter_start,
        list_min(max(post_interaction, 10)) as tenth_best_interaction
    from rated_posts
    group by platform, handle, quarter_start

),

candidates as (

    -- the second pass meets a few thousand thresholds, not the posts of the
    -- first: keeping those (one row per post) spilled to disk at 20 million
    select rated_posts.* exclude (quarter_start)
    from rated_posts
    inner join account_quarter_thresholds
        on rated_posts.platform = account_quarter_thresholds.platform
        and rated_posts.handle = account_quarter_thresholds.handle
        and rated_posts.quarter_start = account_quarter_thresholds.quarter_start
    where rated_posts.post_interaction >= account_quarter_thresholds.tenth_best_interaction

)

select * from candidates
