"""Landing layer: the user's export files, synchronised into the raw tables."""


import dagster as dg
import duckdb

from .. import settings
from ..partitions import quarterly_partitions
from ..warehouse import POOL, working_connection
from .loader import RAW_TABLES, ensure_raw_schema, sync_landing

RAW_ASSET_KEYS = {table: dg.AssetKey(["raw", table]) for table in RAW_TABLES}
_LINEAGE_COLUMNS = {
    "file_hash": "SHA-256 of the bytes of the landing file the row comes from.",
    "file_path": "Path of that file relative to the landing directory (the first in sort order when the same bytes sit at several paths).",
    "line_number": "Physical line of the file on which the record starts; the header is line 1.",
}
LANDING_CHECK = "all_landing_files_accepted"


def _raw_column_schemas() -> dict[str, dg.TableSchema]:
    """Each raw table's columns and types, read from the DDL the loader creates them with (one place for them)."""
    with duckdb.connect() as conn:
        ensure_raw_schema(conn)
        rows = conn.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' order by table_name, ordinal_position"
        ).fetchall()
    columns: dict[str, list[dg.TableColumn]] = {}
    for table, name, data_type in rows:
        columns.setdefault(table, []).append(dg.TableColumn(name, data_type.lower(), description=_LINEAGE_COLUMNS.get(name)))
    return {table: dg.TableSchema(columns=columns[table]) for table in RAW_TABLES}


_COLUMN_SCHEMAS = _raw_column_schemas()
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
            metadata={"dagster/column_schema": _COLUMN_SCHEMAS[table]},
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
