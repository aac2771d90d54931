"""Landing layer: the user's export files, synchronised into the raw tables."""


import dagster as dg

from .. import settings
from ..partitions import quarterly_partitions
from ..warehouse import POOL, working_connection
from .loader import RAW_TABLES, sync_landing

RAW_ASSET_KEYS = {table: dg.AssetKey(["raw", table]) for table in RAW_TABLES}
LANDING_CHECK = "all_landing_files_accepted"

_DESCRIPTIONS = {
    "accounts": "raw.accounts: one row per line of accounts.csv (the panels), with lineage.",
    "posts": "raw.posts: one row per observation of a post in any post export (a post may be observed in several files), typed, with lineage.",
    "follower_snapshots": "raw.follower_snapshots: one row per line of every follower snapshot file, with lineage.",
}


@dg.multi_asset(
    name="landing_files",
    specs=[
        dg.AssetSpec(
            key,
            group_name="landing",
            kinds={"duckdb", "python"},
            description=_DESCRIPTIONS[table],
            partitions_def=quarterly_partitions(),
        )
        for table, key in RAW_ASSET_KEYS.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            LANDING_CHECK,
            asset=RAW_ASSET_KEYS["posts"],
            blocking=True,
            description="Every landing file was read completely; a rejected file stops the run with its line, column and reason.",
        )
    ],
    partitions_def=quarterly_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
)
def landing_files(context: dg.AssetExecutionContext):
    """Reads every CSV under the landing directory into raw.* (by content hash; unchanged files are skipped).

    Ingestion is not split by quarter (a file spans quarters and is loaded once);
    it is partitioned so that a quarter's run is one graph, and it is idempotent.
    """
    with working_connection() as conn:
        report = sync_landing(
            conn,
            settings.landing_dir(),
            settings.warehouse_dir() / "tmp",
            settings.timezone_name(),
            settings.run_date(),
            log=context.log.info,
        )
        counts = {
            table: conn.execute(f"select count(*) from raw.{table}").fetchone()[0] for table in RAW_TABLES
        }
        files = conn.execute(
            "select format, count(*), sum(rows_read) from raw.landing_files group by format order by format"
        ).fetchall()
    for note in report.notes:
        context.log.warning(note)
    for error in report.rejections:
        context.log.error(f"rejected {error.describe()}")
    files_table = "\n".join(f"| {fmt} | {n} | {rows} |" for fmt, n, rows in files)
    for table, key in RAW_ASSET_KEYS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "dagster/row_count": counts[table],
                "landing_dir": str(settings.landing_dir()),
                "summary": report.summary(),
                **({"files_by_format": dg.MetadataValue.md("| format | files | rows |\n|---|---|---|\n" + files_table)} if table == "posts" else {}),
            },
        )
    yield dg.AssetCheckResult(
        check_name=LANDING_CHECK,
        asset_key=RAW_ASSET_KEYS["posts"],
        passed=not report.rejections,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rejected_files": len(report.rejections),
            "rejections": dg.MetadataValue.md(
                "\n".join(f"- {error.describe()}" for error in report.rejections) or "none"
            ),
            "skipped": dg.MetadataValue.md("\n".join(f"- {note}" for note in report.notes) or "none"),
        },
        description="; ".join(error.describe() for error in report.rejections)[:2000] or None,
    )
