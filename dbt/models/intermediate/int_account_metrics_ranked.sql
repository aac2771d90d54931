{#- Ranks of the members of each panel for each metric (METRICS.md
    "Rankings"), for the run's periods. `previous_rank` is ranked again from
    the data of the previous period, never read back from the marts, so the
    first quarter of a run and quarters run out of order get it right. -#}
with

account_metrics as (

    select * from {{ ref('int_account_metrics_unpivoted') }}

),

near_ties as (

    select * from {{ ref('int_interaction_rate_near_ties_resolved') }}

),

ranked_by_double as (

    -- 1 + how many members of the panel have a higher double
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
        rank() over (partition by period_kind, period, panel, metric order by value desc) as rank_by_double
    from account_metrics
    where value is not null

),

near_tie_corrections as (

    -- Equal values share a rank (METRICS.md), compared exactly. A double
    -- orders every metric exactly but post_interaction_rate, whose pairs too
    -- close to tell are compared as fractions (int_interaction_rate_near_ties):
    -- for those, the exact comparison replaces the doubles'.
    select
        period_kind,
        period,
        panel,
        'post_interaction_rate' as metric,
        handle,
        sum(cast(other_is_greater as integer) - cast(other_value_is_greater as integer)) as correction
    from near_ties
    group by period_kind, period, panel, handle

),

ranked as (

    select
        ranked_by_double.period_kind,
        ranked_by_double.period,
        ranked_by_double.previous_period,
        ranked_by_double.is_run_period,
        ranked_by_double.panel,
        ranked_by_double.metric,
        ranked_by_double.handle,
        ranked_by_double.display_name,
        ranked_by_double.value,
        cast(ranked_by_double.rank_by_double + coalesce(near_tie_corrections.correction, 0) as bigint) as rank
    from ranked_by_double
    left join near_tie_corrections
        on ranked_by_double.period_kind = near_tie_corrections.period_kind
        and ranked_by_double.period = near_tie_corrections.period
        and ranked_by_double.panel = near_tie_corrections.panel
        and ranked_by_double.metric = near_tie_corrections.metric
        and ranked_by_double.handle = near_tie_corrections.handle

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
