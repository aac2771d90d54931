{#- The same (platform, handle, date) with the same numbers in several files is
    one snapshot. Different numbers are a conflict, which the blocking
    data-quality check on raw.follower_snapshots reports with both files;
    the order below only keeps this model's grain while that check fails. -#}
with

snapshots as (

    select * from {{ source('landing', 'follower_snapshots') }}

),

deduplicated as (

    select
        platform,
        lower(handle) as handle,
        snapshot_date,
        followers,
        following
    from snapshots
    qualify row_number() over (
        partition by platform, lower(handle), snapshot_date
        order by followers desc, following desc nulls last
    ) = 1

)

select * from deduplicated
