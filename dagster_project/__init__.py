"""Quarterly social-media benchmark pipeline (Dagster + DuckDB + dbt)."""
