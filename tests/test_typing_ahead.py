"""sync_landing types the next file on a second connection while it writes the current one (loader._TypingAhead).

What a run loads, rejects and reports must not depend on it: the same landing
directory gives the same raw tables, outcomes and rejection messages with the
thread as without, including the cases where the file typed ahead turns out
not to be needed (a copy of the file being written), is bad, or cannot be
inspected, and a run stopped mid-way leaves no thread and no partial file.
"""

from __future__ import annotations

import threading

import duckdb
import pytest

from dagster_project.ingestion import loader
from test_ingestion import CANONICAL_HEADER, RUN_DATE, Landing, tweet_activity_row, TWEET_ACTIVITY_HEADER

RAW_QUERIES = {
    "posts": "select * exclude (file_hash) from raw.posts order by file_path, line_number",
    "accounts": "select * exclude (file_hash) from raw.accounts order by file_path, line_number",
    "follower_snapshots": "select * exclude (file_hash) from raw.follower_snapshots order by file_path, line_number",
    "landing_paths": "select path, file_hash, loaded_hash from raw.landing_paths order by path",
    "landing_files": "select file_hash, format, raw_table, rows_read, first_path from raw.landing_files order by first_path",
    "landing_rejections": "select path, line_number, column_name, message from raw.landing_rejections order by path",
}


@pytest.fixture(autouse=True)
def each_file_on_its_own(monkeypatch):
    """These files are small: without this, they would be loaded together (tests/test_small_files.py), not typed ahead."""
    monkeypatch.setattr(loader, "SMALL_FILE_BYTES", 0)


def canonical(rows: list[str]) -> str:
    return CANONICAL_HEADER + "".join(row + "\n" for row in rows)


def write_mixed_landing(landing: Landing) -> None:
    """Files in path order, each next to a neighbour that exercises one case of typing ahead."""
    first = canonical([f"x,sanofi,{post},2023-05-0{1 + post % 9} 12:00,post,text {post},{post},0,0,0,," for post in range(1, 40)])
    landing.write("posts/a.csv", first)
    landing.write("posts/a_copy.csv", first)  # typed ahead while a.csv is written: the same bytes, skipped
    landing.write("posts/b.csv", canonical(["x,sanofi,100,2023-06-01 12:00,post,b,1,0,0,0,,", "x,sanofi,101,2023-06-01 13:00,post,b,lots,0,0,0,,"]))
    landing.write("posts/c.csv", canonical(["x,sanofi,200,2023-06-02 12:00,post,c,1,0,0,0,,"]))
    landing.write("posts/d.csv", b"platform,handle\nx,\x00\n")  # a NUL byte: its inspection fails
    landing.write("posts/e.csv", canonical(["x,roche,5,2023-05-01 12:00,post,e,1,0,0,0,,"]))  # post 5 is sanofi's in a.csv
    landing.write(
        "posts/f.csv",
        TWEET_ACTIVITY_HEADER.format(likes="likes")
        + tweet_activity_row("300", "sanofi", "two\nlines", "2023-07-01 10:00 +0000", "3.0")
        + tweet_activity_row("301", "sanofi", "one line", "2023-07-01 11:00 +0000", "4.0"),
    )
    landing.write("posts/g.csv", canonical(["x,sanofi,400,2023-08-01 12:00,post,g,1,0,0,0,,"]))


def synchronised(landing: Landing) -> tuple[list, list, dict]:
    report = landing.sync()
    outcomes = [(o.path, o.file_hash, o.format, o.rows, o.status) for o in report.outcomes]
    rejections = [error.describe() for error in report.rejections]
    return outcomes, rejections, {name: landing.query(sql) for name, sql in RAW_QUERIES.items()}


