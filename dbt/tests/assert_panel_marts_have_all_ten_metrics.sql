{#- METRICS.md: every panel with a member in a period has a row for each of the
    10 metrics, also when no member has a value. -#}
{#- Dagster shows a test of several models as an asset check of one of them. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_panel_quarter'}}}) }}

with

account_quarters as (

    select * from {{ ref('fct_account_quarter') }}

),

panel_quarters as (

    select * from {{ ref('fct_panel_quarter') }}

),

account_years as (

    select * from {{ ref('fct_account_year') }}

),

panel_years as (

    select * from {{ ref('fct_panel_year') }}

),

expected_panel_periods as (

    select distinct 'quarter' as period_kind, quarter as period, panel from account_quarters
    union all
    select distinct 'year' as period_kind, cast(year as varchar) as period, panel from account_years

),

metric_counts as (

    select 'quarter' as period_kind, quarter as period, panel, count(distinct metric) as metrics
    from panel_quarters
    group by quarter, panel
    union all
    select 'year' as period_kind, cast(year as varchar) as period, panel, count(distinct metric) as metrics
    from panel_years
    group by year, panel

),

incomplete as (

    select
        expected_panel_periods.period_kind,
        expected_panel_periods.period,
        expected_panel_periods.panel,
        coalesce(metric_counts.metrics, 0) as metrics
    from expected_panel_periods
    left join metric_counts
        on expected_panel_periods.period_kind = metric_counts.period_kind
        and expected_panel_periods.period = metric_counts.period
        and expected_panel_periods.panel = metric_counts.panel
    where coalesce(metric_counts.metrics, 0) != {{ panel_metrics() | length }}

)

select * from incomplete
