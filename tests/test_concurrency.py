"""Two runs at once on one warehouse: the second waits for the first, saying so; readers are never blocked.

The warehouse lock (dagster_project/warehouse.py) is an exclusive flock on a
file of the warehouse: held for a whole `bts run`, released by the kernel
when its holder dies, never taken by readers of analytics.duckdb.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from pipeline_runs import (
    REPO,
    AnalyticsWatcher,
    ProgressLines,
    clean_run,
    dagster_home,
    differences,
    kill_group,
    mart_rows,
    same_marts,
    start_run,
    warehouse_with_a_previous_version,
    write_landing,
)

HOLD_THE_LOCK = """
import sys, time
from dagster_project.warehouse import warehouse_lock
with warehouse_lock(announce=lambda message: print(message, flush=True)):
    print("holding", flush=True)
    time.sleep(float(sys.argv[1]))
print("released", flush=True)
"""


def lock_holder(warehouse, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(seconds)],
        cwd=REPO, env={**os.environ, "BTS_WAREHOUSE_DIR": str(warehouse)},
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )


def test_a_second_holder_of_the_warehouse_lock_waits_for_the_first_and_says_so(tmp_path):
    first = lock_holder(tmp_path, 3)
    assert first.stdout.readline().strip() == "holding"
    started = time.monotonic()
    second = lock_holder(tmp_path, 0)
    waiting = second.stdout.readline()
    assert waiting.startswith("waiting for another run to finish")
    assert f"locked by pid {first.pid}" in waiting
    assert second.stdout.readline().startswith("lock acquired after")
    assert second.stdout.readline().strip() == "holding"
    assert first.wait(timeout=30) == 0 and second.wait(timeout=30) == 0
    assert time.monotonic() - started > 1.5


def test_a_lock_holder_killed_with_sigkill_frees_the_warehouse_at_once(tmp_path):
    first = lock_holder(tmp_path, 600)
    assert first.stdout.readline().strip() == "holding"
    kill_group(first)
    second = lock_holder(tmp_path, 0)
    assert second.stdout.readline().strip() == "holding"
    assert second.wait(timeout=30) == 0


@pytest.mark.slow
def test_two_runs_started_at_once_both_succeed_one_after_the_other_and_readers_are_never_blocked(tmp_path_factory):
    clean_warehouse, new = clean_run(tmp_path_factory)
    warehouse, previous = warehouse_with_a_previous_version(clean_warehouse, tmp_path_factory.mktemp("concurrent-warehouse"))
    landing = write_landing(tmp_path_factory.mktemp("concurrent-landing"))
    # Copies under other names and folders are loaded once: the marts are those of the landing without them.
    shutil.copytree(landing / "instagram" / "campagnes", landing / "sauvegarde" / "campagnes (copie)")
    shutil.copy(landing / "x" / "posts_x_2023-Q4.csv", landing / "x" / "posts_x_2023-Q4 - Copie.csv")
    analytics = warehouse / "analytics.duckdb"
    held_open = duckdb.connect(str(analytics), read_only=True)
    reads = []

    instance = dagster_home(tmp_path_factory.mktemp("concurrent-dagster-home"))
    runs = [start_run(landing, warehouse, instance), start_run(landing, warehouse, instance)]
    outputs = [ProgressLines(process) for process in runs]
    with AnalyticsWatcher(analytics) as watcher:
        while any(process.poll() is None for process in runs):
            started = time.monotonic()
            held_open.execute("select count(*) from marts.fct_account_quarter").fetchone()
            reads.append(time.monotonic() - started)
            time.sleep(0.2)
    stderr = [lines.rest() for lines in outputs]
    held_open.close()

    assert [process.returncode for process in runs] == [0, 0], stderr
    assert sum("waiting for another run to finish" in text for text in stderr) == 1
    assert len(reads) > 20 and max(reads) < 5, "a reader holding analytics.duckdb open is never made to wait"
    assert watcher.failures == []
    assert watcher.states and all(same_marts(state, previous) or same_marts(state, new) for state in watcher.states)
    published = mart_rows(analytics)
    # marts.landing_files lists every path, the copies too; every mart is that of the landing without them.
    assert published.pop("landing_files") == sorted(new["landing_files"] + [
        ("sauvegarde/campagnes (copie)/" + path.split("/")[-1], *rest) for path, *rest in new["landing_files"]
        if path.startswith("instagram/campagnes/")
    ] + [("x/posts_x_2023-Q4 - Copie.csv", *rest) for path, *rest in new["landing_files"] if path == "x/posts_x_2023-Q4.csv"])
    assert same_marts(published, {table: rows for table, rows in new.items() if table != "landing_files"}), differences(published, new)
    with duckdb.connect(str(warehouse / "bts.duckdb"), read_only=True) as working:
        assert working.execute(
            "select count(*) from (select file_hash, line_number from raw.posts group by all having count(*) > 1)"
        ).fetchone() == (0,)
        assert working.execute("select count(*) from raw.landing_paths where loaded_hash is null").fetchone() == (0,)
