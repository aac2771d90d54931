{#- The panel's figures for each metric (METRICS.md "Per panel and period"):
    the mean and median of its members' values, and the pooled figure that
    treats the panel as one big account. -#}
with

account_periods as (

    select * from {{ ref('int_account_periods_aggregated') }}

),

account_metrics as (

    select * from {{ ref('int_account_metrics_unpivoted') }}

),

run_account_periods as (

    select *
    from account_periods
    where is_run_period

),

distributions as (

    select
        period_kind,
        period,
        panel,
        metric,
        count(value) as accounts,
        avg(value) as mean_of_accounts,
        median(value) as median_of_accounts
    from account_metrics
    where is_run_period
    group by period_kind, period, panel, metric

),

panel_totals as (

    select
        period_kind,
        period,
        panel,
        -- a panel holds the accounts of one platform
        min(platform) as platform,
        any_value(days) as days,
        sum(posts) as posts,
        sum(likes) as likes,
        sum(comments) as comments,
        sum(reposts) as reposts,
        sum(reactions) as reactions,
        sum(followers_end) as followers_end,
        -- growth is pooled over the members whose start and end are both known
        sum(followers_start) filter (
            where followers_start is not null and followers_end is not null
        ) as followers_start_of_growth,
        sum(followers_end) filter (
            where followers_start is not null and followers_end is not null
        ) as followers_end_of_growth
    from run_account_periods
    group by period_kind, period, panel

),

pooled as (

    select
        period_kind,
        period,
        panel,
        platform,
        cast(posts as double) as posts,
        case when posts > 0 then cast(likes as double) / cast(posts as double) end as likes_per_post,
        case when posts > 0 then cast(comments as double) / cast(posts as double) end as comments_per_post,
        case when posts > 0 then cast(reposts as double) / cast(posts as double) end as reposts_per_post,
        case when posts > 0 then cast(reactions as double) / cast(posts as double) end as reactions_per_post,
        cast(posts as double) / days as posts_per_day,
        cast(null as double) as post_interaction_rate,
        cast(followers_end as double) as followers_end,
        case
            when followers_start_of_growth > 0
                then 100 * cast(followers_end_of_growth - followers_start_of_growth as double)
                    / cast(followers_start_of_growth as double)
        end as followers_growth_pct,
        cast(null as double) as following_end
    from panel_totals

),

pooled_unpivoted as (

    {% for metric in panel_metrics() %}
    select
        period_kind,
        period,
        panel,
        platform,
        '{{ metric }}' as metric,
        {{ metric }} as pooled
    from pooled
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

panel_metrics as (

    select
        pooled_unpivoted.period_kind,
        pooled_unpivoted.period,
        pooled_unpivoted.panel,
        pooled_unpivoted.platform,
        pooled_unpivoted.metric,
        distributions.accounts,
        distributions.mean_of_accounts,
        distributions.median_of_accounts,
        pooled_unpivoted.pooled
    from pooled_unpivoted
    inner join distributions
        on pooled_unpivoted.period_kind = distributions.period_kind
        and pooled_unpivoted.period = distributions.period
        and pooled_unpivoted.panel = distributions.panel
        and pooled_unpivoted.metric = distributions.metric

)

select * from panel_metrics
