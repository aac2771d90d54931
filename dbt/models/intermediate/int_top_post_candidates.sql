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
    ten posts kept. -#}
with

-- read twice (the posts in the span, the candidates' figures): never copied
posts as not materialized (

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

rated_posts as (

    -- post_interaction = reactions / followers_at_publish, known only when the
    -- account's count on the publish day is known and above 0. Every such
    -- post has its day in account_days, whose span holds this one; the day's
    -- follower count is the one of its posts (LANDING.md section 3).
    -- Narrow: the candidates' other figures are read again below.
    select
        counted_posts_in_span.platform,
        counted_posts_in_span.post_id,
        counted_posts_in_span.handle,
        cast(date_trunc('quarter', counted_posts_in_span.published_date) as date) as quarter_start,
        account_days.followers as followers_at_publish,
        cast(counted_posts_in_span.reactions as double) / account_days.followers as post_interaction
    from counted_posts_in_span
    inner join account_days
        on counted_posts_in_span.platform = account_days.platform
        and counted_posts_in_span.handle = account_days.handle
        and counted_posts_in_span.published_date = account_days.published_date
    where account_days.followers > 0

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

candidate_keys as (

    select
        rated_posts.platform,
        rated_posts.post_id,
        rated_posts.followers_at_publish,
        rated_posts.post_interaction
    from rated_posts
    inner join account_quarter_thresholds
        on rated_posts.platform = account_quarter_thresholds.platform
        and rated_posts.handle = account_quarter_thresholds.handle
        and rated_posts.quarter_start = account_quarter_thresholds.quarter_start
    where rated_posts.post_interaction >= account_quarter_thresholds.tenth_best_interaction

),

candidates as (

    select
        posts.platform,
        posts.post_id,
        posts.handle,
        posts.published_at,
        posts.published_date,
        posts.post_type,
        posts.likes,
        posts.comments,
        posts.reposts,
        posts.quotes,
        posts.reactions,
        candidate_keys.followers_at_publish,
        candidate_keys.post_interaction
    from candidate_keys
    inner join posts
        on candidate_keys.platform = posts.platform
        and candidate_keys.post_id = posts.post_id

)

select * from candidates
