{#- Pairs of members whose post_interaction_rates are too close for their
    doubles to say which is higher, or whether they are equal.

    Rankings compare exact values (METRICS.md: equal values share a rank).
    Every other ranked metric is one division of whole numbers, correctly
    rounded, so its double orders exactly like its exact value and equal
    values are equal doubles. The rate is a mean of k daily ratios: its double
    depends on the order of the sum (0.2 and 0.20000000000000004 for one
    exact mean) and may sit a few units of the last place from the exact
    mean. Each daily ratio is rounded twice, the sum k - 1 times and the mean
    once: the double is within (k + 2) × 2^-53 of the exact mean, relative.
    The bound below is four times that. Two rates further apart than their
    bounds are ordered by their doubles; the pairs here are compared exactly
    (int_interaction_rate_near_ties_resolved). In real data they are few:
    equal rates from different days, and rates equal on 15 digits. -#}
with

account_periods as (

    select * from {{ ref('int_account_periods_aggregated') }}

),

rates as (

    select
        period_kind,
        period,
        panel,
        handle,
        post_interaction_rate as value,
        -- k = len(terms) daily rates
        post_interaction_rate * (len(post_interaction_rate_terms) + 3) * pow(2, -51) as error_bound,
        post_interaction_rate_terms as terms
    from account_periods
    where post_interaction_rate is not null

),

near_ties as (

    select
        member.period_kind,
        member.period,
        member.panel,
        member.handle,
        other.handle as other_handle,
        other.value > member.value as other_value_is_greater,
        member.terms,
        other.terms as other_terms
    from rates as member
    inner join rates as other
        on member.period_kind = other.period_kind
        and member.period = other.period
        and member.panel = other.panel
        and member.handle <> other.handle
        and abs(other.value - member.value) <= other.error_bound + member.error_bound

)

select * from near_ties
