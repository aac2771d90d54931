"""Publish the marts to the analysts' database: written aside, then renamed over the old file.

A reader holding the old `analytics.duckdb` open keeps reading the old file
(rename replaces the directory entry, not the open file); a new reader sees
either the previous complete file or the new complete one, never a mix.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def publish_marts(working_db: Path, analytics_db: Path, tables: tuple[str, ...]) -> dict[str, int]:
    """Copy `marts.<table>` for every table (and the landing lineage) into a new analytics file; return row counts."""
    analytics_db.parent.mkdir(parents=True, exist_ok=True)
    temporary = analytics_db.with_name(f".{analytics_db.name}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    try:
        conn = duckdb.connect(str(temporary))
        try:
            conn.execute(f"attach {_sql_string(str(working_db))} as working (read_only)")
            conn.execute("create schema marts")
            for table in tables:
                conn.execute(f'create table marts."{table}" as select * from working.marts."{table}"')
                counts[table] = conn.execute(f'select count(*) from marts."{table}"').fetchone()[0]
            conn.execute(
                """
                create table marts.landing_files as
                select paths.path, files.format, files.rows_read as rows, files.loaded_at
                from working.raw.landing_paths as paths
                inner join working.raw.landing_files as files on files.file_hash = paths.loaded_hash
                order by paths.path
                """
            )
            conn.execute("detach working")
            conn.execute("checkpoint")
        finally:
            conn.close()
        _fsync(temporary)
        os.replace(temporary, analytics_db)
        _fsync(analytics_db.parent)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return counts


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove_stale_temporaries(analytics_db: Path) -> None:
    """Files left aside by a publication that was killed: never renamed, so never seen by readers."""
    for leftover in analytics_db.parent.glob(f".{analytics_db.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)
