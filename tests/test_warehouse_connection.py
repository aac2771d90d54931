"""working_connection: a writer that dbt follows leaves its last commits in DuckDB's write-ahead log."""

from __future__ import annotations

import subprocess
import sys

from dagster_project.warehouse import working_connection


def test_commits_left_in_the_log_are_seen_by_every_later_connection_and_written_by_the_next_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    database, log = tmp_path / "bts.duckdb", tmp_path / "bts.duckdb.wal"
    with working_connection() as conn:
        conn.execute("create table posts as select range as id from range(1000)")
    assert not log.exists()  # a default close checkpoints

    with working_connection(checkpoint_on_close=False) as conn:
        conn.execute("insert into posts values (1000)")
    assert log.exists() and log.stat().st_size > 0

    with working_connection(read_only=True) as conn:  # the checks, the publication: read-only, and they replay the log
        assert conn.execute("select count(*), max(id) from posts").fetchone() == (1001, 1000)
    assert log.exists()
    # another process (dbt) opening the file: same rows
    seen = subprocess.run(
        [sys.executable, "-c", f"import duckdb; print(duckdb.connect({str(database)!r}, read_only=True).execute('select count(*) from posts').fetchone()[0])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert seen == "1001"

    with working_connection() as conn:  # a writer with the default: its close writes the log into the file
        conn.execute("select 1")
    assert not log.exists()
    with working_connection(read_only=True) as conn:
        assert conn.execute("select count(*) from posts").fetchone()[0] == 1001


def test_a_read_only_connection_ignores_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    with working_connection() as conn:
        conn.execute("create table t (a int)")
    with working_connection(read_only=True, checkpoint_on_close=False) as conn:
        assert conn.execute("select count(*) from t").fetchone()[0] == 0
