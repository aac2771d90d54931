"""Access to the working DuckDB file, which has one writer at a time.

Inside Dagster the pool `bts_duckdb` (dagster.yaml) serialises the steps of
concurrent runs; across processes (two `bts run` at once, or `bts` beside the
UI) an exclusive lock file under the warehouse does, and a second run waits
for the first, saying so.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from . import settings

POOL = "bts_duckdb"
_held = threading.local()


def lock_path() -> Path:
    return settings.warehouse_dir() / ".bts.lock"


@contextlib.contextmanager
def warehouse_lock(announce=lambda message: print(message, file=sys.stderr, flush=True)) -> Iterator[None]:
    """Hold the warehouse's exclusive lock; re-entrant within a thread."""
    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            announce(f"waiting for another run to finish (the warehouse {settings.warehouse_dir()} is locked by {holder})")
            started = time.monotonic()
            fcntl.flock(handle, fcntl.LOCK_EX)
            announce(f"lock acquired after {time.monotonic() - started:.0f} s")
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


# DuckDB's allocator keeps the memory it frees for reuse, outside its memory ceiling, and hands it
# back to the system after a bulk deallocation larger than this (512 MiB by default). At ten million
# posts, ingestion's median resident memory was 823-894 MB with the default and 679-719 MB with
# 32 MiB, its peak 1,481-1,588 and 1,430-1,464 MB, in the same time (benchmarks/README.md).
ALLOCATOR_FLUSH_THRESHOLD = "32MB"

# A connection that wrote checkpoints the file when it closes, and with the run's ceiling DuckDB
# keeps what the checkpoint reads in memory up to that ceiling. When checkpoints still merged
# part-filled row groups (MAX_VACUUM_TASKS below), the closing checkpoint of ten million posts
# raised ingestion's resident memory from about 830 MB to 1,448 MB under the 1300MB ceiling, and
# to 501 MB under 300MB, in the same 4.6-4.9 s (benchmarks/README.md). It runs under this
# ceiling, or the run's if lower: a bound on what a checkpoint may hold, whatever it has to write.
CHECKPOINT_MEMORY_LIMIT_BYTES = 300 * 1000**2

# DuckDB's checkpoints also merge neighbouring part-filled row groups into full ones ("vacuum"),
# rewriting and compressing again every row they hold. Each file's append ends in one or two such
# row groups (one per core inserting), so after ten million posts raw.posts had 123 row groups, 58
# part-filled, and the merging took the closing checkpoint 10.4 s and the next two 2.7 and 0.8 s,
# on one core, with nothing else to do. Reading the unmerged table is no slower (benchmarks/README.md).
# Merging is off for the working database, in dbt's connection too (dbt/profiles.yml): a row
# group whose every row was deleted (a replaced file's) is still dropped at the next checkpoint.
MAX_VACUUM_TASKS = 0
_SHOWN_UNITS = {"bytes": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4, "PiB": 1024**5}


@contextlib.contextmanager
def working_connection(read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the working database, closed on exit so dbt (another process) can open the file."""
    path = settings.working_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warehouse_lock():
        conn = _connect(path, read_only and path.exists())
        try:
            conn.execute("set TimeZone = 'UTC'")
            conn.execute("set memory_limit = ?", [settings.duckdb_memory_limit()])
            # The same as dbt's (profiles.yml): memory DuckDB frees goes back to the system sooner
            conn.execute("set allocator_bulk_deallocation_flush_threshold = ?", [ALLOCATOR_FLUSH_THRESHOLD])
            conn.execute("set max_vacuum_tasks = ?", [MAX_VACUUM_TASKS])
            yield conn
            if not read_only:
                _lower_ceiling_for_checkpoint(conn)
        finally:
            conn.close()


def _memory_limit_bytes(conn: duckdb.DuckDBPyConnection) -> float | None:
    """The connection's memory ceiling in bytes, read from DuckDB's own display of it (`1.2 GiB`)."""
    shown = conn.execute("select current_setting('memory_limit')").fetchone()[0]
    number, _, unit = shown.partition(" ")
    try:
        return float(number) * _SHOWN_UNITS[unit]
    except (ValueError, KeyError):
        return None


def _lower_ceiling_for_checkpoint(conn: duckdb.DuckDBPyConnection) -> None:
    """Lower the ceiling, never raise it, for the checkpoint `close()` runs (CHECKPOINT_MEMORY_LIMIT_BYTES)."""
    ceiling = _memory_limit_bytes(conn)
    if ceiling is not None and ceiling <= CHECKPOINT_MEMORY_LIMIT_BYTES:
        return
    try:
        conn.execute("set memory_limit = ?", [f"{CHECKPOINT_MEMORY_LIMIT_BYTES}B"])
    except duckdb.OutOfMemoryException:
        # what the connection holds cannot be evicted below it: the checkpoint runs under the run's ceiling
        pass


def _connect(path: Path, read_only: bool, retry: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the working database: the one place the pipeline opens it."""
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.ConnectionException as error:
        # DuckDB keeps a file's instance open in this process while any object of an
        # earlier connection lives, and refuses a second one with another read_only
        # setting. Under the warehouse lock nobody else writes, so reuse its mode.
        if not retry or "different configuration" not in str(error):
            raise
        return _connect(path, not read_only, retry=False)
