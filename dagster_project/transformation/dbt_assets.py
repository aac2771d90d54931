"""Staging, intermediate and mart layers: the dbt project, one asset per model."""


import importlib.metadata
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from packaging import version
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from .. import settings
from ..partitions import quarterly_partitions, quarters_of_context
from ..warehouse import POOL, warehouse_lock, working_connection
from .manifest import PARTIAL_PARSE_FILE, dbt_executable, ensure_manifest

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
        # `bts run --all`: the run's quarters are every quarter with data; the marts drop the others
        "bts_every_quarter": "true" if context.run.tags.get(settings.EVERY_QUARTER_TAG) == "true" else "false",
    }


def write_run_parameters(parameters: Mapping[str, str]) -> None:
    """The run's quarters and date, as one row of dbt_run.parameters, read by dbt's macros (macros/run_periods.sql).

    Not `--vars`: dbt parses the whole project again whenever its command-line
    vars change (about 10 s), while a table read at compile time leaves its
    partial parsing valid from run to run. Written under the warehouse lock,
    which the caller holds through `dbt build`, so no other run changes it
    in between.
    """
    with working_connection() as conn:
        conn.execute("create schema if not exists dbt_run")
        conn.execute(
            "create or replace table dbt_run.parameters as select cast(? as varchar) as bts_quarter_from, "
            "cast(? as varchar) as bts_quarter_to, cast(? as varchar) as bts_run_date, cast(? as varchar) as bts_every_quarter",
            [
                parameters["bts_quarter_from"],
                parameters["bts_quarter_to"],
                parameters["bts_run_date"],
                parameters.get("bts_every_quarter", "false"),
            ],
        )


def keep_partial_parse(invocation: DbtCliInvocation) -> None:
    """Put dbt's parse state back where the next invocation's is copied from.

    dagster-dbt gives each invocation its own target folder, seeded with
    dbt/target/partial_parse.msgpack; the state dbt leaves there (parsed for
    this environment: database path, timezone) replaces it, atomically, so
    the next run parses only what changed.
    """
    produced = invocation.target_path / PARTIAL_PARSE_FILE
    destination = settings.DBT_PROJECT_DIR / "target" / PARTIAL_PARSE_FILE
    if not produced.exists():
        return
    scratch = destination.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}")
    try:
        shutil.copyfile(produced, scratch)
        os.replace(scratch, destination)
    except OSError:  # a missed copy only costs the next run a full parse
        scratch.unlink(missing_ok=True)


KEPT_INVOCATIONS = 10


def invocation_target_path(run_id: str) -> Path:
    """$BTS_WAREHOUSE_DIR/dbt/<time>-<run>: this build's artifacts (run_results.json, manifest, compiled SQL).

    Beside the warehouse they describe, not in the dbt project (dagster-dbt's
    default, one more folder per run, never removed).
    """
    return settings.warehouse_dir() / "dbt" / f"{time.strftime('%Y%m%dT%H%M%S')}-{run_id[:8]}"


def prune_invocation_targets(keep: int = KEPT_INVOCATIONS) -> None:
    """Keep the artifacts of the last `keep` builds; called under the warehouse lock, so no build of this warehouse is running."""
    folders = sorted(path for path in (settings.warehouse_dir() / "dbt").glob("*-*") if path.is_dir())
    for folder in folders[:-keep] if keep else folders:
        shutil.rmtree(folder, ignore_errors=True)


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
        write_run_parameters(dbt_vars(context))
        # No dbt.log: its JSON lines repeated what dagster-dbt reads from dbt's
        # standard output (kept in the run's log, warehouse/logs/) and cost
        # about a second per build (1 million posts, one quarter: 11.4 -> 10.2 s).
        arguments = ["build", "--exclude-resource-type", "unit_test", "--log-level-file", "none"]
        invocation = dbt.cli(arguments, context=context, target_path=invocation_target_path(context.run_id))
        try:
            yield from with_warehouse_metadata(invocation)
        finally:
            keep_partial_parse(invocation)
            prune_invocation_targets()


def with_warehouse_metadata(invocation: DbtCliInvocation) -> Iterator[Any]:
    """dbt's events, each model's with its row count and its columns' types read from the warehouse.

    Not dagster-dbt's fetch_row_counts() / fetch_column_metadata(): they open
    dbt's DuckDB adapter in this process and leave the file open with dbt's
    settings, so the next step run in the same process (`bts` runs in process)
    cannot connect ("Can't open a connection to same database file with a
    different configuration"). The figures are read here on one connection of
    our own, once dbt has exited: while it runs, dbt is the file's one writer.
    So the events wait for dbt to finish, as dagster-dbt makes them wait for DuckDB.
    """
    events: list[Any] = []
    failure: Exception | None = None
    try:
        for event in invocation.stream():
            events.append(event)
    except Exception as error:  # dbt failed: the models it built still get their figures, then the error is raised
        failure = error
    models = {unique_id: invocation.manifest["nodes"][unique_id] for unique_id in map(_model_id, events) if unique_id}
    tables = _table_metadata(models.values())
    for event in events:
        model = models.get(_model_id(event))
        figures = tables.get((model["schema"], model["alias"])) if model else None
        yield event.with_metadata({**event.metadata, **figures}) if figures else event
    if failure is not None:
        raise failure


def _model_id(event: Any) -> str | None:
    """The dbt unique_id of a model's materialization; None for test results and anything else."""
    if isinstance(event, (dg.Output, dg.AssetMaterialization)) and "unique_id" in event.metadata:
        return event.metadata["unique_id"].value
    return None


def _table_metadata(nodes) -> dict[tuple[str, str], dict[str, Any]]:
    """(schema, table) -> row count and typed column schema (descriptions from the dbt YAML)."""
    wanted = {(node["schema"], node["alias"]): node for node in nodes}
    if not wanted:
        return {}
    with working_connection(read_only=True) as conn:
        columns = conn.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
        ).fetchall()
        present = {(schema, table) for schema, table, _name, _type in columns}
        counts = {
            key: conn.execute(f'select count(*) from "{key[0]}"."{key[1]}"').fetchone()[0]
            for key in wanted
            if key in present
        }
    schemas: dict[tuple[str, str], list[dg.TableColumn]] = {}
    for schema, table, name, data_type in columns:
        if (schema, table) in counts:
            described = wanted[(schema, table)]["columns"].get(name, {})
            schemas.setdefault((schema, table), []).append(
                dg.TableColumn(name, data_type.lower(), description=described.get("description") or None)
            )
    return {
        key: {
            "dagster/row_count": dg.MetadataValue.int(counts[key]),
            "dagster/column_schema": dg.MetadataValue.table_schema(dg.TableSchema(columns=schemas[key])),
        }
        for key in counts
    }


class BtsDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without the two things it does in this process before each `dbt` command.

    Before starting dbt, DbtCliResource.cli() runs `dbt --version` in a
    subprocess (about 2.5 s: dbt's imports) and builds a dbt adapter in this
    process (about 3 s: profile, project, macros), which only its
    fetch_row_counts() / fetch_column_metadata() use, and which this
    project does not (with_warehouse_metadata reads the figures itself).
    The version is the installed dbt-core's when the executable is the one
    beside this Python, as dbt_executable() picks it; without an adapter,
    dagster-dbt runs dbt just the same.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None


def dbt_resource() -> DbtCliResource:
    return BtsDbtCliResource(project_dir=dbt_project, profiles_dir=str(settings.DBT_PROJECT_DIR), dbt_executable=dbt_executable())


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
