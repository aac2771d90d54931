{#- One row per post, whatever the number of files it was exported in:
    the observation with the most reactions wins, then the most impressions,
    then the file whose path sorts last (LANDING.md section 4). -#}
with

observations as (

    select * from {{ source('landing', 'posts') }}

),

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
