"""The dbt layer's run periods: a one-quarter run after changes gives what a full run gives for that
quarter and its year (the intermediates read only the run's periods and the ones before them), and
the run's quarters reach dbt through dbt_run.parameters, as Dagster writes them, or through --vars."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from test_marts import DBT_DIR, MART_TABLES, REPO_ROOT, dbt_build, write_raw_fixture

pytestmark = pytest.mark.slow  # several `dbt build`s, like test_marts

RUN_DATE = "2024-05-10"


def dbt_build_from_table(
    workdir: Path, database: Path, quarter_from: str, quarter_to: str, run_date: str, every_quarter: str | None = None
) -> subprocess.CompletedProcess:
    """`dbt build` without --vars, the quarters written to dbt_run.parameters first, as the Dagster asset does.

    Without `every_quarter` the table has no such column, as an older version wrote it.
    """
    extra = "" if every_quarter is None else ", ? as bts_every_quarter"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema if not exists dbt_run")
        con.execute(
            f"create or replace table dbt_run.parameters as select ? as bts_quarter_from, ? as bts_quarter_to, ? as bts_run_date{extra}",
            [quarter_from, quarter_to, run_date] + ([] if every_quarter is None else [every_quarter]),
        )
    return run_dbt(workdir, database)


def run_dbt(workdir: Path, database: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"), "build",
            "--profiles-dir", str(DBT_DIR), "--project-dir", str(DBT_DIR),
            "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs"),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "BTS_DUCKDB_PATH": str(database), "BTS_TIMEZONE": "Europe/Paris", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
    )


def change_raw(database: Path) -> None:
    """A late post in 2023-Q4, and a 2023-Q3 post with more likes (it moves Q4's previous ranks), as ingestion records them."""
    with duckdb.connect(str(database)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(
            "insert into raw.posts values ('x', 'delta', 'd9', timestamptz '2023-12-05 10:00:00+00', 'post', '#RSE tard', "
            "70, 1, 2, 0, null, 'https://example.org/delta/d9', 'canonical_posts', 'hash-late', 'x/late.csv', 2)"
        )
        con.execute("update raw.posts set likes = likes + 500 where post_id = 'b2'")
        con.execute("insert into raw.changed_posts values ('x', 'd9'), ('x', 'b2')")


def marts_of(database: Path, quarter: str, year: int) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = {}
        for table in MART_TABLES:
            column, value = ("year", year) if table.endswith("_year") else ("quarter", quarter)
            rows[table] = con.execute(f"select * from marts.{table} where {column} = ? order by all", [value]).fetchall()
        return rows


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("run-periods")
    incremental = work / "incremental.duckdb"
    write_raw_fixture(incremental)
    full = work / "full.duckdb"
    shutil.copy(incremental, full)
    # incremental: every quarter, then the changes, then 2023-Q4 alone, its quarters from the table
    dbt_build(work / "i1", incremental, "2023-Q3", "2024-Q1", RUN_DATE)
    change_raw(incremental)
    completed = dbt_build_from_table(work / "i2", incremental, "2023-Q4", "2023-Q4", RUN_DATE)
    assert completed.returncode == 0, completed.stdout[-8000:]
    # full: the changes first, then every quarter at once
    change_raw(full)
    dbt_build(work / "f1", full, "2023-Q3", "2024-Q1", RUN_DATE)
    return {"incremental": incremental, "full": full, "work": work}


def test_a_one_quarter_run_after_changes_equals_a_full_run_for_its_quarter_and_year(builds):
    incremental = marts_of(builds["incremental"], "2023-Q4", 2023)
    full = marts_of(builds["full"], "2023-Q4", 2023)
    assert all(full[table] for table in MART_TABLES)
    for table in MART_TABLES:
        assert incremental[table] == full[table], table
    # the late post counts: delta published nothing else
    assert [row[9] for row in incremental["fct_account_quarter"] if row[5] == "delta"] == [1]


def test_a_one_quarter_run_leaves_the_other_quarters_as_they_were(builds):
    with duckdb.connect(str(builds["incremental"]), read_only=True) as con:
        quarters = {row[0] for row in con.execute("select distinct quarter from marts.fct_account_quarter").fetchall()}
    assert quarters == {"2023-Q3", "2023-Q4", "2024-Q1"}


def test_command_line_vars_win_over_the_table(builds, tmp_path):
    database = tmp_path / "vars.duckdb"
    shutil.copy(builds["full"], database)
    with duckdb.connect(str(database)) as con:
        con.execute("create schema if not exists dbt_run")
        con.execute("create or replace table dbt_run.parameters as select '2023-Q3' as bts_quarter_from, '2023-Q3' as bts_quarter_to, '' as bts_run_date")
        con.execute("delete from marts.fct_account_quarter where quarter = '2024-Q1'")
    dbt_build(tmp_path, database, "2024-Q1", "2024-Q1", RUN_DATE)
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_account_quarter where quarter = '2024-Q1'").fetchone()[0] > 0


def test_without_vars_or_table_the_build_fails_naming_the_var(tmp_path):
    database = tmp_path / "bare.duckdb"
    write_raw_fixture(database)
    completed = run_dbt(tmp_path, database)
    assert completed.returncode != 0
    assert "bts_quarter_from is not set" in completed.stdout


def test_a_run_of_every_quarter_keeps_no_other_period(builds, tmp_path):
    """`bts run --all` (bts_every_quarter 'true'): the run's quarters are all that has data, so the marts
    drop the others, whose posts have left (tests/test_reference_sequences.py runs it through `bts`).
    A table without the column (written before it existed) is a run of some quarters, as the builds above show."""
    database = tmp_path / "every.duckdb"
    shutil.copy(builds["incremental"], database)
    completed = dbt_build_from_table(tmp_path, database, "2023-Q4", "2024-Q1", RUN_DATE, every_quarter="true")
    assert completed.returncode == 0, completed.stdout[-8000:]
    with duckdb.connect(str(database), read_only=True) as con:
        for table in MART_TABLES:
            column = "year" if table.endswith("_year") else "quarter"
            periods = {row[0] for row in con.execute(f"select distinct {column} from marts.{table}").fetchall()}
            assert periods <= ({2023, 2024} if column == "year" else {"2023-Q4", "2024-Q1"}), table
        assert {row[0] for row in con.execute("select distinct quarter from marts.fct_account_quarter").fetchall()} == {"2023-Q4", "2024-Q1"}
        # the figures of the quarters kept are those of a run of some quarters
        kept = con.execute("select * from marts.fct_account_quarter where quarter = '2023-Q4' order by all").fetchall()
    assert kept == marts_of(builds["incremental"], "2023-Q4", 2023)["fct_account_quarter"]


def test_a_malformed_every_quarter_parameter_fails_the_build(builds, tmp_path):
    database = tmp_path / "malformed.duckdb"
    shutil.copy(builds["incremental"], database)
    completed = dbt_build_from_table(tmp_path, database, "2023-Q4", "2023-Q4", RUN_DATE, every_quarter="yes")
    assert completed.returncode != 0
    assert "bts_every_quarter must be true or false" in completed.stdout
