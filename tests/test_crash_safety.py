"""kill -9 at any moment, then a normal run, gives the marts of an uninterrupted run.

At every moment analytics.duckdb is absent (before the first publication),
the previous complete version or the new complete one: publication writes a
file aside and renames it over, and the working database is transactional.
The component tests kill ingestion and publication at many random moments
(cheap); the slow test kills the whole `bts run` process group during
ingestion, dbt and publication. Marts are compared row by row and value by
value, exactly except for doubles (pipeline_runs.same_marts says why).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingestion.loader import sync_landing
from dagster_project.publication.publish import publish_marts, remove_stale_temporaries
from pipeline_runs import (
    REPO,
    AnalyticsWatcher,
    ProgressLines,
    clean_run,
    dagster_home,
    differences,
    kill_group,
    mart_rows,
    run,
    same_marts,
    start_run,
    wait_for_group_to_end,
    warehouse_with_a_previous_version,
    write_landing,
)

RUN_DATE = dt.date(2026, 11, 26)


def killed_after(arguments: list[str], delay: float) -> None:
    """Start a Python child in its own process group and SIGKILL the group after `delay` seconds."""
    process = subprocess.Popen(
        [sys.executable, "-c", *arguments], cwd=REPO, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        pass
    kill_group(process)
    assert process.returncode in (0, -9), process.stderr.read().decode()[-2000:]


# --- publication ------------------------------------------------------------------------------

PUBLISH = """
import sys
from pathlib import Path
from dagster_project.publication.publish import publish_marts
publish_marts(Path(sys.argv[1]), Path(sys.argv[2]), ("fct_big", "fct_small"))
"""


def write_working_marts(working: Path, version: int, rows: int) -> None:
    with duckdb.connect(str(working)) as conn:
        conn.execute("create schema if not exists raw")
        conn.execute("create table if not exists raw.landing_paths (path varchar, file_hash varchar, loaded_hash varchar)")
        conn.execute("create table if not exists raw.landing_files (file_hash varchar, format varchar, rows_read bigint, loaded_at timestamptz)")
        conn.execute("create schema if not exists marts")
        conn.execute(
            "create or replace table marts.fct_big as select ? as version, i, md5(cast(i * ? as varchar)) as text from range(?) as t(i)",
            [version, version, rows],
        )
        conn.execute("create or replace table marts.fct_small as select ? as version", [version])


def published_version(analytics: Path, rows: int) -> int:
    """The version the analysts' file holds; fails unless it opens and every table is complete and consistent."""
    with duckdb.connect(str(analytics), read_only=True) as conn:
        (small,) = conn.execute("select version from marts.fct_small").fetchone()
        big = conn.execute("select count(*), min(version), max(version) from marts.fct_big").fetchone()
    assert big == (rows, small, small)
    return small


def test_publication_killed_at_random_moments_leaves_the_previous_or_the_new_database(tmp_path):
    rows = 1_000_000
    working, analytics = tmp_path / "bts.duckdb", tmp_path / "analytics.duckdb"
    write_working_marts(working, 1, rows)
    publish_marts(working, analytics, ("fct_big", "fct_small"))
    write_working_marts(working, 2, rows)
    started = time.monotonic()
    killed_after([PUBLISH, str(working), str(tmp_path / "timing.duckdb")], delay=120)
    full = time.monotonic() - started

    moments = random.Random(8)
    versions, interrupted_writes = set(), 0
    for delay in sorted(moments.uniform(0, 1.1 * full) for _ in range(8)):
        killed_after([PUBLISH, str(working), str(analytics)], delay)
        versions.add(published_version(analytics, rows))
        interrupted_writes += sum(1 for path in tmp_path.glob(".analytics.duckdb.*.tmp"))
    assert versions <= {1, 2}
    assert interrupted_writes, "at least one kill fell while the new file was being written"

    remove_stale_temporaries(analytics)
    publish_marts(working, analytics, ("fct_big", "fct_small"))
    assert published_version(analytics, rows) == 2
    assert sorted(path.name for path in tmp_path.iterdir() if "analytics" in path.name) == ["analytics.duckdb"]


def test_a_reader_keeps_the_previous_database_until_the_rename_and_then_sees_the_new_one(tmp_path):
    working, analytics = tmp_path / "bts.duckdb", tmp_path / "analytics.duckdb"
    write_working_marts(working, 1, 1000)
    publish_marts(working, analytics, ("fct_big", "fct_small"))
    with duckdb.connect(str(analytics), read_only=True) as reader:
        write_working_marts(working, 2, 1000)
        publish_marts(working, analytics, ("fct_big", "fct_small"))
        assert reader.execute("select version from marts.fct_small").fetchone() == (1,)
    assert published_version(analytics, 1000) == 2


# --- ingestion --------------------------------------------------------------------------------

SYNC = """
import datetime as dt, sys
from pathlib import Path
import duckdb
from dagster_project.ingestion.loader import sync_landing
with duckdb.connect(sys.argv[1]) as conn:
    sync_landing(conn, Path(sys.argv[2]), Path(sys.argv[3]), "Europe/Paris", dt.date(2026, 11, 26), log=lambda message: None)
"""


