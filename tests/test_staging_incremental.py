"""stg_landing__posts rebuilds only the posts whose observations changed, and ends where a full build ends."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project import settings
from dagster_project.ingestion import loader
from dagster_project.ingestion.loader import sync_landing

HEADER = "platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink\n"
ACCOUNTS = "panel,platform,handle,company,display_name,account_type,member_from,member_to\np,x,sanofi,S,S,corporate,,\n"
DBT = Path(sys.executable).parent / "dbt"


def post(post_id: int, likes: int, handle: str = "sanofi") -> str:
    return f"x,{handle},{post_id},2023-05-0{post_id % 9 + 1} 12:00,post,text {post_id},{likes},0,0,0,,\n"


def new_landing(tmp_path: Path) -> Path:
    """A landing directory holding only accounts.csv (one X account, sanofi)."""
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "accounts.csv").write_text(ACCOUNTS)
    return landing


def build_staging(landing: Path, database: Path, work: Path, timezone: str = "Europe/Paris") -> list[tuple]:
    with duckdb.connect(str(database)) as conn:
        report = sync_landing(conn, landing, work / "scratch", timezone, dt.date(2026, 11, 26), log=lambda m: None)
        assert not report.rejections
    subprocess.run(
        [str(DBT), "run", "--select", "stg_landing__posts", "--project-dir", str(settings.DBT_PROJECT_DIR),
         "--profiles-dir", str(settings.DBT_PROJECT_DIR), "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        check=True, capture_output=True, env={**os.environ, "BTS_DUCKDB_PATH": str(database), "BTS_TIMEZONE": timezone},
    )
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.changed_posts").fetchone() == (0,)
        return conn.execute("select post_id, likes, file_path, * exclude (line_number) from staging.stg_landing__posts order by all").fetchall()


def test_an_incremental_staging_build_equals_a_full_one_after_changes_and_deletions(tmp_path):
    landing = new_landing(tmp_path)
    (landing / "a.csv").write_text(HEADER + post(1, 5) + post(2, 7) + post(3, 1))
    (landing / "b.csv").write_text(HEADER + post(2, 9) + post(4, 2))
    (landing / "gone.csv").write_text(HEADER + post(6, 3))
    incremental_db = tmp_path / "incremental.duckdb"
    first = build_staging(landing, incremental_db, tmp_path / "first")
    assert [row[:2] for row in first] == [("1", 5), ("2", 9), ("3", 1), ("4", 2), ("6", 3)]

    # b's post 2 falls behind a's; post 3 leaves a; a new file; a deleted file.
    (landing / "b.csv").write_text(HEADER + post(2, 6) + post(4, 2))
    (landing / "a.csv").write_text(HEADER + post(1, 5) + post(2, 7))
    (landing / "c.csv").write_text(HEADER + post(5, 8) + post(1, 11))
    (landing / "gone.csv").unlink()
    incremental = build_staging(landing, incremental_db, tmp_path / "second")
    full = build_staging(landing, tmp_path / "full.duckdb", tmp_path / "full")

    assert incremental == full
    assert [row[:3] for row in incremental] == [("1", 11, "c.csv"), ("2", 7, "a.csv"), ("4", 2, "b.csv"), ("5", 8, "c.csv")]


def test_a_timezone_change_reloads_the_same_bytes_in_place_of_their_old_rows(tmp_path):
    landing = new_landing(tmp_path)
    (landing / "a.csv").write_text(HEADER + post(1, 5) + post(2, 7))
    (landing / "copy-of-a.csv").write_text(HEADER + post(1, 5) + post(2, 7))
    (landing / "b.csv").write_text(HEADER + post(3, 1))
    database = tmp_path / "bts.duckdb"
    paris = build_staging(landing, database, tmp_path / "paris")
    # a's bytes are named by the copy's path, the one that sorts last (LANDING.md 4's tie-break)
    assert [row[:3] for row in paris] == [("1", 5, "copy-of-a.csv"), ("2", 7, "copy-of-a.csv"), ("3", 1, "b.csv")]

    incremental = build_staging(landing, database, tmp_path / "utc", timezone="UTC")
    full = build_staging(landing, tmp_path / "full.duckdb", tmp_path / "full", timezone="UTC")
    assert incremental == full
    with duckdb.connect(str(database), read_only=True) as conn:
        # every observation once (the copy's bytes are a's), under the new zone only
        assert conn.execute("select count(*), count(distinct file_hash) from raw.posts").fetchone() == (3, 2)
        assert conn.execute("select distinct timezone from raw.landing_files").fetchall() == [("UTC",)]
    # 12:00 local: 10:00 UTC in Paris's summer time, 12:00 in UTC
    def utc_hours(rows):
        return {row[6].astimezone(dt.timezone.utc).hour for row in rows}  # published_at

    assert utc_hours(paris) == {10} and utc_hours(incremental) == {12}


def test_changed_posts_are_listed_only_once_staging_exists(tmp_path):
    # a new warehouse: dbt builds staging from the whole of raw.posts, so nothing is listed
    landing = new_landing(tmp_path)
    (landing / "a.csv").write_text(HEADER + post(1, 5) + post(2, 7))
    database = tmp_path / "bts.duckdb"
    with duckdb.connect(str(database)) as conn:
        sync_landing(conn, landing, tmp_path / "scratch", "Europe/Paris", dt.date(2026, 11, 26), log=lambda m: None)
        assert conn.execute("select count(*) from raw.posts").fetchone() == (2,)
        assert conn.execute("select count(*) from raw.changed_posts").fetchone() == (0,)

    build_staging(landing, database, tmp_path / "first")
    (landing / "b.csv").write_text(HEADER + post(3, 1))
    (landing / "a.csv").write_text(HEADER + post(1, 5))
    with duckdb.connect(str(database)) as conn:
        sync_landing(conn, landing, tmp_path / "scratch", "Europe/Paris", dt.date(2026, 11, 26), log=lambda m: None)
        assert sorted(conn.execute("select distinct post_id from raw.changed_posts").fetchall()) == [("1",), ("2",), ("3",)]


def test_a_staging_table_of_an_older_version_loses_the_columns_it_no_longer_has(tmp_path):
    """Staging held source_format and file_hash until they were left to raw.landing_files: an older warehouse still builds."""
    landing = new_landing(tmp_path)
    (landing / "a.csv").write_text(HEADER + post(1, 5) + post(2, 7))
    database = tmp_path / "bts.duckdb"
    build_staging(landing, database, tmp_path / "first")
    with duckdb.connect(str(database)) as conn:
        conn.execute("alter table staging.stg_landing__posts add column source_format varchar default 'canonical_posts'")
        conn.execute("alter table staging.stg_landing__posts add column file_hash varchar default 'abc'")

    (landing / "a.csv").write_text(HEADER + post(1, 5) + post(2, 9))
    rows = build_staging(landing, database, tmp_path / "second")

    assert [row[:2] for row in rows] == [("1", 5), ("2", 9)]
    with duckdb.connect(str(database), read_only=True) as conn:
        columns = [row[0] for row in conn.execute("describe staging.stg_landing__posts").fetchall()]
    assert "source_format" not in columns and "file_hash" not in columns
    assert columns[-2:] == ["file_path", "line_number"]


def built_warehouse_of_two_files(tmp_path: Path) -> tuple[Path, Path]:
    """a.csv (posts 1 and 2) and b.csv (post 3), loaded and staged by the current rules."""
    landing = new_landing(tmp_path)
    (landing / "a.csv").write_text(HEADER + post(1, 5) + post(2, 7))
    (landing / "b.csv").write_text(HEADER + post(3, 1))
    database = tmp_path / "bts.duckdb"
    build_staging(landing, database, tmp_path / "first")
    return landing, database


def test_files_read_under_older_reading_rules_are_read_again(tmp_path, monkeypatch):
    """A warehouse whose rows were read by other rules (READER_VERSION) reads the same bytes again, once."""
    landing, database = built_warehouse_of_two_files(tmp_path)
    with duckdb.connect(str(database)) as conn:
        assert conn.execute("select distinct reader_version from raw.landing_files").fetchall() == [(loader.READER_VERSION,)]
        # as a warehouse of a version before reader versions: no such column, and rows its rules read otherwise
        conn.execute("alter table raw.landing_files drop column reader_version")
        conn.execute("update raw.posts set likes = 999 where file_path = 'a.csv'")

    notes = []

    def sync() -> dict[str, str]:
        with duckdb.connect(str(database)) as conn:
            report = sync_landing(conn, landing, tmp_path / "scratch", "Europe/Paris", dt.date(2026, 11, 26), log=lambda m: None)
        notes.append(report.notes)
        return {outcome.path: outcome.status for outcome in report.outcomes}

    assert sync() == {"accounts.csv": "loaded", "a.csv": "loaded", "b.csv": "loaded"}
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute("select post_id, likes from raw.posts order by post_id").fetchall() == [("1", 5), ("2", 7), ("3", 1)]
        # every file was stale: loaded as in a new warehouse, staging left for dbt to build in full
        assert not loader._staging_is_built(conn)
        assert conn.execute("select count(*) from raw.changed_posts").fetchone() == (0,)
    assert sync() == {"accounts.csv": "unchanged", "a.csv": "unchanged", "b.csv": "unchanged"}
    monkeypatch.setattr(loader, "READER_VERSION", loader.READER_VERSION + 1)
    assert sync() == {"accounts.csv": "loaded", "a.csv": "loaded", "b.csv": "loaded"}
    # the user is told, since a one-quarter run leaves the other quarters' figures as they were
    read_again = "3 file(s) read again (a.csv, accounts.csv, b.csv): loaded before under another timezone"
    assert [[note[:len(read_again)] for note in run] for run in notes] == [[read_again], [], [read_again]]
    assert "`bts run --all` refreshes every one" in notes[0][0]

    # the staging build run as a separate dbt process sees the rows the current rules read
    incremental = build_staging(landing, database, tmp_path / "second")
    full = build_staging(landing, tmp_path / "full.duckdb", tmp_path / "full")
    assert incremental == full
    assert [row[:2] for row in incremental] == [("1", 5), ("2", 7), ("3", 1)]
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute("select count(*), count(distinct file_hash) from raw.posts").fetchone() == (3, 2)
        assert conn.execute("select distinct reader_version from raw.landing_files").fetchall() == [(loader.READER_VERSION,)]


def test_some_files_read_under_older_rules_are_replaced_one_by_one(tmp_path):
    """Only part of the warehouse stale (a sync stopped half-way through reading everything again): staging is kept and updated."""
    landing, database = built_warehouse_of_two_files(tmp_path)
    with duckdb.connect(str(database)) as conn:
        conn.execute("update raw.landing_files set reader_version = null where first_path = 'b.csv'")
        conn.execute("update raw.posts set likes = 999 where file_path = 'b.csv'")
        report = sync_landing(conn, landing, tmp_path / "scratch", "Europe/Paris", dt.date(2026, 11, 26), log=lambda m: None)
        assert {outcome.path: outcome.status for outcome in report.outcomes} == {
            "accounts.csv": "unchanged", "a.csv": "unchanged", "b.csv": "loaded"}
        assert loader._staging_is_built(conn)
        assert conn.execute("select post_id from raw.changed_posts").fetchall() == [("3",), ("3",)]  # its old rows and its new

    incremental = build_staging(landing, database, tmp_path / "second")
    assert incremental == build_staging(landing, tmp_path / "full.duckdb", tmp_path / "full")
    assert [row[:2] for row in incremental] == [("1", 5), ("2", 7), ("3", 1)]
