{#- A near tie is listed both ways round, and its exact comparison agrees
    with itself: at most one of the two is the greater. Fails on a pair
    listed one way only, or where each is said to be greater than the
    other. -#}
with

near_ties as (

    select * from {{ ref('int_interaction_rate_near_ties_resolved') }}

)

select
    one_way.period_kind,
    one_way.period,
    one_way.panel,
    one_way.handle,
    one_way.other_handle
from near_ties as one_way
left join near_ties as other_way
    on one_way.period_kind = other_way.period_kind
    and one_way.period = other_way.period
    and one_way.panel = other_way.panel
    and one_way.handle = other_way.other_handle
    and one_way.other_handle = other_way.handle
where other_way.handle is null
    or (one_way.other_is_greater and other_way.other_is_greater)