def test_typing_ahead_loads_rejects_and_reports_what_typing_each_file_at_its_turn_does(tmp_path, monkeypatch):
    typed_in: dict[str, str] = {}
    read_typed = loader.read_typed

    def recording_read_typed(conn, entry, inspection, scratch_dir, run_date):
        typed_in[entry.relative_path] = threading.current_thread().name
        return read_typed(conn, entry, inspection, scratch_dir, run_date)

    monkeypatch.setattr(loader, "read_typed", recording_read_typed)

    results = {}
    for ahead in (False, True):
        monkeypatch.setattr(loader, "TYPING_AHEAD", ahead)
        typed_in.clear()
        (tmp_path / f"ahead-{ahead}").mkdir()
        landing = Landing(tmp_path / f"ahead-{ahead}")
        write_mixed_landing(landing)
        results[ahead] = synchronised(landing)
        if ahead:
            threads = dict(typed_in)
        else:
            assert all(not name.startswith("bts-typing") for name in typed_in.values())

    assert results[True] == results[False]
    outcomes, rejections, _raw = results[True]
    assert [status for *_rest, status in outcomes] == [
        "loaded", "loaded", "unchanged", "rejected", "loaded", "rejected", "rejected", "loaded", "loaded",
    ]
    assert rejections[0].startswith("posts/b.csv, line 3, column 'likes': expected a non-negative integer")
    assert rejections[1].startswith("posts/d.csv, line 2: NUL byte found")
    assert rejections[2].startswith("posts/e.csv, line 2: post 5 is under handle 'roche' here but under 'sanofi' in posts/a.csv (line 6)")
    assert len(rejections) == 3
    # A file that follows one being written (loaded, or rejected by the owner check
    # as e.csv) is typed by the thread meanwhile; one that follows a file found
    # unchanged or rejected before writing is typed at its turn. A copy of the file
    # being written is never typed, nor a file whose inspection failed.
    in_thread = sorted(path for path, thread in threads.items() if thread.startswith("bts-typing"))
    assert in_thread == ["posts/a.csv", "posts/f.csv", "posts/g.csv"]
    assert sorted(threads) == ["accounts.csv", "posts/a.csv", "posts/b.csv", "posts/c.csv", "posts/e.csv", "posts/f.csv", "posts/g.csv"]


def test_a_run_stopped_while_writing_stops_the_typing_thread_and_keeps_what_it_had_committed(tmp_path, monkeypatch):
    landing = Landing(tmp_path)
    for name in ("a", "b", "c"):
        landing.write(f"posts/{name}.csv", canonical([f"x,sanofi,{ord(name)},2023-05-01 12:00,post,{name},1,0,0,0,,"]))
    replace_rows = loader._replace_rows

    def stopped_at_b(conn, entry, *arguments):
        if entry.relative_path == "posts/b.csv":
            raise KeyboardInterrupt
        return replace_rows(conn, entry, *arguments)

    monkeypatch.setattr(loader, "_replace_rows", stopped_at_b)
    with pytest.raises(KeyboardInterrupt):
        landing.sync()
    assert not [thread.name for thread in threading.enumerate() if thread.name.startswith(("bts-typing", "bts-inspect"))]
    assert landing.query("select file_path from raw.posts order by 1") == [("posts/a.csv",)]

    monkeypatch.setattr(loader, "_replace_rows", replace_rows)
    report = landing.sync()
    assert not report.rejections
    assert landing.query("select file_path from raw.posts order by 1") == [("posts/a.csv",), ("posts/b.csv",), ("posts/c.csv",)]


def test_typing_ahead_leaves_no_temporary_table_behind_and_closes_its_connections(tmp_path, monkeypatch):
    """Every path (written, rejected, typed for nothing, skipped) drops its typed tables; close() closes both cursors."""
    instances: list[loader._TypingAhead] = []
    left_at_close: list[int] = []

    class Recording(loader._TypingAhead):
        def __init__(self, *arguments):
            super().__init__(*arguments)
            instances.append(self)

        def close(self):
            # once the thread is done, what each connection still holds is what a path forgot to drop
            self._pool.submit(lambda: None).result()
            for connection in self._connections:
                left_at_close.append(connection.execute("select count(*) from duckdb_tables() where temporary").fetchone()[0])
            super().close()

    monkeypatch.setattr(loader, "_TypingAhead", Recording)
    landing = Landing(tmp_path)
    write_mixed_landing(landing)
    with duckdb.connect(str(landing.db)) as conn:
        report = loader.sync_landing(conn, landing.dir, landing.scratch, "Europe/Paris", RUN_DATE, log=lambda message: None)
        assert len(report.rejections) == 3
        assert len(instances) == 1 and left_at_close == [0, 0]
        # closed by sync_landing itself, while the caller's connection is still open
        for connection in instances[0]._connections:
            with pytest.raises(duckdb.ConnectionException):
                connection.execute("select 1")
