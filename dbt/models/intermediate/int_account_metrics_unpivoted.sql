{#- One value per member, period and panel metric, NULL values included: the
    panel table counts them out (`accounts`), the rankings leave them out. -#}
with

account_periods as (

    select * from {{ ref('int_account_periods_aggregated') }}

),

unpivoted as (

    {% for metric in panel_metrics() %}
    select
        period_kind,
        period,
        previous_period,
        is_run_period,
        panel,
        handle,
        display_name,
        '{{ metric }}' as metric,
        cast({{ metric }} as double) as value
    from account_periods
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unpivoted
