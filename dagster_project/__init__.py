"""Quarterly social-media benchmark pipeline (Dagster + DuckDB + dbt)."""

import warnings

# Every partitioned asset runs a range of quarters as one run (BackfillPolicy.single_run: one
# ingestion, one dbt build, one publication per range). Dagster flags that parameter as beta at each
# decoration, in every code load of `dagster dev` and every test session; the choice is deliberate,
# and the notice says nothing to the people reading those logs. Only that notice is silenced.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` of function `asset` is currently in beta")
