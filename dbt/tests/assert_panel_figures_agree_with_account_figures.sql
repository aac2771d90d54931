{#- The panel table and the rankings are derived from the account table: for
    `posts`, every member has a value and the pooled figure is their sum; for
    every metric, the rankings hold one row per member with a value. A drift
    between the marts (say one rebuilt for other quarters) fails here. -#}
{#- Dagster shows a test of several models as an asset check of one of them. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_panel_quarter'}}}) }}

with

account_quarters as (

    select * from {{ ref('fct_account_quarter') }}

),

panel_quarters as (

    select * from {{ ref('fct_panel_quarter') }}

),

rank_quarters as (

    select * from {{ ref('rank_account_quarter') }}

),

account_years as (

    select * from {{ ref('fct_account_year') }}

),

panel_years as (

    select * from {{ ref('fct_panel_year') }}

),

rank_years as (

    select * from {{ ref('rank_account_year') }}

),

account_totals as (

    select 'quarter' as period_kind, quarter as period, panel, count(*) as members, sum(posts) as posts
    from account_quarters
    group by quarter, panel
    union all
    select 'year' as period_kind, cast(year as varchar) as period, panel, count(*) as members, sum(posts) as posts
    from account_years
    group by year, panel

),

panel_posts as (

    select 'quarter' as period_kind, quarter as period, panel, accounts, pooled
    from panel_quarters
    where metric = 'posts'
    union all
    select 'year' as period_kind, cast(year as varchar) as period, panel, accounts, pooled
    from panel_years
    where metric = 'posts'

),

posts_mismatches as (

    select
        account_totals.period_kind,
        account_totals.period,
        account_totals.panel,
        'posts' as metric,
        'pooled posts or accounts differ from the account table' as problem
    from account_totals
    inner join panel_posts
        on account_totals.period_kind = panel_posts.period_kind
        and account_totals.period = panel_posts.period
        and account_totals.panel = panel_posts.panel
    where panel_posts.accounts != account_totals.members
        or panel_posts.pooled != account_totals.posts

),

ranked_counts as (

    select 'quarter' as period_kind, quarter as period, panel, metric, count(*) as ranked
    from rank_quarters
    group by quarter, panel, metric
    union all
    select 'year' as period_kind, cast(year as varchar) as period, panel, metric, count(*) as ranked
    from rank_years
    group by year, panel, metric

),

panel_accounts as (

    select 'quarter' as period_kind, quarter as period, panel, metric, accounts
    from panel_quarters
    union all
    select 'year' as period_kind, cast(year as varchar) as period, panel, metric, accounts
    from panel_years

),

ranking_mismatches as (

    select
        panel_accounts.period_kind,
        panel_accounts.period,
        panel_accounts.panel,
        panel_accounts.metric,
        'rankings do not hold one row per member with a value' as problem
    from panel_accounts
    left join ranked_counts
        on panel_accounts.period_kind = ranked_counts.period_kind
        and panel_accounts.period = ranked_counts.period
        and panel_accounts.panel = ranked_counts.panel
        and panel_accounts.metric = ranked_counts.metric
    where coalesce(ranked_counts.ranked, 0) != panel_accounts.accounts

),

mismatches as (

    select * from posts_mismatches
    union all
    select * from ranking_mismatches

)

select * from mismatches
