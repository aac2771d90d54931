{#- The ten posts with the highest interaction of each panel and run period
    (METRICS.md "Top posts"). The order is total, so the same data always
    gives the same ten posts in the same order. -#}
with

members as (

    select * from {{ ref('int_panel_members_resolved') }}

),

counted_posts as (

    select * from {{ ref('int_counted_posts_enriched') }}

),

posts as (

    select * from {{ ref('stg_landing__posts') }}

),

member_posts as (

    select
        members.period_kind,
        members.period,
        members.panel,
        members.handle,
        members.display_name,
        counted_posts.platform,
        counted_posts.post_id,
        counted_posts.published_at,
        counted_posts.post_type,
        counted_posts.likes,
        counted_posts.comments,
        counted_posts.reposts,
        counted_posts.quotes,
        counted_posts.reactions,
        counted_posts.followers_at_publish,
        counted_posts.post_interaction
    from members
    inner join counted_posts
        on members.platform = counted_posts.platform
        and members.handle = counted_posts.handle
        and counted_posts.published_date between members.period_start and members.period_end
    where members.is_run_period
        and counted_posts.post_interaction is not null

),

panel_thresholds as (

    -- sorting every post of a year to keep ten is the costly part at scale:
    -- a top-10 aggregate first finds the tenth best interaction of each
    -- panel and period, and only posts at or above it (ties included, so
    -- nothing of the true top ten is lost) are ranked below
    select
        period_kind,
        period,
        panel,
        list_min(max(post_interaction, 10)) as tenth_best_interaction
    from member_posts
    group by period_kind, period, panel

),

candidate_posts as (

    select member_posts.*
    from member_posts
    inner join panel_thresholds
        on member_posts.period_kind = panel_thresholds.period_kind
        and member_posts.period = panel_thresholds.period
        and member_posts.panel = panel_thresholds.panel
    where member_posts.post_interaction >= panel_thresholds.tenth_best_interaction

),

top_ten as (

    select
        *,
        row_number() over (
            partition by period_kind, period, panel
            order by post_interaction desc, reactions desc, published_at asc, post_id asc
        ) as rank
    from candidate_posts
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

)

select * from with_text
