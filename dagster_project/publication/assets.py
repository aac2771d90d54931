"""The analysts' database, published after the marts and their blocking checks."""


import dagster as dg

from .. import settings
from ..partitions import quarterly_partitions
from ..transformation.dbt_assets import MART_ASSET_KEYS, MART_TABLES
from ..warehouse import POOL, warehouse_lock
from .publish import publish_marts, remove_stale_temporaries


@dg.asset(
    key=["analytics_database"],
    deps=MART_ASSET_KEYS,
    group_name="publication",
    kinds={"duckdb"},
    partitions_def=quarterly_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
)
def analytics_database(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """$BTS_WAREHOUSE_DIR/analytics.duckdb: schema `marts` with every mart table, replaced whole and atomically.

    Runs only when the marts materialised and every blocking check upstream
    passed, so the file analysts read always holds the last good data.
    """
    target = settings.analytics_db_path()
    with warehouse_lock():
        remove_stale_temporaries(target)
        counts = publish_marts(settings.working_db_path(), target, MART_TABLES)
    context.log.info(f"published {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "dagster/row_count": sum(counts.values()),
            "rows_per_table": dg.MetadataValue.json(counts),
        }
    )
