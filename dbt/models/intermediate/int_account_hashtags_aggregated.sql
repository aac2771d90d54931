{#- How each account used each hashtag in each of the run's quarters
    (METRICS.md "Hashtags"): the counted posts of accounts listed in a panel
    whose text holds it, lowercased, once per post however often the post
    repeats it, and their reactions.

    Per account and quarter, not per post: a panel's figures are sums over
    its members' (a post has one account, and a member is listed once per
    panel and quarter), and one row per post and hashtag was 15.6 million
    rows to write and test at ten million posts (benchmarks/README.md). -#}
with

posts as (

    select * from {{ ref('stg_landing__posts') }}

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

periods as (

    select * from {{ ref('int_periods_enumerated') }}

),

run_quarters_span as (

    select
        min(period_start) as first_day,
        max(period_end) as last_day
    from periods
    where period_kind = 'quarter'
        and is_run_period

),

counted_posts_in_span as (

    select posts.*
    from posts
    inner join run_quarters_span
        on posts.published_date between run_quarters_span.first_day and run_quarters_span.last_day
    semi join accounts
        on posts.platform = accounts.platform
        and posts.handle = accounts.handle
    where posts.is_counted
        -- no `#`, no hashtag: the regular expression below only reads the posts that may hold one
        and contains(posts.text, '#')

),

hashtags_per_post as (

    -- group 2 is the tag without the character before its `#`, which only
    -- proves the tag is not glued to a word (`mail#x` is not a hashtag);
    -- METRICS.md's digits are decimal digits (\p{Nd}): `#co²` is `#co`;
    -- deduplicating within each post's list is cheaper than over all rows
    select
        platform,
        handle,
        published_date,
        reactions,
        list_distinct(list_transform(
            regexp_extract_all(text, '(^|[^\p{L}\p{Nd}_])#([\p{L}\p{Nd}_]+)', 2),
            lambda tag: '#' || lower(tag)
        )) as hashtags
    from counted_posts_in_span

),

once_per_post as (

    -- one row per post and hashtag
    select
        platform,
        handle,
        published_date,
        reactions,
        unnest(hashtags) as hashtag
    from hashtags_per_post

),

account_quarter_hashtags as (

    select
        platform,
        handle,
        cast(date_trunc('quarter', published_date) as date) as quarter_start,
        hashtag,
        count(*) as posts,
        cast(sum(reactions) as bigint) as reactions
    from once_per_post
    group by platform, handle, quarter_start, hashtag

)

select * from account_quarter_hashtags
