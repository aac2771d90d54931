{#- Ranks of the members of each panel for each metric (METRICS.md
    "Rankings"), for the run's periods. `previous_rank` is ranked again from
    the data of the previous period, never read back from the marts, so the
    first quarter of a run and quarters run out of order get it right. -#}
with

account_metrics as (

    select * from {{ ref('int_account_metrics_unpivoted') }}

),

ranked as (

    select
        period_kind,
        period,
        previous_period,
        is_run_period,
        panel,
        metric,
        handle,
        display_name,
        value,
        -- Equal values share a rank (METRICS.md). A rate is a mean of daily
        -- ratios, whose sum rounds differently for equal means (0.2 and
        -- 0.20000000000000004), so values are ranked on 13 significant digits.
        rank() over (
            partition by period_kind, period, panel, metric
            order by case when value = 0 then 0 else round(value, 12 - cast(floor(log10(abs(value))) as integer)) end desc
        ) as rank
    from account_metrics
    where value is not null

),

run_ranks as (

    select *
    from ranked
    where is_run_period

),

with_previous_rank as (

    select
        run_ranks.period_kind,
        run_ranks.period,
        run_ranks.panel,
        run_ranks.metric,
        run_ranks.handle,
        run_ranks.display_name,
        run_ranks.value,
        run_ranks.rank,
        previous_ranks.rank as previous_rank
    from run_ranks
    left join ranked as previous_ranks
        on run_ranks.period_kind = previous_ranks.period_kind
        and run_ranks.previous_period = previous_ranks.period
        and run_ranks.panel = previous_ranks.panel
        and run_ranks.metric = previous_ranks.metric
        and run_ranks.handle = previous_ranks.handle

)

select * from with_previous_rank
