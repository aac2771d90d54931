"""Which member of each near tie of post_interaction_rate is higher, exactly.

int_interaction_rate_near_ties lists the pairs of members whose rates are too
close for their doubles to order them; each side comes with its exact terms:
the rate is the mean of numerator / denominator over them (METRICS.md). Here
they are compared as fractions, which DuckDB has no type for. Only those pairs
come to Python, a handful in real data, never a row per post or per day of
every account.
"""

from fractions import Fraction

import pandas as pd

KEYS = ("period_kind", "period", "panel", "handle", "other_handle")


def exact_mean(terms: list[dict]) -> Fraction:
    return sum((Fraction(term["numerator"], term["denominator"]) for term in terms), Fraction(0)) / len(terms)


def model(dbt, session):
    dbt.config(materialized="table")
    near_ties = dbt.ref("int_interaction_rate_near_ties")
    columns = [*KEYS, "other_value_is_greater", "terms", "other_terms"]
    rows = near_ties.select(*columns).fetchall()
    resolved = {column: [row[index] for row in rows] for index, column in enumerate(columns[:-2])}
    resolved["other_is_greater"] = [exact_mean(row[-1]) > exact_mean(row[-2]) for row in rows]
    frame = pd.DataFrame(resolved)
    # typed even when there is no near tie, so that the table always has its columns' types
    return frame.astype({**{key: "string" for key in KEYS}, "other_value_is_greater": "bool",
                         "other_is_greater": "bool"})
