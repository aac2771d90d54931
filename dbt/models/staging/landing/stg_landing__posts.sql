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
    the same transaction, so it is read here by name, not as a source. -#}
with

all_observations as (

    select * from {{ source('landing', 'posts') }}

),

{% if is_incremental() %}
changed_posts as (

    select distinct platform, post_id from raw.changed_posts

),

observations as (

    select all_observations.*
    from all_observations
    semi join changed_posts
        on all_observations.platform = changed_posts.platform
        and all_observations.post_id = changed_posts.post_id

),
{% else %}
observations as (

    select * from all_observations

),
{% endif %}

with_reactions as (

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
        source_format,
        file_hash,
        file_path,
        line_number
    from observations

),

deduplicated as (

    select *
    from with_reactions
    qualify row_number() over (
        partition by platform, post_id
        order by reactions desc, coalesce(impressions, 0) desc, file_path desc, line_number desc
    ) = 1

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
        source_format,
        file_hash,
        file_path,
        line_number
    from deduplicated

)

select * from dated
