{#- The hashtags of the counted posts of the run's quarters (METRICS.md
    "Hashtags"), lowercased, once per post however often the post repeats it. -#}
with

posts as (

    select * from {{ ref('stg_landing__posts') }}

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
    where posts.is_counted

),

hashtag_mentions as (

    -- group 2 is the tag without the character before its `#`, which only
    -- proves the tag is not glued to a word (`mail#x` is not a hashtag)
    select
        platform,
        post_id,
        handle,
        published_date,
        reactions,
        unnest(
            regexp_extract_all(text, '(^|[^\p{L}\p{N}_])#([\p{L}\p{N}_]+)', 2)
        ) as tag
    from counted_posts_in_span

),

once_per_post as (

    select distinct
        platform,
        post_id,
        handle,
        published_date,
        reactions,
        '#' || lower(tag) as hashtag
    from hashtag_mentions

)

select * from once_per_post
