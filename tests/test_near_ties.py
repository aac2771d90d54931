"""The Python dbt model that compares near-tie interaction rates exactly.

int_interaction_rate_near_ties_resolved is called here as dbt calls it, with a
`dbt` object whose ref() returns a DuckDB relation, over near ties written by
hand. The whole pipeline's side (ranks that follow it) is in
tests/test_reference_marts.py and the unit tests of int_account_metrics_ranked.
"""

from __future__ import annotations

import importlib.util
from fractions import Fraction
from pathlib import Path

import duckdb

MODEL = Path(__file__).resolve().parents[1] / "dbt" / "models" / "intermediate" / "int_interaction_rate_near_ties_resolved.py"


def load_model():
    spec = importlib.util.spec_from_file_location("near_ties_resolved", MODEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeDbt:
    """What a dbt-duckdb Python model receives: config() and ref() to a DuckDB relation."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self.connection = connection
        self.configured: dict = {}

    def config(self, **kwargs):
        self.configured.update(kwargs)

    def ref(self, name: str):
        assert name == "int_interaction_rate_near_ties"
        return self.connection.table("near_ties")


def near_ties_table(connection: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    connection.execute("""
        create table near_ties (
            period_kind varchar, period varchar, panel varchar, handle varchar, other_handle varchar,
            other_value_is_greater boolean,
            terms struct(numerator bigint, denominator bigint)[],
            other_terms struct(numerator bigint, denominator bigint)[])""")
    for row in rows:
        connection.execute("insert into near_ties values (?, ?, ?, ?, ?, ?, ?, ?)", row)


def terms(*fractions: tuple[int, int]) -> list[dict]:
    return [{"numerator": numerator, "denominator": denominator} for numerator, denominator in fractions]


def test_exact_mean_is_the_mean_of_the_fractions():
    model = load_model()
    assert model.exact_mean(terms((1, 10), (3, 10), (2, 10))) == Fraction(1, 5)
    assert model.exact_mean(terms((1, 99_999_999), (1, 100_000_001))) == Fraction(100_000_000, 10**16 - 1)


def test_near_ties_are_resolved_by_their_exact_rates():
    n = 10**8
    rows = [
        # 0.1, 0.3 and 0.2 over three days against 0.2 on one day: equal, whatever the doubles say
        ("quarter", "2023-Q4", "pharma", "a", "b", True, terms((1, 10), (3, 10), (2, 10)), terms((1, 5))),
        ("quarter", "2023-Q4", "pharma", "b", "a", False, terms((1, 5)), terms((1, 10), (3, 10), (2, 10))),
        # 1/(N-1) and 1/(N+1) against 1/N twice: higher by 1e-16 of the value
        ("year", "2023", "pharma", "c", "d", False, terms((1, n - 1), (1, n + 1)), terms((1, n), (1, n))),
        ("year", "2023", "pharma", "d", "c", False, terms((1, n), (1, n)), terms((1, n - 1), (1, n + 1))),
    ]
    connection = duckdb.connect()
    near_ties_table(connection, rows)
    dbt = FakeDbt(connection)
    frame = load_model().model(dbt, connection)
    assert dbt.configured == {"materialized": "table"}
    got = {(row.handle, row.other_handle): (row.other_value_is_greater, row.other_is_greater)
           for row in frame.itertuples()}
    assert got == {("a", "b"): (True, False), ("b", "a"): (False, False),
                   ("c", "d"): (False, False), ("d", "c"): (False, True)}
    assert list(frame.columns) == ["period_kind", "period", "panel", "handle", "other_handle",
                                   "other_value_is_greater", "other_is_greater"]


def test_no_near_tie_gives_an_empty_table_with_its_column_types():
    connection = duckdb.connect()
    near_ties_table(connection, [])
    frame = load_model().model(FakeDbt(connection), connection)
    assert len(frame) == 0
    types = {name: kind for name, kind, *_ in connection.execute("describe select * from frame").fetchall()}
    assert types == {"period_kind": "VARCHAR", "period": "VARCHAR", "panel": "VARCHAR", "handle": "VARCHAR",
                     "other_handle": "VARCHAR", "other_value_is_greater": "BOOLEAN", "other_is_greater": "BOOLEAN"}

