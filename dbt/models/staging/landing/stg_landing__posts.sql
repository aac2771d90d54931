{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{% if is_incremental() %}delete from {{ this }} using (select distinct platform, post_id from raw.changed_posts) as changed where {{ this }}.platform = changed.platform and {{ this }}.post_id = changed.post_id{% endif %}",
        post_hook="delete from raw.changed_posts",
    )
}}
{#- One row per post, whatever the number of files it was exported in:
    the observation with the most reactions wins, then the most impressions,
    then the file whose path sorts last (LANDING.md section 4).
    Incremental: ingestion lists in raw.changed_posts the posts whose
    observations were added or removed; only those are deduplicated again,
    so a late file of ten thousand posts does not re-sort ten million.
    raw.changed_posts is ingestion's bookkeeping, written with raw.posts in
    the same transaction, so it is read here by name, not as a source.
    The kept observation is named by its file_path and line_number; its
    file's hash and format are facts of the file, in raw.landing_files
    (first_path = file_path), not repeated on ten million rows. -#}
with

all_observations as not materialized (

    select * from {{ source('landing', 'posts') }}

),

{% if is_incremental() %}
changed_posts as (

    select distinct platform, post_id from raw.changed_posts

),

-- the changed posts' observations, kept once: through a view, raw.posts
-- would be scanned again by each of the four readers below (10,000 posts
-- changed among 10 million: 1.3 s -> 0.4 s; 1 million: 2.3 -> 1.6 s; all
-- 10 million, the rare worst case: 24.5 -> 26.2 s, peak memory no higher)
observations as materialized (

    select all_observations.*
    from all_observations
    semi join changed_posts
        on all_observations.platform = changed_posts.platform
        and all_observations.post_id = changed_posts.post_id

),
{% else %}
observations as not materialized (

    select * from all_observations

),
{% endif %}

repeated_keys as (

    -- most posts were observed once and need no choosing: only the keys seen
    -- more than once go through the window below. Grouped on a 64-bit hash
    -- of the key, far cheaper than on the two strings; a hash shared by two
    -- keys only sends both through the window, where each is its own partition.
    select hash(platform, post_id) as key_hash
    from observations
    group by key_hash
    having count(*) > 1

),

winning_observations as (

    -- the sort carries the observation's key and its sort columns only, not
    -- its text: the winner's other columns are joined back below
    select
        platform,
        post_id,
        file_path,
        line_number
    from observations
    where hash(platform, post_id) in (select key_hash from repeated_keys)
    qualify row_number() over (
        partition by platform, post_id
        order by
            coalesce(likes, 0) + coalesce(comments, 0) + coalesce(reposts, 0) + coalesce(quotes, 0) desc,
            coalesce(impressions, 0) desc,
            file_path desc,
            line_number desc
    ) = 1

),

deduplicated_observations as (

    select *
    from observations
    where hash(platform, post_id) not in (select key_hash from repeated_keys)

    union all

    -- (file_path, line_number) is one physical line of one file: one observation
    select observations.*
    from observations
    semi join winning_observations
        on observations.platform = winning_observations.platform
        and observations.post_id = winning_observations.post_id
        and observations.file_path = winning_observations.file_path
        and observations.line_number = winning_observations.line_number

),

deduplicated as (

    select
        platform,
        post_id,
        lower(handle) as handle,
        published_at,
        post_type,
        text,
        coalesce(likes, 0) as likes,
        coalesce(comments, 0) as comments,
        coalesce(reposts, 0) as reposts,
        coalesce(quotes, 0) as quotes,
        coalesce(likes, 0) + coalesce(comments, 0) + coalesce(reposts, 0) + coalesce(quotes, 0) as reactions,
        impressions,
        permalink,
        file_path,
        line_number
    from deduplicated_observations

),

dated as (

    select
        platform,
        post_id,
        handle,
        published_at,
        cast(timezone('{{ env_var("BTS_TIMEZONE", "Europe/Paris") }}', published_at) as date) as published_date,
        post_type,
        -- a type counts only on its own platform (METRICS.md "Counted posts")
        (platform = 'x' and post_type in ('post', 'reply', 'quote'))
        or (platform = 'instagram' and post_type in ('image', 'carousel', 'video', 'reel')) as is_counted,
        text,
        likes,
        comments,
        reposts,
        quotes,
        reactions,
        impressions,
        permalink,
        file_path,
        line_number
    from deduplicated

)

select * from dated
