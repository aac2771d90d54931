"""Data-quality gate: Great Expectations suites (expectations/*.json) run as Dagster asset checks.

`queries` computes small DataFrames in DuckDB for the run's quarters, `suites`
validates them with the suite of their table, and `checks` turns the outcome
into blocking (or warning) asset checks upstream of the publication.
"""
