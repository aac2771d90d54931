-- The floor: marts.fct_account_quarter computed straight from the landing CSV
-- files by DuckDB alone, with the least work that gives the same table as the
-- pipeline (../shared/spec/METRICS.md, LANDING.md sections 1 to 4).
--
-- No validation, no lineage, no intermediate table on disk, one pass over
-- the post files. What it must still do, because the figures depend on it:
-- read every layout and variant, keep one observation per post (LANDING.md
-- section 4), take days in the reporting timezone, count only counted posts,
-- carry follower counts forward, and average the interaction rate per day.
--
-- Run by floor.py, which sets:
--   TimeZone                     the reporting timezone (BTS_TIMEZONE), so that
--                                casts to DATE give the local day
--   getvariable('first_quarter') first quarter start, a DATE
--   getvariable('last_quarter')  last quarter start, a DATE
-- and replaces the line `-- @landing-views` (below the macros) with three views over the
-- landing files, grouped by layout, delimiter and encoding (DuckDB's CSV
-- reader takes one dialect per call):
--   landing_posts      union of the *_posts macros below
--   landing_snapshots  follower_snapshots(...)
--   landing_accounts   accounts(...)

-- DuckDB's optimizer turns an ASOF join whose left side it estimates small
-- into a nested loop join; on the account days it misjudges that (seconds at
-- 100,000 posts instead of milliseconds).
set asof_loop_join_threshold = 0;

-- Counts: `1777.0`, `15,000`, `15 000` (space, no-break space, narrow
-- no-break space); empty is NULL. Plain numbers take the cheap cast; only the
-- rest have their separators removed. Written as a CASE: inside a COALESCE,
-- the optimizer hoists the subexpression that `split_part` repeats into a
-- projection below, and the slow path then runs on every row (9 times the
-- CPU on plain counts).
create or replace macro landing_count(value) as
    case
        when try_cast(value as bigint) is not null then try_cast(value as bigint)
        else try_cast(split_part(
            replace(replace(replace(replace(trim(value), ',', ''), ' ', ''), chr(160), ''), chr(8239), ''),
            '.', 1) as bigint)
    end;

-- The local day of a publish instant (LANDING.md 2a, 2d). Times without an
-- offset are local already: the session TimeZone reads them so. One format
-- per strptime: the list form, strptime(value, [format, format]), crashed
-- DuckDB 1.5.6 (SIGSEGV) now and then under parallel load, here as in the
-- loader (benchmarks/README.md).
create or replace macro local_day(value) as
    case
        when value like '%/%:%:%' then cast(strptime(trim(value), '%d/%m/%Y %H:%M:%S') as date)
        when value like '%/%' then cast(strptime(trim(value), '%d/%m/%Y %H:%M') as date)
        when value like '% +____' or value like '% -____' then cast(strptime(trim(value), '%Y-%m-%d %H:%M %z') as date)
        else cast(cast(trim(value) as timestamptz) as date)
    end;

create or replace macro local_day_month_first(value) as
    case
        when value like '%/%:%:%' then cast(strptime(trim(value), '%m/%d/%Y %H:%M:%S') as date)
        when value like '%/%' then cast(strptime(trim(value), '%m/%d/%Y %H:%M') as date)
        else local_day(value)
    end;

create or replace macro landing_handle(value) as lower(ltrim(trim(value), '@'));

-- `https://twitter.com/<handle>/status/<id>`: the fourth `/`-separated part.
create or replace macro permalink_handle(value) as lower(split_part(trim(value), '/', 4));

-- X: a text starting `RT @` is a repost, which is never counted.
create or replace macro x_is_counted(text) as not starts_with(coalesce(text, ''), 'RT @');

-- One row per observation of a post, in every layout: the columns the figures
-- and the choice among observations need.
create or replace macro x_tweet_activity_posts(files, sep, enc, cols) as table
    select
        'x' as platform,
        trim("tweet id") as post_id,
        permalink_handle("tweet permalink") as handle,
        local_day("time") as published_date,
        x_is_counted("tweet text") as is_counted,
        coalesce(landing_count(likes), 0) as likes,
        coalesce(landing_count(replies), 0) as comments,
        coalesce(landing_count(retweets), 0) as reposts,
        0 as quotes,
        landing_count(impressions) as impressions,
        filename as file_path
    from read_csv(files, delim = sep, encoding = enc, columns = cols, header = true, auto_detect = false,
                  quote = '"', escape = '"', filename = true, max_line_size = 67108864);

