{#- Who sits in which panel in each period (LANDING.md section 1). A member
    who joins or leaves during the period is a member for the whole period. -#}
with

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

periods as (

    select * from {{ ref('int_periods_enumerated') }}

),

memberships as (

    select
        periods.period_kind,
        periods.period,
        periods.period_start,
        periods.period_end,
        periods.days,
        periods.previous_period,
        periods.is_run_period,
        accounts.panel,
        accounts.platform,
        accounts.handle,
        accounts.company,
        accounts.display_name,
        accounts.account_type,
        accounts.member_from,
        accounts.member_to,
        accounts.file_path,
        accounts.line_number
    from periods
    inner join accounts
        on (accounts.member_from is null or accounts.member_from <= periods.period_end)
        and (accounts.member_to is null or accounts.member_to >= periods.period_start)

),

one_row_per_member as (

    -- an account listed twice in a panel (left, then joined again) is still one
    -- member: the line of its latest membership gives its name and company
    select *
    from memberships
    qualify row_number() over (
        partition by period_kind, period, panel, handle
        order by member_from desc nulls last, file_path desc, line_number desc
    ) = 1

),

final as (

    select
        period_kind,
        period,
        period_start,
        period_end,
        days,
        previous_period,
        is_run_period,
        panel,
        platform,
        handle,
        company,
        display_name,
        account_type,
        member_from,
        member_to
    from one_row_per_member

)

select * from final
