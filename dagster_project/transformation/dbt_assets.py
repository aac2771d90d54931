"""Staging, intermediate and mart layers: the dbt project, one asset per model."""


import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from .. import settings
from ..partitions import quarterly_partitions, quarters_of_context
from ..warehouse import POOL, warehouse_lock
from .manifest import dbt_executable, ensure_manifest

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)


class LayeredTranslator(DagsterDbtTranslator):
    """Asset keys are `<schema>/<model>` as in the warehouse; groups are the layers."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "default"
        return dg.AssetKey([layer, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "landing"
        fqn = dbt_resource_props["fqn"]
        return fqn[1] if len(fqn) > 2 else None


def dbt_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    quarters = quarters_of_context(context)
    return {
        "bts_quarter_from": quarters[0].label,
        "bts_quarter_to": quarters[-1].label,
        "bts_run_date": settings.run_date().isoformat(),
    }


ensure_manifest(dbt_project.manifest_path)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LayeredTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    partitions_def=quarterly_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
)
def bts_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` for the run's quarters: the models and their data tests."""
    os.environ.update(settings.dbt_environment())
    with warehouse_lock():
        # Unit tests check the SQL, not the data: `make test` runs them, a data run does not repeat them.
        arguments = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars(context))]
        yield from dbt.cli(arguments, context=context).stream()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, profiles_dir=str(settings.DBT_PROJECT_DIR), dbt_executable=dbt_executable())


MART_TABLES = (
    "fct_account_quarter",
    "fct_account_year",
    "fct_panel_quarter",
    "fct_panel_year",
    "rank_account_quarter",
    "rank_account_year",
    "fct_top_posts_quarter",
    "fct_top_posts_year",
    "fct_hashtags_quarter",
)
MART_ASSET_KEYS = [dg.AssetKey(["marts", table]) for table in MART_TABLES]
