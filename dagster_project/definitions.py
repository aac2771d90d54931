"""The one entry point: every asset, check, job, schedule and sensor of the pipeline.

`dagster dev` (pyproject's [tool.dagster]) and `bts` load this module.
"""

from __future__ import annotations

import dagster as dg

from .automation import PIPELINE_JOB
from .automation.schedule import quarterly_schedule
from .automation.sensor import landing_sensor
from .ingestion.assets import landing_files
from .publication.assets import analytics_database
from .quality.checks import quality_checks
from .reports.assets import quarterly_report
from .transformation.dbt_assets import bts_dbt_models, dbt_resource

quarterly_pipeline = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all(),  # quarterly: Dagster takes the partitions of the assets selected
    description="Ingest, transform, check, publish and report the selected quarters (one run for a range).",
)

defs = dg.Definitions(
    assets=[landing_files, bts_dbt_models, analytics_database, quarterly_report],
    asset_checks=quality_checks,
    jobs=[quarterly_pipeline],
    schedules=[quarterly_schedule],
    sensors=[landing_sensor],
    resources={"dbt": dbt_resource()},
)