create or replace macro x_content_posts(files, sep, enc, cols) as table
    select
        'x' as platform,
        trim("post id") as post_id,
        permalink_handle("post link") as handle,
        -- a Snowflake id: milliseconds since 2010-11-04 in its upper bits
        cast(make_timestamptz(((cast(trim("post id") as bigint) >> 22) + 1288834974657) * 1000) as date) as published_date,
        x_is_counted("post text") as is_counted,
        coalesce(landing_count(likes), 0) as likes,
        coalesce(landing_count(replies), 0) as comments,
        coalesce(landing_count(reposts), 0) as reposts,
        0 as quotes,
        landing_count(impressions) as impressions,
        filename as file_path
    from read_csv(files, delim = sep, encoding = enc, columns = cols, header = true, auto_detect = false,
                  quote = '"', escape = '"', filename = true, max_line_size = 67108864);

create or replace macro instagram_posts(files, sep, enc, cols) as table
    select
        'instagram' as platform,
        trim("post id") as post_id,
        landing_handle("account username") as handle,
        local_day_month_first("publish time") as published_date,
        lower(trim("post type")) <> 'ig story' as is_counted,
        coalesce(landing_count(likes), 0) as likes,
        coalesce(landing_count(comments), 0) as comments,
        0 as reposts,
        0 as quotes,
        landing_count(views) as impressions,
        filename as file_path
    from read_csv(files, delim = sep, encoding = enc, columns = cols, header = true, auto_detect = false,
                  quote = '"', escape = '"', filename = true, max_line_size = 67108864);

create or replace macro canonical_posts(files, sep, enc, cols) as table
    select
        lower(trim(platform)) as platform,
        trim(post_id) as post_id,
        landing_handle(handle) as handle,
        local_day(published_at) as published_date,
        lower(trim(post_type)) in ('post', 'reply', 'quote', 'image', 'carousel', 'video', 'reel') as is_counted,
        coalesce(landing_count(likes), 0) as likes,
        coalesce(landing_count(comments), 0) as comments,
        coalesce(landing_count(reposts), 0) as reposts,
        coalesce(landing_count(quotes), 0) as quotes,
        landing_count(impressions) as impressions,
        filename as file_path
    from read_csv(files, delim = sep, encoding = enc, columns = cols, header = true, auto_detect = false,
                  quote = '"', escape = '"', filename = true, max_line_size = 67108864);

create or replace macro follower_snapshots(files, sep, enc, cols) as table
    select
        lower(trim(platform)) as platform,
        landing_handle(handle) as handle,
        case
            when "date" like '%/%' then cast(strptime(trim("date"), '%d/%m/%Y') as date)
            else cast(trim("date") as date)
        end as snapshot_date,
        landing_count(followers) as followers,
        landing_count(following) as following
    from read_csv(files, delim = sep, encoding = enc, columns = cols, header = true, auto_detect = false,
                  quote = '"', escape = '"');

create or replace macro accounts(files, sep, enc, cols) as table
    select
        trim(panel) as panel,
        lower(trim(platform)) as platform,
        landing_handle(handle) as handle,
        trim(company) as company,
        trim(display_name) as display_name,
        lower(trim(account_type)) as account_type,
        case
            when trim(member_from) = '' then null
            when member_from like '%/%' then cast(strptime(trim(member_from), '%d/%m/%Y') as date)
            else cast(trim(member_from) as date)
        end as member_from,
        case
            when trim(member_to) = '' then null
            when member_to like '%/%' then cast(strptime(trim(member_to), '%d/%m/%Y') as date)
            else cast(trim(member_to) as date)
        end as member_to,
        row_number() over () as line_number
    from read_csv(files, delim = sep, encoding = enc, columns = cols, header = true, auto_detect = false,
                  quote = '"', escape = '"');

-- @landing-views

create or replace temp table fct_account_quarter as
with

member_accounts as (

    select distinct platform, handle from landing_accounts

),

-- LANDING.md section 4: of the observations of one post, the one with the
-- most reactions, then the most impressions, then from the path sorting last.
-- Posts of accounts in no panel never reach a mart: they are skipped first.
posts as (

    select
        landing_posts.platform,
        landing_posts.post_id,
        arg_max(
            {
                'handle': landing_posts.handle,
                'published_date': landing_posts.published_date,
                'is_counted': landing_posts.is_counted,
                'likes': landing_posts.likes,
                'comments': landing_posts.comments,
                'reposts': landing_posts.reposts,
                'quotes': landing_posts.quotes
            },
            {
                'reactions': landing_posts.likes + landing_posts.comments + landing_posts.reposts + landing_posts.quotes,
                'impressions': coalesce(landing_posts.impressions, 0),
                'file_path': landing_posts.file_path
            }
        ) as kept
    from landing_posts
    semi join member_accounts
        on landing_posts.platform = member_accounts.platform
        and landing_posts.handle = member_accounts.handle
    group by landing_posts.platform, landing_posts.post_id

),

account_days as (

    select
        platform,
        kept.handle as handle,
        kept.published_date as published_date,
        count(*) as posts,
        sum(kept.likes) as likes,
        sum(kept.comments) as comments,
        sum(kept.reposts) as reposts,
        sum(kept.quotes) as quotes
    from posts
    where kept.is_counted
        and kept.published_date between getvariable('first_quarter')
            and cast(getvariable('last_quarter') + interval 3 month as date) - 1
    group by all

),

