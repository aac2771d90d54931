{#- The day is the unit of the interaction rate (METRICS.md): each publishing
    day weighs the same, however many posts it has. -#}
with

counted_posts as (

    select * from {{ ref('int_counted_posts_enriched') }}

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
        cast(sum(reactions) as bigint) as reactions,
        -- the same for every post of the day: it is the count on that day
        max(followers_at_publish) as followers
    from counted_posts
    group by platform, handle, published_date

),

with_day_rate as (

    select
        *,
        case
            when followers > 0
                then (cast(reactions as double) / posts) / followers
        end as day_interaction_rate
    from account_days

)

select * from with_day_rate
