"""The pipeline's DuckDB connections and dbt's (dbt/profiles.yml) are configured alike.

Both write the working database, one after the other: a ceiling or an
allocator setting changed on one side only would make the two processes'
memory differ for no reason (benchmarks/README.md, "Where the time goes").
A connection of the pipeline that wrote closes, and so checkpoints, under a
lower ceiling. Neither side's checkpoints merge part-filled row groups.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project import settings, warehouse
from dagster_project.warehouse import (
    ALLOCATOR_FLUSH_THRESHOLD,
    CHECKPOINT_MEMORY_LIMIT_BYTES,
    MAX_VACUUM_TASKS,
    working_connection,
)

PROFILE = Path(__file__).resolve().parents[1] / "dbt" / "profiles.yml"


def dbt_settings() -> dict[str, str]:
    return yaml.safe_load(PROFILE.read_text(encoding="utf-8"))["bts"]["outputs"]["dev"]["settings"]


def as_bytes(size: str) -> int:
    """A size as DuckDB reads it (`32MB`, `32.0 MiB`), in bytes, by DuckDB itself."""
    with duckdb.connect() as conn:
        conn.execute(f"set allocator_bulk_deallocation_flush_threshold = '{size}'")
        shown = conn.execute("select current_setting('allocator_bulk_deallocation_flush_threshold')").fetchone()[0]
    number, unit = re.fullmatch(r"([\d.]+) (\w+)", shown).groups()
    return round(float(number) * {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit])


def test_the_pipelines_connection_sets_the_memory_ceiling_and_the_allocators_flush(tmp_path, monkeypatch):
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.setenv("BTS_DUCKDB_MEMORY_LIMIT", "700MB")
    with working_connection() as conn:
        limit, flush = conn.execute(
            "select current_setting('memory_limit'), current_setting('allocator_bulk_deallocation_flush_threshold')"
        ).fetchone()
    assert limit == shown_limit("700MB")
    assert as_bytes(flush) == as_bytes(ALLOCATOR_FLUSH_THRESHOLD)
    # and not DuckDB's own default (512 MiB): the setting took
    with duckdb.connect() as default:
        assert flush != default.execute("select current_setting('allocator_bulk_deallocation_flush_threshold')").fetchone()[0]


def test_dbts_profile_sets_the_same_ceiling_and_allocator_flush_as_the_pipeline(monkeypatch):
    profile = dbt_settings()
    assert as_bytes(profile["allocator_bulk_deallocation_flush_threshold"]) == as_bytes(ALLOCATOR_FLUSH_THRESHOLD)
    # the ceiling comes from the variable the pipeline hands dbt, with the pipeline's default
    (variable, default), = re.findall(r"env_var\('(\w+)', '([^']+)'\)", profile["memory_limit"])
    monkeypatch.delenv(variable, raising=False)
    assert default == settings.duckdb_memory_limit()
    monkeypatch.setenv(variable, "700MB")
    assert settings.dbt_environment()[variable] == "700MB"


def row_groups(conn: duckdb.DuckDBPyConnection, table: str) -> list[int]:
    """The number of rows of each of a table's row groups, in order: the rows of its first column's data segments."""
    return [
        count
        for _group, count in conn.execute(
            "select row_group_id, sum(count) from pragma_storage_info(?) where column_path = '[0]' group by all order by 1",
            [table],
        ).fetchall()
    ]


def test_the_working_databases_checkpoints_keep_part_filled_row_groups_and_drop_emptied_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    full, rows = 122_880, 130_000  # one row group and a bit: each append is written as its own row groups
    with working_connection() as conn:
        assert conn.execute("select current_setting('max_vacuum_tasks')").fetchone()[0] == MAX_VACUUM_TASKS == 0
        conn.execute("create table appended (i bigint, file integer)")
        for file in range(3):
            conn.execute("insert into appended select range, ? from range(?)", [file, rows])
    with working_connection() as conn:
        # DuckDB's default would have merged them at the closing checkpoint: [full, full, 14240, full, 7120]
        assert row_groups(conn, "appended") == [full, rows - full] * 3
        conn.execute("delete from appended where file = 1")  # a replaced file's rows
    with working_connection(read_only=True) as conn:
        assert row_groups(conn, "appended") == [full, rows - full] * 2
        assert conn.execute("select file, count(*) from appended group by 1 order by 1").fetchall() == [(0, rows), (2, rows)]


def test_dbts_profile_turns_off_the_merging_of_row_groups_as_the_pipeline_does():
    assert int(dbt_settings()["max_vacuum_tasks"]) == MAX_VACUUM_TASKS


class ClosingLimit:
    """A working connection's stand-in that notes the memory ceiling in force when it is closed."""

    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self.conn = conn
        self.at_close = None

    def execute(self, *args):
        return self.conn.execute(*args)

    def close(self) -> None:
        self.at_close = self.conn.execute("select current_setting('memory_limit')").fetchone()[0]
        self.conn.close()


