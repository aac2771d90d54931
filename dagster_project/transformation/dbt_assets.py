"""Staging, intermediate and mart layers: the dbt project, one asset per model."""


import json
import os
import subprocess
import sys
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from .. import settings
from ..partitions import quarterly_partitions, quarters_of_context
from ..warehouse import POOL, warehouse_lock

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt installed beside this Python, so the pipeline works without an activated venv."""
    executable = Path(sys.executable).parent / "dbt"
    return str(executable) if executable.exists() else "dbt"


def parse_dbt_project() -> None:
    """Write dbt's manifest, which the asset definitions are built from."""
    subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR)],
        check=True,
        env={**os.environ, **settings.dbt_environment()},
    )


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


def _newest_dbt_source_mtime() -> float:
    sources = [settings.DBT_PROJECT_DIR / "dbt_project.yml", settings.DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests"):
        sources.extend(path for path in (settings.DBT_PROJECT_DIR / folder).rglob("*") if path.is_file())
    return max(path.stat().st_mtime for path in sources if path.exists())


def ensure_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than a model, macro or test."""
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_dbt_source_mtime():
        parse_dbt_project()


def dbt_vars(context: dg.AssetExecutionContext) -> dict[str, str]:
    quarters = quarters_of_context(context)
    return {
        "bts_quarter_from": quarters[0].label,
        "bts_quarter_to": quarters[-1].label,
        "bts_run_date": settings.run_date().isoformat(),
    }


ensure_manifest()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LayeredTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    partitions_def=quarterly_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
)
def bts_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` for the run's quarters: models, their data tests and unit tests."""
    os.environ.update(settings.dbt_environment())
    with warehouse_lock():
        yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars(context))], context=context).stream()


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
