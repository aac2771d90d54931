"""Which quarters a landing file holds data for, read without the working database.

The landing sensor asks this of every new or changed file. It must not open the
working DuckDB file: that file has one writer at a time, and a run may be
writing it. So the file is read on a private in-memory DuckDB connection, by
the ingestion code's own steps (encoding, header, dialect, typing and
validation), so a file's dates are read exactly as a load would read them.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import duckdb

from ..ingestion import loader
from ..ingestion.files import FileInspection, LandingEntry, inspect_file
from ..quarters import Quarter


# Tables whose rows count after their own quarter: a follower snapshot gives the
# account's count on every later day until its next snapshot, "carried forward,
# without age limit" (LANDING.md section 3).
CARRIED_FORWARD_TABLES = frozenset({"follower_snapshots"})


def quarters_touched(
    entry: LandingEntry, timezone: str, run_date: dt.date, inspection: FileInspection | None = None
) -> tuple[set[Quarter], bool]:
    """The quarters of the local dates of a post export's posts or a follower file's snapshots,
    and whether its rows are carried forward into every later quarter (follower snapshots).

    accounts.csv holds no dated rows and gives an empty set: the caller decides
    (its panels apply to every quarter). Raises LandingFileError, naming the
    line and column, for a file a run would reject.
    """
    inspection = inspection or inspect_file(entry)
    conn = duckdb.connect()  # in memory: never the working database
    try:
        conn.execute("set TimeZone = 'UTC'")
        conn.execute("set variable bts_timezone = ?", [timezone])
        with tempfile.TemporaryDirectory(prefix="bts-landing-sensor-") as scratch:
            fmt = loader.read_typed(conn, entry, inspection, Path(scratch), run_date).fmt
            local_date = loader.LOCAL_DATE_SQL.get(fmt.table)
            if local_date is None:
                return set(), False
            rows = conn.execute(
                f"select distinct year({local_date}), quarter({local_date}) from typed where {local_date} is not null"
            ).fetchall()
    finally:
        conn.close()
    return {Quarter(year, number) for year, number in rows}, fmt.table in CARRIED_FORWARD_TABLES

