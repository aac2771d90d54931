"""The pipeline's DuckDB connections and dbt's (dbt/profiles.yml) are configured alike.

Both write the working database, one after the other: a ceiling or an
allocator setting changed on one side only would make the two processes'
memory differ for no reason (benchmarks/README.md, "Where the time goes").
A connection of the pipeline that wrote closes, and so checkpoints, under a
lower ceiling.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project import settings, warehouse
from dagster_project.warehouse import ALLOCATOR_FLUSH_THRESHOLD, CHECKPOINT_MEMORY_LIMIT_BYTES, working_connection

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
    with duckdb.connect() as reference:
        reference.execute("set memory_limit = '700MB'")
        assert limit == reference.execute("select current_setting('memory_limit')").fetchone()[0]
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
    with duckdb.connect() as reference:
        reference.execute("set memory_limit = ?", [size])
        return reference.execute("select current_setting('memory_limit')").fetchone()[0]


@pytest.mark.parametrize(
    "ceiling, read_only, wrote, closing",
    [
        ("1300MB", False, True, f"{CHECKPOINT_MEMORY_LIMIT_BYTES}B"),
        ("200MB", False, True, "200MB"),  # lowered, never raised
        ("1300MB", True, False, "1300MB"),  # a reader does not checkpoint
    ],
    ids=["writer", "writer under a lower ceiling", "reader"],
)
def test_a_writers_closing_checkpoint_runs_under_the_checkpoint_ceiling(tmp_path, monkeypatch, ceiling, read_only, wrote, closing):
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.setenv("BTS_DUCKDB_MEMORY_LIMIT", ceiling)
    with duckdb.connect(str(settings.working_db_path())) as setup:
        setup.execute("create table kept as select range as i from range(1000)")
    connections = []
    real_connect = warehouse._connect
    monkeypatch.setattr(warehouse, "_connect", lambda *args: connections.append(ClosingLimit(real_connect(*args))) or connections[-1])
    with working_connection(read_only=read_only) as conn:
        if wrote:
            conn.execute("insert into kept select range from range(1000, 200000)")
        rows = conn.execute("select count(*) from kept").fetchone()[0]
    assert connections[0].at_close == shown_limit(closing)
    assert not Path(f"{settings.working_db_path()}.wal").exists()  # checkpointed on closing
    with duckdb.connect(str(settings.working_db_path()), read_only=True) as after:
        assert after.execute("select count(*) from kept").fetchone()[0] == rows == (200000 if wrote else 1000)


def test_a_failed_writer_closes_under_the_runs_ceiling_and_keeps_nothing_of_its_transaction(tmp_path, monkeypatch):
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.setenv("BTS_DUCKDB_MEMORY_LIMIT", "1300MB")
    connections = []
    real_connect = warehouse._connect
    monkeypatch.setattr(warehouse, "_connect", lambda *args: connections.append(ClosingLimit(real_connect(*args))) or connections[-1])
    with pytest.raises(RuntimeError, match="stopped"):
        with working_connection() as conn:
            conn.execute("create table kept (i integer)")
            conn.execute("begin")
            conn.execute("insert into kept select range from range(1000)")
            raise RuntimeError("stopped")
    assert connections[0].at_close == shown_limit("1300MB")
    with duckdb.connect(str(settings.working_db_path()), read_only=True) as after:
        assert after.execute("select count(*) from kept").fetchone()[0] == 0
