{#- The panel's figures for each metric (METRICS.md "Per panel and period"):
    the mean and median of its members' values, and the pooled figure that
    treats the panel as one big account. -#}
with

account_periods as (

    select * from {{ ref('int_account_periods_aggregated') }}

),

run_account_periods as (

    select *
    from account_periods
    where is_run_period

),

panel_aggregates as (

    select
        period_kind,
        period,
        panel,
        -- a panel holds the accounts of one platform
        min(platform) as platform,
        any_value(days) as days,
        -- means are summed in handle order, so that reruns give the same last bit
        {% for metric in panel_metrics() %}
        count({{ metric }}) as {{ metric }}__accounts,
        avg(cast({{ metric }} as double) order by handle) as {{ metric }}__mean,
        median(cast({{ metric }} as double)) as {{ metric }}__median,
        {% endfor %}
        sum(posts) as total_posts,
        sum(likes) as total_likes,
        sum(comments) as total_comments,
        sum(reposts) as total_reposts,
        sum(reactions) as total_reactions,
        sum(followers_end) as total_followers_end,
        -- growth is pooled over the members whose start and end are both known
        sum(followers_start) filter (
            where followers_start is not null and followers_end is not null
        ) as growth_followers_start,
        sum(followers_end) filter (
            where followers_start is not null and followers_end is not null
        ) as growth_followers_end
    from run_account_periods
    group by period_kind, period, panel

),

with_pooled as (

    select
        *,
        cast(total_posts as double) as posts__pooled,
        case when total_posts > 0 then cast(total_likes as double) / cast(total_posts as double) end
            as likes_per_post__pooled,
        case when total_posts > 0 then cast(total_comments as double) / cast(total_posts as double) end
            as comments_per_post__pooled,
        case when total_posts > 0 then cast(total_reposts as double) / cast(total_posts as double) end
            as reposts_per_post__pooled,
        case when total_posts > 0 then cast(total_reactions as double) / cast(total_posts as double) end
            as reactions_per_post__pooled,
        cast(total_posts as double) / days as posts_per_day__pooled,
        -- a mean of daily rates has no panel-wide equivalent
        cast(null as double) as post_interaction_rate__pooled,
        cast(total_followers_end as double) as followers_end__pooled,
        case
            when growth_followers_start > 0
                then 100 * cast(growth_followers_end - growth_followers_start as double)
                    / cast(growth_followers_start as double)
        end as followers_growth_pct__pooled,
        cast(null as double) as following_end__pooled
    from panel_aggregates

),

panel_metrics as (

    {% for metric in panel_metrics() %}
    select
        period_kind,
        period,
        panel,
        platform,
        '{{ metric }}' as metric,
        {{ metric }}__accounts as accounts,
        {{ metric }}__mean as mean_of_accounts,
        {{ metric }}__median as median_of_accounts,
        {{ metric }}__pooled as pooled
    from with_pooled
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from panel_metrics