snapshots as (

    -- the same day in several files is one snapshot (a conflict fails the pipeline)
    select
        platform,
        handle,
        snapshot_date,
        max(followers) as followers,
        arg_max_null(following, {'followers': followers, 'following_known': following is not null, 'following': following}) as following
    from landing_snapshots
    group by all

),

account_days_with_followers as (

    select
        account_days.*,
        snapshots.followers
    from account_days
    asof left join snapshots
        on account_days.platform = snapshots.platform
        and account_days.handle = snapshots.handle
        and account_days.published_date >= snapshots.snapshot_date

),

account_quarters as (

    select
        platform,
        handle,
        cast(date_trunc('quarter', published_date) as date) as period_start,
        sum(posts) as posts,
        sum(likes) as likes,
        sum(comments) as comments,
        sum(reposts) as reposts,
        sum(quotes) as quotes,
        avg(case when followers > 0 then (cast(likes + comments + reposts + quotes as double) / posts) / followers end)
            as post_interaction_rate
    from account_days_with_followers
    group by all

),

quarters as (

    select
        cast(quarter_start as date) as period_start,
        cast(quarter_start + interval 3 month as date) - 1 as period_end
    from generate_series(
        cast(getvariable('first_quarter') as timestamp),
        cast(getvariable('last_quarter') as timestamp),
        interval 3 month
    ) as generated (quarter_start)

),

members as (

    -- a member listed twice in a panel is one member: its latest line names it
    select
        quarters.period_start,
        quarters.period_end,
        landing_accounts.*
    from quarters
    inner join landing_accounts
        on (landing_accounts.member_from is null or landing_accounts.member_from <= quarters.period_end)
        and (landing_accounts.member_to is null or landing_accounts.member_to >= quarters.period_start)
    qualify row_number() over (
        partition by quarters.period_start, landing_accounts.panel, landing_accounts.handle
        order by landing_accounts.member_from desc nulls last, landing_accounts.line_number desc
    ) = 1

),

followers_at_start as (

    select
        members.period_start,
        members.panel,
        members.handle,
        snapshots.followers as followers_start
    from members
    asof left join snapshots
        on members.platform = snapshots.platform
        and members.handle = snapshots.handle
        and members.period_start - 1 >= snapshots.snapshot_date

),

followers_at_end as (

    select
        members.period_start,
        members.panel,
        members.handle,
        snapshots.followers as followers_end,
        snapshots.following as following_end
    from members
    asof left join snapshots
        on members.platform = snapshots.platform
        and members.handle = snapshots.handle
        and members.period_end >= snapshots.snapshot_date

),

joined as (

    select
        members.*,
        coalesce(account_quarters.posts, 0) as posts,
        coalesce(account_quarters.likes, 0) as likes,
        coalesce(account_quarters.comments, 0) as comments,
        coalesce(account_quarters.reposts, 0) as reposts,
        coalesce(account_quarters.quotes, 0) as quotes,
        account_quarters.post_interaction_rate,
        followers_at_start.followers_start,
        followers_at_end.followers_end,
        followers_at_end.following_end
    from members
    left join account_quarters
        on members.platform = account_quarters.platform
        and members.handle = account_quarters.handle
        and members.period_start = account_quarters.period_start
    left join followers_at_start
        on members.period_start = followers_at_start.period_start
        and members.panel = followers_at_start.panel
        and members.handle = followers_at_start.handle
    left join followers_at_end
        on members.period_start = followers_at_end.period_start
        and members.panel = followers_at_end.panel
        and members.handle = followers_at_end.handle

)

select
    cast(year(period_start) as varchar) || '-Q' || cast(quarter(period_start) as varchar) as quarter,
    period_start,
    period_end,
    panel,
    platform,
    handle,
    company,
    display_name,
    account_type,
    cast(posts as bigint) as posts,
    cast(likes as bigint) as likes,
    cast(comments as bigint) as comments,
    cast(reposts as bigint) as reposts,
    cast(quotes as bigint) as quotes,
    cast(likes + comments + reposts + quotes as bigint) as reactions,
    case when posts > 0 then cast(likes as double) / posts end as likes_per_post,
    case when posts > 0 then cast(comments as double) / posts end as comments_per_post,
    case when posts > 0 then cast(reposts as double) / posts end as reposts_per_post,
    case when posts > 0 then cast(likes + comments + reposts + quotes as double) / posts end as reactions_per_post,
    cast(posts as double) / (period_end - period_start + 1) as posts_per_day,
    post_interaction_rate,
    followers_start,
    followers_end,
    case
        when followers_start > 0 and followers_end is not null
            then 100 * cast(followers_end - followers_start as double) / followers_start
    end as followers_growth_pct,
    following_end
from joined
order by quarter, panel, handle;