def raw_rows(database: Path) -> dict[str, list[tuple]]:
    """Every raw table, rows ordered, without the load and rejection times."""
    with duckdb.connect(str(database)) as conn:
        conn.execute("set TimeZone = 'UTC'")
        result = {}
        for table in ("accounts", "posts", "follower_snapshots", "landing_files", "landing_paths", "landing_rejections"):
            columns = [name for (name,) in conn.execute(
                "select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ? order by column_index", [table]
            ).fetchall() if name not in ("loaded_at", "rejected_at", "mtime_ns")]
            result[table] = conn.execute(f"select {', '.join(columns)} from raw.{table} order by all").fetchall()
    return result


def test_ingestion_killed_at_random_moments_then_rerun_gives_the_raw_tables_of_an_uninterrupted_one(tmp_path):
    landing = write_landing(tmp_path / "landing")
    clean = tmp_path / "clean.duckdb"
    with duckdb.connect(str(clean)) as conn:
        started = time.monotonic()
        sync_landing(conn, landing, tmp_path / "scratch-clean", "Europe/Paris", RUN_DATE, log=lambda message: None)
        full = time.monotonic() - started
    expected = raw_rows(clean)

    interrupted = tmp_path / "interrupted.duckdb"
    # The child also imports DuckDB and the package (about a second) before it reads a file.
    moments = random.Random(5)
    for delay in sorted(moments.uniform(0.5, 1.5 + full) for _ in range(6)):
        killed_after([SYNC, str(interrupted), str(landing), str(tmp_path / "scratch")], delay)
        with duckdb.connect(str(interrupted)) as conn:  # the write-ahead log is replayed: the file opens
            conn.execute("select count(*) from duckdb_tables()").fetchone()
    with duckdb.connect(str(interrupted)) as conn:
        report = sync_landing(conn, landing, tmp_path / "scratch", "Europe/Paris", RUN_DATE, log=lambda message: None)
    assert not report.rejections
    assert raw_rows(interrupted) == expected


# --- the whole run ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_run_killed_during_ingestion_dbt_or_publication_then_rerun_gives_the_marts_of_an_uninterrupted_run(tmp_path_factory):
    clean_warehouse, new = clean_run(tmp_path_factory)
    warehouse, previous = warehouse_with_a_previous_version(clean_warehouse, tmp_path_factory.mktemp("killed-warehouse"))
    assert not same_marts(previous, new)
    landing = write_landing(tmp_path_factory.mktemp("killed-landing"))
    # With the project's Dagster instance, as `make demo` and `bts` from the Makefile run: a killed run must not
    # keep the pool's only slot.
    instance = dagster_home(tmp_path_factory.mktemp("killed-dagster-home"))
    analytics = warehouse / "analytics.duckdb"
    kill_points = [
        ("step landing_files started", 0.3),
        ("step bts_dbt_models started", 8.0),
        ("step analytics_database started", 0.0),
        ("step landing_files started", random.Random(3).uniform(1, 25)),
    ]

    with AnalyticsWatcher(analytics) as watcher:
        for line, delay in kill_points:
            process = start_run(landing, warehouse, instance)
            ProgressLines(process).wait_for(line)
            time.sleep(delay)
            kill_group(process)
            published = mart_rows(analytics)
            assert same_marts(published, previous) or same_marts(published, new), f"after a kill {delay:.1f} s after {line!r}"
    assert watcher.failures == []
    assert all(same_marts(state, previous) or same_marts(state, new) for state in watcher.states)

    completed = run(landing, warehouse, instance)
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "was interrupted (its process died): marked failed, its pool slot freed" in completed.stderr
    published = mart_rows(analytics)
    assert same_marts(published, new), differences(published, new)
    assert [path.name for path in warehouse.iterdir() if path.name.startswith(".analytics")] == []


@pytest.mark.slow
def test_ctrl_c_stops_the_whole_command_publishes_nothing_and_says_what_was_not_run(tmp_path):
    landing = write_landing(tmp_path / "landing")
    warehouse = tmp_path / "warehouse"
    process = start_run(landing, warehouse, quarters=("2022-Q1", "2023-Q4"))  # two runs: 2022-Q1, then 2023-Q4
    lines = ProgressLines(process)
    lines.wait_for("step bts_dbt_models started")
    time.sleep(1.0)
    os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches its whole group: bts, dbt, the validator
    stderr = lines.rest()
    assert process.wait(timeout=120) == 130, stderr
    assert "step bts_dbt_models interrupted" in stderr
    assert "2022-Q1: INTERRUPTED (nothing was published" in stderr
    assert "not run: 2023-Q4" in stderr and "running 2023-Q4" not in stderr  # Dagster returned; bts did not go on
    assert "Traceback" not in stderr and "step failed" not in stderr, stderr
    assert not (warehouse / "analytics.duckdb").exists()
    wait_for_group_to_end(process.pid, "a process of the interrupted run (dbt, the validator) was left behind")
