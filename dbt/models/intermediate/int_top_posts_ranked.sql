{#- The ten posts with the highest interaction of each panel and run period
    (METRICS.md "Top posts"). The order is total, so the same data always
    gives the same ten posts in the same order. -#}
with

members as (

    select * from {{ ref('int_panel_members_resolved') }}

),

-- the few posts that may enter a top ten, with their figures
counted_posts as (

    select * from {{ ref('int_top_post_candidates') }}

),

posts as (

    select * from {{ ref('stg_landing__posts') }}

),

run_members as (

    select
        period_kind,
        period,
        period_start,
        period_end,
        panel,
        platform,
        handle,
        display_name
    from members
    where is_run_period

),

member_posts as (

    -- the candidates are a few posts per account and quarter: ranking them
    -- whole, in each period and panel their author belongs to, is cheap
    select
        run_members.period_kind,
        run_members.period,
        run_members.panel,
        run_members.handle,
        run_members.display_name,
        counted_posts.platform,
        counted_posts.post_id,
        counted_posts.published_at,
        counted_posts.published_date,
        counted_posts.post_type,
        counted_posts.likes,
        counted_posts.comments,
        counted_posts.reposts,
        counted_posts.quotes,
        counted_posts.reactions,
        counted_posts.followers_at_publish,
        counted_posts.post_interaction
    from run_members
    inner join counted_posts
        on run_members.platform = counted_posts.platform
        and run_members.handle = counted_posts.handle
        and counted_posts.published_date between run_members.period_start and run_members.period_end
    where counted_posts.post_interaction is not null

),

top_ten as (

    select
        *,
        row_number() over (
            partition by period_kind, period, panel
            order by post_interaction desc, reactions desc, published_at asc, post_id asc
        ) as rank
    from member_posts
    qualify rank <= 10

),

with_text as (

    select
        top_ten.period_kind,
        top_ten.period,
        top_ten.panel,
        top_ten.rank,
        top_ten.handle,
        top_ten.display_name,
        top_ten.post_id,
        top_ten.published_at,
        top_ten.post_type,
        posts.text,
        posts.permalink,
        top_ten.likes,
        top_ten.comments,
        top_ten.reposts,
        top_ten.quotes,
        top_ten.reactions,
        top_ten.followers_at_publish,
        top_ten.post_interaction
    from top_ten
    left join posts
        on top_ten.platform = posts.platform
        and top_ten.post_id = posts.post_id
        -- the same post, so the same day: DuckDB then skips the parts of
        -- staging outside the run's days instead of reading every text
        -- (at 40 million posts, a one-quarter run: 1.5 -> 0.9 s, 1.3 -> 0.8 GB)
        and top_ten.published_date = posts.published_date

)

select * from with_text
