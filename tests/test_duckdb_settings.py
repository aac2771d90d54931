"""The pipeline's DuckDB connections and dbt's (dbt/profiles.yml) are configured alike.

Both write the working database, one after the other: a ceiling or an
allocator setting changed on one side only would make the two processes'
memory differ for no reason (benchmarks/README.md, "Where the time goes").
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import yaml

from dagster_project import settings
from dagster_project.warehouse import ALLOCATOR_FLUSH_THRESHOLD, working_connection

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
