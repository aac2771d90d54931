{#- The ten posts with the highest interaction of each panel and run period
    (METRICS.md "Top posts"). The order is total, so the same data always
    gives the same ten posts in the same order. -#}
with

members as (

    select * from {{ ref('int_panel_members_resolved') }}

),

-- the few posts that may enter a top ten, with their figures
counted_posts as not materialized (

    select * from {{ ref('int_top_post_candidates') }}

),

posts as not materialized (

    select * from {{ ref('stg_landing__posts') }}

),

run_members as not materialized (

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

member_posts as not materialized (

    -- narrow: the key and the order only, the rest is joined to the few
    -- candidates below; not materialized: computed twice costs less than
    -- writing two rows (its quarter, its year) for every post of the run's
    -- periods, which spilled to disk at ten million posts
    select
        run_members.period_kind,
        run_members.period,
        run_members.panel,
        counted_posts.platform,
        counted_posts.post_id,
        counted_posts.post_interaction
    from run_members
    inner join counted_posts
        on run_members.platform = counted_posts.platform
        and run_members.handle = counted_posts.handle
        and counted_posts.published_date between run_members.period_start and run_members.period_end
    where counted_posts.post_interaction is not null

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

candidate_keys as (

    select
        member_posts.period_kind,
        member_posts.period,
        member_posts.panel,
        member_posts.platform,
        member_posts.post_id
    from member_posts
    inner join panel_thresholds
        on member_posts.period_kind = panel_thresholds.period_kind
        and member_posts.period = panel_thresholds.period
        and member_posts.panel = panel_thresholds.panel
    where member_posts.post_interaction >= panel_thresholds.tenth_best_interaction

),

candidate_posts as (

    select
        candidate_keys.period_kind,
        candidate_keys.period,
        candidate_keys.panel,
        run_members.handle,
        run_members.display_name,
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
    from candidate_keys
    inner join counted_posts
        on candidate_keys.platform = counted_posts.platform
        and candidate_keys.post_id = counted_posts.post_id
    inner join run_members
        on candidate_keys.period_kind = run_members.period_kind
        and candidate_keys.period = run_members.period
        and candidate_keys.panel = run_members.panel
        and counted_posts.platform = run_members.platform
        and counted_posts.handle = run_members.handle

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