def shown_limit(size: str) -> str:
    """A memory ceiling as DuckDB shows it once set (`1.2 GiB`)."""
    with duckdb.connect() as reference:
        reference.execute("set memory_limit = ?", [size])
        return reference.execute("select current_setting('memory_limit')").fetchone()[0]


@pytest.fixture
def closed_connections(tmp_path, monkeypatch) -> list[ClosingLimit]:
    """The working connections opened in the test, each noting the ceiling in force when it closed."""
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    opened = []
    real_connect = warehouse._connect

    def connect(*args) -> ClosingLimit:
        opened.append(ClosingLimit(real_connect(*args)))
        return opened[-1]

    monkeypatch.setattr(warehouse, "_connect", connect)
    return opened


@pytest.mark.parametrize(
    "ceiling, read_only, closing",
    [
        ("1300MB", False, f"{CHECKPOINT_MEMORY_LIMIT_BYTES}B"),
        ("200MB", False, "200MB"),  # lowered, never raised
        ("1300MB", True, "1300MB"),  # a reader does not checkpoint
    ],
    ids=["writer", "writer under a lower ceiling", "reader"],
)
def test_a_writers_closing_checkpoint_runs_under_the_checkpoint_ceiling(closed_connections, monkeypatch, ceiling, read_only, closing):
    monkeypatch.setenv("BTS_DUCKDB_MEMORY_LIMIT", ceiling)
    with duckdb.connect(str(settings.working_db_path())) as setup:
        setup.execute("create table kept as select range as i from range(1000)")
    with working_connection(read_only=read_only) as conn:
        if not read_only:
            conn.execute("insert into kept select range from range(1000, 200000)")
        rows = conn.execute("select count(*) from kept").fetchone()[0]
    assert closed_connections[0].at_close == shown_limit(closing)
    assert not Path(f"{settings.working_db_path()}.wal").exists()  # checkpointed on closing
    with duckdb.connect(str(settings.working_db_path()), read_only=True) as after:
        assert after.execute("select count(*) from kept").fetchone()[0] == rows == (1000 if read_only else 200000)


def test_a_failed_writer_closes_under_the_runs_ceiling_and_keeps_nothing_of_its_transaction(closed_connections, monkeypatch):
    monkeypatch.setenv("BTS_DUCKDB_MEMORY_LIMIT", "1300MB")
    with pytest.raises(RuntimeError, match="stopped"):
        with working_connection() as conn:
            conn.execute("create table kept (i integer)")
            conn.execute("begin")
            conn.execute("insert into kept select range from range(1000)")
            raise RuntimeError("stopped")
    assert closed_connections[0].at_close == shown_limit("1300MB")
    with duckdb.connect(str(settings.working_db_path()), read_only=True) as after:
        assert after.execute("select count(*) from kept").fetchone()[0] == 0
