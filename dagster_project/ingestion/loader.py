"""Synchronise the raw tables of the working database with the landing directory.

LANDING.md sections 4 and 5: a file is identified by its content hash; the same
bytes are never loaded twice; a changed file replaces what it loaded; a
deleted file's rows leave; a file that cannot be read completely is rejected
whole (its earlier version, if any, stays loaded) and named in the report.

Each file is loaded in its own transaction: DuckDB reads the CSV (explicit
dialect, every field as text) and types every field in the same statement
(`_TypedFile`), the typed rows are validated column-wise in SQL, and only a
file without a single bad value is inserted.

Three things overlap, each on its own thread: the next files are hashed and
their encoding checked (`_Inspections`), the next file is read, typed and
validated on a second connection (`_TypingAhead`), and the current one is
checked against what is loaded and written. Files are written one at a time,
in path order, so every check sees the files before it.

Small files (up to SMALL_FILE_BYTES) next to each other in path order and of
one layout are read, checked and written together instead, one statement and
one transaction for the group (`_load_small_files`): a file costs about 20 ms
of DuckDB's planning and bookkeeping however small it is. A group loads only
if nothing in it is wrong; otherwise it is cut before the first file holding
something wrong, which goes through the file-by-file path, so what loads and
what is reported is the same either way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import duckdb

from . import files as landing_files
from .files import FileInspection, LandingEntry, LandingFileError
from .formats import (
    ACCOUNTS,
    ALL_FORMATS,
    CANONICAL_POSTS,
    DATA_FORMATS,
    EARLIEST_DATE,
    Field,
    LandingFormat,
    closest_format,
    likes_column,
    missing_columns,
    quote_identifier,
    recognise,
)

ACCOUNTS_FILE = "accounts.csv"
MAX_RECORD_BYTES = 64 << 20  # one record (a post with its text) may be long; 64 MiB is far past any real post
# Line numbers of a file with line breaks inside fields: from this many records an
# ASOF join on the records holding breaks (1.24 -> 0.84 s at 687,500 records),
# below it the positional join, whose set-up is cheaper (benchmarks/README.md).
ASOF_LINE_NUMBERS_FROM = 300_000
# The version of the rules that read a landing file into raw rows (formats,
# parsing, typing, validation). Each loaded file's row of raw.landing_files
# records the version it was read under; a file read under another one (or
# before versions were recorded: NULL) is read again at the next sync, like a
# file whose bytes changed, so that a warehouse never keeps rows that the
# current rules would read differently or reject. Raise it with any change
# that can turn the same bytes into other rows or another verdict.
#   1: records with more fields than the header, even empty ones, are rejected
#      (earlier versions dropped empty trailing fields and loaded such records
#      shifted); X content's Date is validated.
READER_VERSION = 1

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.accounts (
    panel varchar, platform varchar, handle varchar, company varchar, display_name varchar,
    account_type varchar, member_from date, member_to date,
    file_hash varchar not null, file_path varchar not null, line_number bigint not null
);
create table if not exists raw.posts (
    platform varchar, handle varchar, post_id varchar, published_at timestamptz, post_type varchar, text varchar,
    likes bigint, comments bigint, reposts bigint, quotes bigint, impressions bigint, permalink varchar,
    source_format varchar,
    file_hash varchar not null, file_path varchar not null, line_number bigint not null
);
create table if not exists raw.follower_snapshots (
    platform varchar, handle varchar, snapshot_date date, followers bigint, following bigint,
    file_hash varchar not null, file_path varchar not null, line_number bigint not null
);
create table if not exists raw.changed_posts (
    platform varchar, post_id varchar
);
create table if not exists raw.landing_files (
    file_hash varchar primary key, format varchar not null, raw_table varchar not null,
    rows_read bigint not null, first_path varchar not null, loaded_at timestamptz not null, timezone varchar not null,
    reader_version integer
);
create table if not exists raw.landing_paths (
    path varchar primary key, size_bytes bigint not null, mtime_ns bigint not null,
    file_hash varchar not null, loaded_hash varchar
);
create table if not exists raw.landing_rejections (
    path varchar not null, file_hash varchar, line_number bigint, column_name varchar, message varchar not null,
    rejected_at timestamptz not null
);
"""

RAW_TABLES = ("accounts", "posts", "follower_snapshots")

# The local date (in the reporting timezone) each dated raw table's rows belong
# to, over the columns of `typed`: the date-range check and the landing
# sensor's touched quarters read it here.
LOCAL_DATE_SQL = {
    "posts": "cast(timezone(getvariable('bts_timezone'), published_at) as date)",
    "follower_snapshots": "snapshot_date",
}


@dataclasses.dataclass
class FileOutcome:
    path: str
    file_hash: str | None
    format: str | None
    rows: int
    status: str  # loaded, unchanged, rejected


@dataclasses.dataclass
class SyncReport:
    outcomes: list[FileOutcome]
    rejections: list[LandingFileError]
    removed_paths: list[str]
    notes: list[str]
    # files loaded before under another timezone or other reading rules, loaded again now
    read_again: list[str] = dataclasses.field(default_factory=list)

    def read_again_note(self) -> str | None:
        if not self.read_again:
            return None
        shown = ", ".join(self.read_again[:3]) + (", ..." if len(self.read_again) > 3 else "")
        return (
            f"{len(self.read_again)} file(s) read again ({shown}): loaded before under another timezone or by an "
            "older version of the pipeline's reading rules; a run refreshes its own quarters and years only, "
            "`bts run --all` refreshes every one"
        )

    @property
    def loaded(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status == "loaded"]

    def summary(self) -> str:
        counts = {status: sum(1 for o in self.outcomes if o.status == status) for status in ("loaded", "unchanged", "rejected")}
        rows = sum(o.rows for o in self.loaded)
        return (
            f"{counts['loaded']} file(s) loaded ({rows} rows), {counts['unchanged']} unchanged, "
            f"{counts['rejected']} rejected, {len(self.removed_paths)} removed"
        )


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(RAW_DDL)
    # warehouses created before READER_VERSION: their files read NULL, so they are read again
    conn.execute("alter table raw.landing_files add column if not exists reader_version integer")


def sync_landing(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    scratch_dir: Path,
    timezone: str,
    run_date: dt.date,
    log: Callable[[str], None] = print,
) -> SyncReport:
    """Bring the raw tables in line with the landing directory; never raises for a bad file."""
    ensure_raw_schema(conn)
    conn.execute("set TimeZone = 'UTC'")
    conn.execute("set variable bts_timezone = ?", [timezone])
    if scratch_dir.exists():
        shutil.rmtree(scratch_dir)
    scratch_dir.mkdir(parents=True)

    scan = landing_files.scan_landing(landing_dir)
    notes = list(scan.skipped)
    known = {
        row[0]: row[1:]
        for row in conn.execute("select path, size_bytes, mtime_ns, file_hash, loaded_hash from raw.landing_paths").fetchall()
    }
    # what each loaded file was read under: bytes read under another timezone or other rules are read again
    loaded_under = (timezone, READER_VERSION)
    loaded_hashes = {
        row[0]: (row[1], row[2])
        for row in conn.execute("select file_hash, timezone, reader_version from raw.landing_files").fetchall()
    }
    previously_loaded_under = dict(loaded_hashes)
    # Every file read under another timezone or other rules (BTS_TIMEZONE changed, or the
    # pipeline's reading rules): all are read again, as in a new warehouse, rather than
    # replaced one by one (a one-quarter run at ten million posts: 164 s against 231 s; _start_afresh).
    afresh = bool(loaded_hashes) and all(under != loaded_under for under in loaded_hashes.values())
    if afresh:
        _start_afresh(conn)
        loaded_hashes = {}
    outcomes: list[FileOutcome] = []
    rejections: list[LandingFileError] = []

    if not any(entry.relative_path == ACCOUNTS_FILE for entry in scan.entries):
        rejections.append(LandingFileError(ACCOUNTS_FILE, f"missing: every landing directory needs {ACCOUNTS_FILE} at its root (the panels)"))

    def unchanged_since_last_run(entry: LandingEntry) -> bool:
        previous = known.get(entry.relative_path)
        return not afresh and previous is not None and previous[0] == entry.size_bytes and previous[1] == entry.mtime_ns

    changed = [entry for entry in scan.entries if not unchanged_since_last_run(entry)]
    inspections = _Inspections(changed)

    def already_loaded(file_hash: str) -> bool:
        return loaded_hashes.get(file_hash) == loaded_under

    small_files = _SmallFileGroups(scan.entries, inspections, scratch_dir, known, changed, already_loaded)
    grouped_until = 0
    typing = _TypingAhead(conn, scratch_dir, timezone, run_date, already_loaded)
    try:
        for index, entry in enumerate(scan.entries):
            # Small files of one layout load together; a group that cannot is cut before the
            # file that needs to be taken alone, down to files taken one by one.
            while index >= grouped_until and small_files.may_group(entry):
                group, layout = small_files.starting_at(index)
                if not group:
                    break
                typing.discard(entry)
                loaded = _load_small_files(conn, group, layout, timezone, run_date)
                if isinstance(loaded, dict):
                    for member in group:
                        loaded_hashes[member.inspection.content_hash] = loaded_under
                        rows = loaded[member.entry.relative_path]
                        outcomes.append(FileOutcome(member.entry.relative_path, member.inspection.content_hash, layout.fmt.name, rows, "loaded"))
                        log(f"loaded {member.entry.relative_path}: {rows} rows ({layout.fmt.name})")
                    grouped_until = index + len(group)
                else:
                    small_files.take_alone(group if loaded is None else [group[loaded]])
            if index < grouped_until:
                continue
            previous = known.get(entry.relative_path)
            previous_loaded_hash = previous[3] if previous else None
            inspection: FileInspection | None = None
            try:
                if unchanged_since_last_run(entry):
                    file_hash = previous[2]
                else:
                    inspection = inspections.of(entry).result()
                    file_hash = inspection.content_hash
                if already_loaded(file_hash):
                    typing.discard(entry)
                    _register_path(conn, entry, file_hash, file_hash)
                    outcomes.append(FileOutcome(entry.relative_path, file_hash, None, 0, "unchanged"))
                    continue
                if inspection is None:
                    inspection = landing_files.inspect_file(entry)
                    file_hash = inspection.content_hash
                typed = typing.typed(entry, inspection)
                following = scan.entries[index + 1] if index + 1 < len(scan.entries) else None
                if TYPING_AHEAD and following is not None and not unchanged_since_last_run(following) and not small_files.may_group(following):
                    typing.start(following, inspections.of(following), beside=typed, loading=file_hash)
                fmt, rows = _load_file(typed, inspection, previous_loaded_hash, timezone)
                loaded_hashes[file_hash] = loaded_under
                outcomes.append(FileOutcome(entry.relative_path, file_hash, fmt.name, rows, "loaded"))
                log(f"loaded {entry.relative_path}: {rows} rows ({fmt.name})")
            except (duckdb.InterruptException, duckdb.FatalException):
                raise  # Ctrl-C, or a database that can no longer be used: not a property of this file
            except (LandingFileError, OSError, duckdb.Error) as caught:
                error = caught if isinstance(caught, LandingFileError) else _unreadable(entry, caught)
                rejections.append(error)
                current_hash = inspection.content_hash if inspection else None
                if current_hash is None:
                    current_hash = _safe_hash(entry)
                _register_path(conn, entry, current_hash, previous_loaded_hash)
                outcomes.append(FileOutcome(entry.relative_path, current_hash, None, 0, "rejected"))
                log(f"REJECTED {error.describe()}")
    finally:
        typing.close()  # stops the typing thread, also when a load raises
        inspections.close()  # and the inspecting one

    read_again = sorted(
        outcome.path for outcome in outcomes
        if outcome.status == "loaded" and previously_loaded_under.get(outcome.file_hash, loaded_under) != loaded_under
    )
    present = {entry.relative_path for entry in scan.entries}
    removed = sorted(path for path in known if path not in present)
    _forget_removed(conn, removed)
    _record_rejections(conn, rejections)
    shutil.rmtree(scratch_dir, ignore_errors=True)
    report = SyncReport(outcomes, rejections, removed, notes, read_again)
    if read_again:
        notes.append(report.read_again_note())
    log(report.summary())
    return report


INSPECTIONS_AHEAD = 2
# Tests turn it off to compare a run that types each file at its turn with one that types ahead.
TYPING_AHEAD = True
# Files up to this size are read, checked and written together with their neighbours (in path
# order) of the same layout, up to SMALL_FILES_AT_ONCE or SMALL_GROUP_BYTES at a time
# (`_load_small_files`); 0 turns it off.
SMALL_FILE_BYTES = 1 << 20
SMALL_FILES_AT_ONCE = 500
SMALL_GROUP_BYTES = 64 << 20


class _Inspections:
    """inspect_file() of each entry, in order, run in a thread up to INSPECTIONS_AHEAD files ahead.

    Hashing a file and checking its encoding is Python's work (about 8 s of
    the 10 million posts' 2.5 GB), loading one is DuckDB's, which leaves the
    interpreter free: the next files are inspected while DuckDB loads this
    one. An inspection's error (unreadable file, undecodable text) is raised
    by its future's result(), in the caller, for that file alone.
    """

    def __init__(self, entries: list[LandingEntry]):
        self._paths = iter([entry.relative_path for entry in entries])
        self._futures = _inspections_ahead(entries)
        self._started: dict[str, Future[FileInspection]] = {}

    def of(self, entry: LandingEntry) -> Future[FileInspection]:
        """The inspection of `entry`, one of the entries, asked for in their order (or again)."""
        while entry.relative_path not in self._started:
            self._started[next(self._paths)] = next(self._futures)
        return self._started[entry.relative_path]

    def close(self) -> None:
        self._futures.close()


def _inspections_ahead(entries: list[LandingEntry]) -> Iterator[Future[FileInspection]]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bts-inspect") as pool:
        pending: list[Future[FileInspection]] = []
        try:
            for index in range(len(entries)):
                while len(pending) <= INSPECTIONS_AHEAD and index + len(pending) < len(entries):
                    pending.append(pool.submit(landing_files.inspect_file, entries[index + len(pending)]))
                yield pending.pop(0)
        finally:
            for future in pending:
                future.cancel()


class _TypingAhead:
    """Types the next landing file on a second connection while the current one is written.

    Reading, typing and validating a file (`read_typed`) needs nothing of the
    raw tables; writing it does (the owner checks read raw.posts). So while
    one file is checked and inserted on one connection, a thread reads and
    types the next one on the other: DuckDB's work on the two fills both cores
    where either alone leaves one idle part of the time. Files are still
    written one at a time and in order, so every check sees the files before
    it, and what a run loads and reports does not change.
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        scratch_dir: Path,
        timezone: str,
        run_date: dt.date,
        already_loaded: Callable[[str], bool],
    ):
        self._connections = [conn.cursor(), conn.cursor()]
        for connection in self._connections:
            connection.execute("set variable bts_timezone = ?", [timezone])
        self._scratch_dir, self._run_date, self._already_loaded = scratch_dir, run_date, already_loaded
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bts-typing")
        self._ahead: tuple[str, duckdb.DuckDBPyConnection, Future[_TypedFile | None]] | None = None
        self._closing = False

    def typed(self, entry: LandingEntry, inspection: FileInspection) -> "_TypedFile":
        """`entry` read, typed and validated (by the thread, if it started it); LandingFileError if it is bad."""
        connection = self._connections[0]
        if self._ahead is not None:
            path, connection, future = self._ahead
            if path != entry.relative_path:
                self._wait(connection, future)
                self._ahead = None
            else:
                try:
                    typed = future.result()
                except Exception:
                    drop_typed(connection)
                    raise
                finally:
                    if future.done():
                        self._ahead = None
                if typed is not None:
                    return typed
        try:
            return read_typed(connection, entry, inspection, self._scratch_dir, self._run_date)
        except BaseException:
            drop_typed(connection)
            raise

    def start(self, entry: LandingEntry, inspection: Future[FileInspection], beside: "_TypedFile", loading: str) -> None:
        """Type `entry` in the thread, on the connection `beside` (the file being written) does not use.

        Skipped, for the loop to do at the file's turn, when the file's
        inspection fails or its bytes are loaded already or being loaded now.
        """
        connection = next(candidate for candidate in self._connections if candidate is not beside.conn)

        def read() -> _TypedFile | None:
            try:
                found = inspection.result()
            except Exception:
                return None  # reported by the loop, at this file's turn
            if self._closing or found.content_hash == loading or self._already_loaded(found.content_hash):
                return None
            return read_typed(connection, entry, found, self._scratch_dir, self._run_date)

        self._ahead = (entry.relative_path, connection, self._pool.submit(read))

    def discard(self, entry: LandingEntry) -> None:
        """Drop what the thread typed of `entry`, whose bytes turned out to be loaded already."""
        if self._ahead is not None and self._ahead[0] == entry.relative_path:
            _path, connection, future = self._ahead
            self._ahead = None
            self._wait(connection, future)

    def close(self) -> None:
        """Stop the thread (interrupting its query, if any) and close the two connections."""
        self._closing = True
        if self._ahead is not None:
            _path, connection, future = self._ahead
            self._ahead = None
            if not future.done():
                connection.interrupt()
            self._wait(connection, future)
        self._pool.shutdown(wait=True)
        for connection in self._connections:
            connection.close()

    @staticmethod
    def _wait(connection: duckdb.DuckDBPyConnection, future: Future["_TypedFile | None"]) -> None:
        try:
            future.result()
        except Exception:
            pass  # a file typed for nothing: whatever went wrong with it does not matter
        drop_typed(connection)


def _unreadable(entry: LandingEntry, error: Exception) -> LandingFileError:
    """An OS or DuckDB error on one file (removed mid-scan, unreadable, ...) rejects that file, not the run."""
    first_line = str(error).splitlines()[0] if str(error) else ""
    return LandingFileError(entry.relative_path, f"could not be read ({type(error).__name__}: {first_line})")


def _safe_hash(entry: LandingEntry) -> str:
    try:
        return landing_files.hash_file(entry.absolute_path)
    except OSError:
        return ""


def _register_path(conn: duckdb.DuckDBPyConnection, entry: LandingEntry, file_hash: str, loaded_hash: str | None) -> None:
    conn.execute(
        "insert or replace into raw.landing_paths values (?, ?, ?, ?, ?)",
        [entry.relative_path, entry.size_bytes, entry.mtime_ns, file_hash, loaded_hash],
    )


def _start_afresh(conn: duckdb.DuckDBPyConnection) -> None:
    """Empty the raw tables and drop dbt's stg_landing__posts, in one transaction, so that the files load as in a new warehouse.

    For a sync in which every loaded file must be read again. Replacing them
    one by one would delete and rewrite every raw row file by file, list
    every post in raw.changed_posts, and have dbt rebuild the whole of
    staging incrementally; a new warehouse's load writes each row once and
    dbt builds staging in full, since it does not exist (_staging_is_built).
    raw.landing_paths stays: it knows the paths that leave, and the files'
    previous hashes, whose rows are already gone. A file rejected now has no
    rows until it loads (the run fails and publishes nothing, as it would have).
    """
    conn.execute("begin transaction")
    try:
        for table in (*RAW_TABLES, "landing_files", "changed_posts"):
            conn.execute(f"delete from raw.{table}")
        conn.execute("drop table if exists staging.stg_landing__posts")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def _forget_removed(conn: duckdb.DuckDBPyConnection, removed: list[str]) -> None:
    """Drop deleted paths, then every row whose content no current path holds any more."""
    conn.execute("begin transaction")
    try:
        for path in removed:
            conn.execute("delete from raw.landing_paths where path = ?", [path])
        _collect_garbage(conn)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def _collect_garbage(conn: duckdb.DuckDBPyConnection) -> None:
    orphan_filter = "file_hash not in (select loaded_hash from raw.landing_paths where loaded_hash is not null)"
    _mark_posts_changed(conn, orphan_filter, [])
    for table in RAW_TABLES:
        conn.execute(f"delete from raw.{table} where {orphan_filter}")
    conn.execute(f"delete from raw.landing_files where {orphan_filter}")
    # The same bytes under several paths are loaded once, under the path read first; their rows
    # are named by the path that sorts last of those holding them now (a copy added later, or
    # the one left when the last goes away): the path breaks ties between observations of a
    # post (LANDING.md section 4), and every copy holds the same observations. (The column
    # keeps its first name, first_path.)
    stale = conn.execute(
        """
        select files.file_hash, max(paths.path)
        from raw.landing_files as files
        inner join raw.landing_paths as paths on paths.loaded_hash = files.file_hash
        group by files.file_hash, files.first_path
        having max(paths.path) <> files.first_path
        """
    ).fetchall()
    for file_hash, path in stale:
        _mark_posts_changed(conn, "file_hash = ?", [file_hash])
        for table in RAW_TABLES:
            conn.execute(f"update raw.{table} set file_path = ? where file_hash = ?", [path, file_hash])
        conn.execute("update raw.landing_files set first_path = ? where file_hash = ?", [path, file_hash])


def _mark_posts_changed(conn: duckdb.DuckDBPyConnection, where: str, params: list) -> None:
    """Remember the posts whose observations change, so staging re-deduplicates only those.

    `where` is a constant filter of this module over raw.posts; values come as parameters.
    dbt's stg_landing__posts empties the table once it has rebuilt those posts.
    """
    if _staging_is_built(conn):
        conn.execute(f"insert into raw.changed_posts select platform, post_id from raw.posts where {where}", params)


def _staging_is_built(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether dbt's stg_landing__posts exists, and so will be updated from raw.changed_posts.

    Until it does (a new warehouse), dbt builds it from the whole of raw.posts
    and empties raw.changed_posts: listing every post there first, ten million
    keys on a first load, would be work thrown away.
    """
    return conn.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'staging' and table_name = 'stg_landing__posts'"
    ).fetchone()[0] > 0


def _record_rejections(conn: duckdb.DuckDBPyConnection, rejections: list[LandingFileError]) -> None:
    conn.execute("begin transaction")
    conn.execute("delete from raw.landing_rejections")
    for error in rejections:
        file_hash = conn.execute("select file_hash from raw.landing_paths where path = ?", [error.path]).fetchone()
        conn.execute(
            "insert into raw.landing_rejections values (?, ?, ?, ?, ?, now())",
            [error.path, file_hash[0] if file_hash else None, error.line, error.column, error.describe()],
        )
    conn.execute("commit")


# --- one file -------------------------------------------------------------------------------


def _readable_copy(entry: LandingEntry, inspection: FileInspection, scratch_dir: Path, normalise: bool) -> Path:
    """The path DuckDB reads: the file itself when it is UTF-8, else a streamed UTF-8 copy in the scratch folder."""
    if inspection.encoding in ("utf-8", "utf-8-sig") and not normalise:
        return entry.absolute_path
    target = scratch_dir / f"{inspection.content_hash}{'-lf' if normalise else ''}.csv"
    if not target.exists():
        try:
            landing_files.write_utf8_copy(entry.absolute_path, inspection.encoding, target, normalise)
        except UnicodeDecodeError as error:
            line, column = landing_files.locate_undecodable_text(entry.absolute_path, inspection.encoding)
            raise LandingFileError(
                entry.relative_path,
                f"undecodable {inspection.encoding} text ({error.reason}; expected {_EXPECTED_TEXT[inspection.encoding]})",
                line=line,
                column=column,
            ) from None
    return target


_EXPECTED_TEXT = {
    "utf-16": "UTF-16 text, two bytes a character (four for a surrogate pair), after its byte-order mark",
    "cp1252": "Windows-1252 text",
    "utf-8": "UTF-8 text",
    "utf-8-sig": "UTF-8 text",
}


def _choose_format(entry: LandingEntry, readable: Path) -> tuple[LandingFormat, list[str], str]:
    candidates = landing_files.read_header_candidates(readable)
    allowed = ALL_FORMATS if entry.relative_path == ACCOUNTS_FILE else DATA_FORMATS
    for header in candidates:
        fmt = recognise(header.columns, allowed)
        if fmt is not None:
            break
    else:
        for header in candidates:
            if entry.relative_path != ACCOUNTS_FILE and recognise(header.columns, (ACCOUNTS,)):
                raise LandingFileError(entry.relative_path, f"an accounts header is only read from {ACCOUNTS_FILE} at the landing root", line=1)
            near = closest_format(header.columns, allowed)
            if near is not None:
                fmt, lacking = near
                raise LandingFileError(
                    entry.relative_path,
                    f"header looks like the {fmt.description} but lacks the column(s): {', '.join(lacking)}",
                    line=1,
                )
        shown = candidates[0].columns[:8] if candidates else []
        expected = "; ".join(fmt.description for fmt in allowed)
        raise LandingFileError(
            entry.relative_path,
            f"unrecognised header {shown!r}: expected one of: {expected}",
            line=1,
        )
    if entry.relative_path == ACCOUNTS_FILE and fmt is not ACCOUNTS:
        raise LandingFileError(entry.relative_path, f"expected the header of {ACCOUNTS.description}", line=1)
    lacking = missing_columns(fmt, header.columns)
    if lacking:
        raise LandingFileError(entry.relative_path, f"missing required column(s) for the {fmt.description}: {', '.join(lacking)}", line=1)
    problem = landing_files.header_row_problem(readable, header.delimiter)
    if problem:
        raise LandingFileError(entry.relative_path, problem, line=1)
    return fmt, header.columns, header.delimiter


# DuckDB's row-number pseudo-column and the name of the file a record was read from, which a
# file's own column of that name would hide.
_RESERVED_NAMES = ("rowid", "filename")


def _unique_names(header: list[str]) -> list[str]:
    """Column names for DuckDB: distinct case-insensitively, even when a file has `a`, `a` and `a__2`."""
    taken = set(_RESERVED_NAMES)
    names = []
    for index, name in enumerate(header):
        base = name or f"column{index + 1}"
        candidate, suffix = base, 1
        while candidate.lower() in taken:
            suffix += 1
            candidate = f"{base}__{suffix}"
        taken.add(candidate.lower())
        names.append(candidate)
    return names


_DUCKDB_LINE = re.compile(r"CSV Error on Line: (\d+)")

_READ_CSV = """
    read_csv(
        $path, delim = $delim, quote = '"', escape = '"', header = true, auto_detect = false,
        columns = $columns, strict_mode = true, null_padding = false,
        max_line_size = $max_line, buffer_size = $buffer, parallel = $parallel
    )
"""


def _csv_parameters(readable: Path | list[Path], names: list[str], delimiter: str, parallel: bool = True) -> dict:
    return {
        "path": [str(path) for path in readable] if isinstance(readable, list) else str(readable),
        "delim": delimiter,
        "columns": {name: "VARCHAR" for name in names},
        "max_line": MAX_RECORD_BYTES,
        "buffer": 2 * MAX_RECORD_BYTES,
        "parallel": parallel,
    }


# DuckDB's parallel reader gives up on some files whose quoted line breaks
# fall across its buffers (seen on a 76 MB tweet-activity export read in 32 MiB
# buffers); the same file then reads with one thread.
_PARALLEL_READER_REFUSED = "Parallel CSV Reader currently does not support a full read"


def _execute_read(conn: duckdb.DuckDBPyConnection, sql: str, readable: Path | list[Path], names: list[str], delimiter: str) -> None:
    try:
        conn.execute(sql, _csv_parameters(readable, names, delimiter))
    except duckdb.Error as error:
        if _PARALLEL_READER_REFUSED not in str(error):
            raise
        conn.execute(sql, _csv_parameters(readable, names, delimiter, parallel=False))


def _stage_csv(conn: duckdb.DuckDBPyConnection, readable: Path, names: list[str], delimiter: str) -> None:
    """Temp table `staged`: every field of the file as text, in file order (to quote a bad value)."""
    conn.execute("drop table if exists staged")
    _execute_read(conn, f"create temp table staged as select * from {_READ_CSV}", readable, names, delimiter)


def _load_file(
    typed: "_TypedFile",
    inspection: FileInspection,
    previous_loaded_hash: str | None,
    timezone: str,
) -> tuple[LandingFormat, int]:
    """Check the typed file against what is loaded and replace its raw rows, in one transaction on its connection."""
    conn, entry = typed.conn, typed.entry
    try:
        fmt, rows = typed.fmt, typed.rows
        if fmt.table == "posts":
            _check_post_owners(conn, entry, typed, previous_loaded_hash)
        if fmt is ACCOUNTS:
            _check_accounts(conn, entry)
        conn.execute("begin transaction")
        try:
            _replace_rows(conn, entry, fmt, inspection.content_hash, previous_loaded_hash, rows, timezone)
            if _changed_since_scan(entry, inspection):
                raise LandingFileError(entry.relative_path, CHANGED_WHILE_READ)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
    finally:
        drop_typed(conn)
    return fmt, rows


CHANGED_WHILE_READ = "the file changed while it was being read; it will be read again at the next run"


def _changed_since_scan(entry: LandingEntry, inspection: FileInspection) -> bool:
    """Whether the file is no longer the one listed and inspected (its rows may mix two versions)."""
    after = entry.absolute_path.stat()
    return after.st_size != entry.size_bytes or after.st_mtime_ns != entry.mtime_ns or after.st_size != inspection.size_bytes


def read_typed(
    conn: duckdb.DuckDBPyConnection, entry: LandingEntry, inspection: FileInspection, scratch_dir: Path, run_date: dt.date
) -> "_TypedFile":
    """Temp table `typed` (view `typed_lines`) from one file, validated; LandingFileError names what is wrong."""
    readable = _readable_copy(entry, inspection, scratch_dir, normalise=False)
    fmt, header, delimiter = _choose_format(entry, readable)
    # Without carriage returns every record ends with a line feed (DuckDB refuses mixed line
    # ends), so the file's line feeds bound the line breaks inside its fields; with them, a
    # file could end its records with carriage returns alone, and nothing is assumed.
    line_feeds = None if inspection.has_carriage_returns else inspection.line_feeds
    typed = _TypedFile(
        conn, entry, fmt, _unique_names(header), delimiter, line_feeds=line_feeds,
        file_delimiters=_delimiters_read(inspection, readable, delimiter),
    )
    try:
        typed.create(readable)
    except duckdb.Error as first_error:
        if not inspection.has_carriage_returns:
            _raise_structure_error(entry, readable, delimiter, len(typed.names), first_error)
        # Line ends mixed within one file (CRLF rows with LF rows): read a copy with LF everywhere.
        readable = _readable_copy(entry, inspection, scratch_dir, normalise=True)
        try:
            typed.create(readable)
        except duckdb.Error as error:
            _raise_structure_error(entry, readable, delimiter, len(typed.names), error)
    typed.validate(readable, run_date)
    return typed


def _delimiters_read(inspection: FileInspection, readable: Path, delimiter: str) -> int:
    """The delimiter characters of the text DuckDB reads: the file's own bytes, but for a UTF-16 file (its UTF-8 copy's)."""
    if inspection.encoding == "utf-16":
        return landing_files.count_byte(readable, delimiter.encode("ascii"))
    return inspection.delimiters(delimiter)


def drop_typed(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("drop view if exists typed_lines")
    conn.execute("drop table if exists typed_line_numbers")
    conn.execute("drop table if exists typed_line_breaks")
    conn.execute("drop table if exists staged")
    conn.execute("drop table if exists typed")


def _raise_structure_error(entry: LandingEntry, readable: Path, delimiter: str, fields: int, error: duckdb.Error) -> None:
    located = landing_files.locate_csv_structure_error(readable, delimiter, fields)
    if located is not None:
        line, problem, column = located
        raise LandingFileError(entry.relative_path, problem, line=line, column=column) from None
    match = _DUCKDB_LINE.search(str(error))
    first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
    raise LandingFileError(
        entry.relative_path,
        f"not a readable CSV file ({first_line})",
        line=int(match.group(1)) if match else None,
    ) from None


class _TypedFile:
    """One file read straight into temp table `typed`: its raw columns, typed, in file order.

    DuckDB reads the CSV and types every field in the same statement (no
    all-text copy of the file is kept); a value is invalid where its typing
    gave NULL, so validation is one aggregate over the typed columns. Rows
    keep the file's order, so `rowid` is the record's index; a record's line
    number is 2 + its index + the line breaks inside the fields of the
    records before it (`__nl`).
    The view `typed_lines` adds `line_number`.

    Line breaks are first counted in the format's free-text columns only
    (`line_break_columns`: a `contains` per column and record was 4-8 CPU s of
    the 10 million posts' typing, most of it in columns that never hold one).
    That count is exact when it reaches the most the file can hold: its line
    feeds (`line_feeds`, from the inspection of its bytes) less one per record,
    header included (validate()). Otherwise some other column holds line
    breaks, and the file is read again counting them in every column.

    Delimiters are counted the same way (`__nd`, in `delimiter_columns`): DuckDB
    drops the extra fields of a record when they are empty (`1,234,5,0,` under a
    header of four columns reads as 1, 234, 5, 0, every value after the split
    count shifted), so the file's delimiters (`file_delimiters`, from the
    inspection) must be exactly those that separate the header's fields in
    every record plus those inside values (delimiters_inside()).
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        entry: LandingEntry,
        fmt: LandingFormat,
        names: list[str],
        delimiter: str,
        line_feeds: int | None = None,
        file_column: bool = False,
        file_delimiters: int | None = None,
    ):
        self.conn, self.entry, self.fmt, self.names, self.delimiter = conn, entry, fmt, names, delimiter
        # The delimiter characters of the text read (None: checked per file by the caller, `__nd` by `__file`).
        self.file_delimiters = file_delimiters
        # Several files read in one statement (`_load_small_files`): each record names its file in `__file`.
        self.file_column = file_column
        self.rows = 0
        self.columns = likes_column(fmt.resolve(names))
        # A field reading an optional column the file does not have (impressions, following) is not checked.
        self.checks = [
            (index, field)
            for index, field in enumerate(fmt.fields + fmt.validations)
            if field.expected is not None and (field.source is None or field.source_in(self.columns) is not None)
        ]
        self.embedded_line_breaks = 0
        # At least the line feeds of the file read, records ending with one; None: count line breaks in every column.
        self.line_feeds = line_feeds
        self.every_column_counted = line_feeds is None

    def create(self, readable: Path | list[Path], every_column: bool = False) -> None:
        drop_typed(self.conn)
        self.every_column_counted = self.every_column_counted or every_column
        _execute_read(self.conn, self.create_sql(), readable, self.names, self.delimiter)

    def create_sql(self) -> str:
        """The statement reading the file into `typed`; its plan must keep the file's order (rowid = record index)."""
        quoted = [quote_identifier(name) for name in self.names]
        counted = quoted if self.every_column_counted else [
            self.columns[name] for name in self.fmt.line_break_columns if name in self.columns
        ]
        newlines = " + ".join(
            f"(case when contains({q}, chr(10)) then length({q}) - length(replace({q}, chr(10), '')) else 0 end)" for q in counted
        ) or "0"
        delimiter_counted = quoted if self.every_column_counted else list(dict.fromkeys(
            self.columns[name] for name in self.fmt.delimiter_columns if name in self.columns
        ))
        delimiter = _sql_string(self.delimiter)
        delimiters = " + ".join(
            f"(case when contains({q}, {delimiter}) then len(string_split({q}, {delimiter})) - 1 else 0 end)"
            for q in delimiter_counted
        ) or "0"
        repeats_header = " and ".join(f"{q} = {_sql_string(name)}" for q, name in zip(quoted[:4], self.names[:4]))
        select = [f"{field.sql(self.columns)} as {field.name}" for field in self.fmt.fields]
        select.append(f"cast({newlines} as integer) as __nl")
        select.append(f"cast({delimiters} as integer) as __nd")
        select.append(f"coalesce({repeats_header}, false) as __repeats_header")
        for index, field in self.checks:
            if field.invalid_unless:
                select.append(f"not ({field.invalid_unless(self.columns)}) as __invalid_{index}")
        if self.file_column:
            select.append("filename as __file")
        return f"create temp table typed as select {', '.join(select)} from {_READ_CSV}"

    def _invalid(self, index: int, field: Field) -> str:
        return f"__invalid_{index}" if field.invalid_unless else f"{field.name} is null"

    def wrong(self, run_date: dt.date) -> str:
        """The condition of a record holding anything wrong: a repeated header, an invalid value, a date out of range."""
        out_of_range = self._date_out_of_range(run_date)
        conditions = ["__repeats_header", *(self._invalid(index, field) for index, field in self.checks)]
        if out_of_range:
            conditions.append(out_of_range)
        return " or ".join(conditions)

    def validate(self, readable: Path, run_date: dt.date) -> None:
        """Count the records (`rows`) and number their lines; raise on the first invalid value (by line)."""
        # Most files are clean: one pass counts the records and whether anything
        # at all is wrong; only then does a second pass find what and where.
        summary = (
            "select count(*), coalesce(sum(__nl), 0), coalesce(sum(__nd), 0), "
            f"count(*) filter (where {self.wrong(run_date)}) from typed"
        )
        self.rows, self.embedded_line_breaks, inside, wrong = self.conn.execute(summary).fetchone()
        if not self.every_column_counted and (
            self.embedded_line_breaks != self._most_line_breaks(readable)
            or (self.file_delimiters is not None and inside != self.delimiters_inside(self.file_delimiters, self.rows))
        ):
            self.create(readable, every_column=True)
            self.rows, self.embedded_line_breaks, inside, wrong = self.conn.execute(summary).fetchone()
        self._number_lines()
        if self.file_delimiters is not None and inside != self.delimiters_inside(self.file_delimiters, self.rows):
            self.raise_extra_fields(readable)
        if wrong:
            self._raise_first_problem(readable, run_date, self._date_out_of_range(run_date))

    def delimiters_inside(self, file_delimiters: int, rows: int) -> int:
        """The delimiters a file of `rows` records must hold inside its values: all but those between the fields.

        The header and every record have exactly the header's fields, so
        len(names) - 1 delimiters separate them, and the header's names hold
        some. A record with extra fields leaves fewer for the values than they
        hold; that is all it can do (DuckDB refuses a record with fewer fields).
        """
        in_header = sum(name.count(self.delimiter) for name in self.names)
        return file_delimiters - (len(self.names) - 1) * (rows + 1) - in_header

    def raise_extra_fields(self, readable: Path) -> None:
        """A record has more fields than the header: name it (Python's csv module counts them; the error path only)."""
        located = landing_files.locate_extra_fields(readable, self.delimiter, len(self.names))
        if located is not None:
            line, problem = located
            raise LandingFileError(self.entry.relative_path, problem, line=line, column=f"field {len(self.names) + 1}")
        after = self.entry.absolute_path.stat()
        if (after.st_size, after.st_mtime_ns) != (self.entry.size_bytes, self.entry.mtime_ns):
            raise LandingFileError(self.entry.relative_path, CHANGED_WHILE_READ)
        raise LandingFileError(
            self.entry.relative_path,
            f"a record has more than the header's {len(self.names)} fields (its delimiters do not add up)",
        )

    def _most_line_breaks(self, readable: Path) -> int:
        """The line breaks the fields can hold at most: every line feed of the file but the one ending each record.

        The header and each record end with a line feed (the file has no
        carriage return), the last one perhaps not; blank lines and a header
        on several lines only add line feeds. Every line feed of the text is a
        0x0A byte of the file, whatever its encoding (a 0x0A byte may also be
        half of a UTF-16 character: more, never fewer).
        So the breaks counted in some columns equal this only when they are
        all the breaks of every column, record by record.
        """
        with readable.open("rb") as handle:
            handle.seek(-1, os.SEEK_END)
            unterminated = handle.read(1) != b"\n"
        return self.line_feeds - (self.rows + 1) + unterminated

    def _number_lines(self) -> None:
        """The view `typed_lines`: `typed` with each record's line number."""
        if self.embedded_line_breaks and self.rows >= ASOF_LINE_NUMBERS_FROM:
            # A record's line number is 2 + its index + the line breaks of the
            # records before it: the running sum is taken over the records
            # that hold line breaks only, and each record finds the last of
            # them before it (an ASOF join, in parallel, order not kept).
            self.conn.execute(
                "create temp table typed_line_breaks as "
                "select rowid as record, sum(__nl) over (order by rowid) as breaks_through from typed where __nl > 0"
            )
            self.conn.execute(
                "create temp view typed_lines as "
                "select typed.*, 2 + typed.rowid + coalesce(breaks.breaks_through, 0) as line_number "
                "from typed asof left join typed_line_breaks as breaks on typed.rowid > breaks.record"
            )
        elif self.embedded_line_breaks:
            # The running sum sorts only the record indexes (sorting whole
            # records with their texts cost three times as much); the numbers
            # then line up with `typed` by position.
            self.conn.execute(
                "create temp table typed_line_numbers as "
                "select 2 + rowid + coalesce(sum(__nl) over (order by rowid rows between unbounded preceding and 1 preceding), 0) "
                "as line_number from typed order by rowid"
            )
            self.conn.execute("create temp view typed_lines as select * from typed positional join typed_line_numbers")
        else:
            self.conn.execute("create temp view typed_lines as select *, 2 + rowid as line_number from typed")

    def _raise_first_problem(self, readable: Path, run_date: dt.date, out_of_range: str | None) -> None:
        """A repeated header, else the first invalid value (its column's first), else the first date out of range."""
        aggregates = [
            "min(rowid) filter (where __repeats_header)",
            f"min(rowid) filter (where {out_of_range})" if out_of_range else "null",
        ]
        for index, field in self.checks:
            invalid = self._invalid(index, field)
            aggregates += [f"min(rowid) filter (where {invalid})", f"count(*) filter (where {invalid})"]
        figures = self.conn.execute(f"select {', '.join(aggregates)} from typed").fetchone()
        repeated, bad_date = figures[:2]
        if repeated is not None:
            raise LandingFileError(self.entry.relative_path, "the header row is repeated here (two files pasted together?)", line=self.line_of(repeated))
        failures = [
            (first, total, field)
            for (first, total), (_index, field) in zip(zip(figures[2::2], figures[3::2]), self.checks)
            if first is not None
        ]
        if failures:
            first, total, field = min(failures, key=lambda failure: failure[0])
            _stage_csv(self.conn, readable, self.names, self.delimiter)
            column = field.source_in(self.columns)
            source = self.columns.get(column.lower()) if column else None
            value = self.conn.execute(f"select {source} from staged where rowid = ?", [first]).fetchone()[0] if source else None
            more = f" ({total - 1} more such value(s) in this column)" if total > 1 else ""
            raise LandingFileError(
                self.entry.relative_path,
                f"expected {field.expected}, found {_shown(value)}{more}",
                line=self.line_of(first),
                column=column,
            )
        if bad_date is not None:
            self._raise_out_of_range(bad_date, run_date)

    def line_of(self, rowid: int) -> int:
        if not self.embedded_line_breaks:
            return 2 + rowid
        before = self.conn.execute("select coalesce(sum(__nl), 0) from typed where rowid < ?", [rowid]).fetchone()[0]
        return 2 + rowid + before

    def _local_date(self) -> str | None:
        return LOCAL_DATE_SQL.get(self.fmt.table)

    def _date_out_of_range(self, run_date: dt.date) -> str | None:
        local_date = self._local_date()
        if local_date is None:
            return None
        earliest, latest = _sql_string(EARLIEST_DATE), _sql_string(run_date.isoformat())
        exact = f"({local_date} < cast({earliest} as date) or {local_date} > cast({latest} as date))"
        if self.fmt.table != "posts":
            return exact
        # The local date needs a time-zone conversion per row; an instant more
        # than two days inside the range is inside it in every time zone, so
        # only the others are converted.
        return (
            f"(published_at < cast({earliest} as date) + interval 2 day "
            f"or published_at > cast({latest} as date) - interval 2 day) and {exact}"
        )

    def _raise_out_of_range(self, rowid: int, run_date: dt.date) -> None:
        date_field = {"posts": "published_at", "follower_snapshots": "snapshot_date"}[self.fmt.table]
        found = self.conn.execute(f"select {self._local_date()} from typed where rowid = ?", [rowid]).fetchone()[0]
        source = next(field.source for field in self.fmt.fields if field.name == date_field)
        raise LandingFileError(
            self.entry.relative_path,
            f"expected a date between {EARLIEST_DATE} and the run's date {run_date.isoformat()}, found {found.isoformat()}",
            line=self.line_of(rowid),
            column=source,
        )


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _shown(value: object) -> str:
    if value is None:
        return "an empty value"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _check_post_owners(conn: duckdb.DuckDBPyConnection, entry: LandingEntry, typed: _TypedFile, previous_loaded_hash: str | None) -> None:
    """The same (platform, post_id) under two handles is an error naming both files (LANDING.md section 4)."""
    shared = conn.execute(
        "select count(*) from (select platform, post_id from typed group by platform, post_id having min(handle) <> max(handle))"
    ).fetchone()[0]
    if shared:
        inside = conn.execute(
            """
            select first.line_number, second.line_number, first.post_id, first.handle, second.handle
            from typed_lines as first
            inner join typed_lines as second
                on first.platform = second.platform and first.post_id = second.post_id and first.handle < second.handle
            order by second.line_number
            limit 1
            """
        ).fetchone()
        raise LandingFileError(
            entry.relative_path,
            f"post {inside[2]} appears under two handles in this file: {inside[3]!r} (line {inside[0]}) and {inside[4]!r}",
            line=inside[1],
        )
    other = _first_post_owned_elsewhere(
        conn,
        """
        select typed.rowid, typed.post_id, typed.handle, posts.handle, posts.file_path, posts.line_number
        from typed
        inner join raw.posts as posts
            on posts.platform = typed.platform and posts.post_id = typed.post_id and posts.handle <> typed.handle
        where posts.file_hash is distinct from $previous
            and typed.platform = $platform and posts.platform = $platform and posts.post_id between $low and $high
        order by typed.rowid
        limit 1
        """,
        {"previous": previous_loaded_hash},
    )
    if other:
        raise LandingFileError(
            entry.relative_path,
            f"post {other[1]} is under handle {other[2]!r} here but under {other[3]!r} in {other[4]} (line {other[5]}); "
            "the same post cannot belong to two accounts",
            line=typed.line_of(other[0]),
        )


def _check_accounts(conn: duckdb.DuckDBPyConnection, entry: LandingEntry) -> None:
    # An account may be listed again in a panel it left (a line per membership). Two memberships of one
    # account in one panel that overlap make it a member of each period either one covers (LANDING.md
    # section 1; a line copied twice says nothing more than one), as long as they name it alike: on
    # the days both cover, nothing would say which company, name or type is the account's.
    overlapping = conn.execute(
        """
        select
            later.line_number, earlier.line_number, later.panel, later.platform, later.handle,
            concat_ws(
                ' and ',
                case when earlier.company is distinct from later.company then 'company' end,
                case when earlier.display_name is distinct from later.display_name then 'display_name' end,
                case when earlier.account_type is distinct from later.account_type then 'account_type' end
            ) as differing
        from typed_lines as earlier
        inner join typed_lines as later
            on earlier.panel = later.panel
            and earlier.platform = later.platform
            and earlier.handle = later.handle
            and earlier.line_number < later.line_number
        where coalesce(earlier.member_from, date '0001-01-01') <= coalesce(later.member_to, date '9999-12-31')
            and coalesce(later.member_from, date '0001-01-01') <= coalesce(earlier.member_to, date '9999-12-31')
            and differing <> ''
        order by 1, 2 limit 1
        """
    ).fetchone()
    if overlapping:
        later, earlier, panel, platform, handle, differing = overlapping
        raise LandingFileError(
            entry.relative_path,
            f"account {handle!r} ({platform}) is listed twice in panel {panel!r} for overlapping memberships "
            f"(lines {earlier} and {later}) with a different {differing}; where two memberships "
            "overlap they must name the account alike; to list an account that left and came back under another "
            "name, give each line its member_from and member_to, the later line starting after the earlier one ends",
            line=later,
            column=differing.split(" and ")[0],
        )
    mixed = conn.execute(
        """
        select panel, string_agg(distinct platform, ' and ' order by platform), max(line_number)
        from typed_lines group by panel having count(distinct platform) > 1 limit 1
        """
    ).fetchone()
    if mixed:
        raise LandingFileError(entry.relative_path, f"panel {mixed[0]!r} mixes platforms ({mixed[1]}); a panel is on one platform", line=mixed[2], column="platform")
    reversed_dates = conn.execute("select line_number from typed_lines where member_to < member_from order by 1 limit 1").fetchone()
    if reversed_dates:
        raise LandingFileError(entry.relative_path, "member_to is before member_from", line=reversed_dates[0], column="member_to")


def _drop_replaced_rows(conn: duckdb.DuckDBPyConnection, path: str, file_hash: str, previous_loaded_hash: str | None) -> None:
    """Before `path` loads `file_hash`: drop its previous bytes' rows (unless another path holds them) and the same bytes' rows of another timezone or reader version."""
    if previous_loaded_hash and previous_loaded_hash != file_hash:
        still_used = conn.execute(
            "select count(*) from raw.landing_paths where loaded_hash = ? and path <> ?",
            [previous_loaded_hash, path],
        ).fetchone()[0]
        if not still_used:
            _mark_posts_changed(conn, "file_hash = ?", [previous_loaded_hash])
            for table in RAW_TABLES:
                conn.execute(f"delete from raw.{table} where file_hash = ?", [previous_loaded_hash])
            conn.execute("delete from raw.landing_files where file_hash = ?", [previous_loaded_hash])
    # A timezone change (or new reading rules, READER_VERSION) reloads the same bytes: drop
    # what they loaded before.
    # Raw rows are written and deleted in the same transactions as their file's row of
    # raw.landing_files, so bytes it does not list have no rows to drop: new bytes (every
    # file of a first load) skip three scans of the raw tables' file hashes.
    if conn.execute("select count(*) from raw.landing_files where file_hash = ?", [file_hash]).fetchone()[0]:
        _mark_posts_changed(conn, "file_hash = ?", [file_hash])
        for table in RAW_TABLES:
            conn.execute(f"delete from raw.{table} where file_hash = ?", [file_hash])
        conn.execute("delete from raw.landing_files where file_hash = ?", [file_hash])


def _insert_typed_rows(conn: duckdb.DuckDBPyConnection, fmt: LandingFormat, hash_sql: str, path_sql: str, order_sql: str, params: dict) -> None:
    """The rows of `typed_lines` into the format's raw table, with their file's hash and path (`hash_sql`, `path_sql`).

    In file order: `preserve_insertion_order` is a setting of the whole
    database, and the next file is being typed meanwhile, on another
    connection, by a statement whose rows must keep their order (`_TypingAhead`).

    Posts of both platforms (a canonical export) are written one platform
    after the other, each in file order, so that raw.posts' row groups hold
    one platform's ids in a narrow range each, not X's and Instagram's mixed
    (their ids, compared as text, interleave): the owner checks of the files
    loaded later read only the row groups of their own platform and ids
    (`_first_post_owned_elsewhere`).
    """
    field_names = [field.name for field in fmt.fields]
    extra = ", source_format" if fmt.table == "posts" else ""
    extra_value = ", $format" if fmt.table == "posts" else ""
    insert_sql = (
        f"insert into raw.{fmt.table} ({', '.join(field_names)}{extra}, file_hash, file_path, line_number) "
        f"select {', '.join(field_names)}{extra_value}, {hash_sql}, {path_sql}, line_number from typed_lines"
    )
    params = {**params, **({"format": fmt.name} if extra else {})}
    platforms = []
    if fmt is CANONICAL_POSTS:
        platforms = [row[0] for row in conn.execute("select distinct platform from typed order by platform").fetchall()]
    if len(platforms) > 1:
        for platform in platforms:
            conn.execute(f"{insert_sql} where platform = $platform{order_sql}", {**params, "platform": platform})
    else:
        conn.execute(f"{insert_sql}{order_sql}", params)
    if fmt.table == "posts" and _staging_is_built(conn):
        conn.execute("insert into raw.changed_posts select platform, post_id from typed")


def _replace_rows(
    conn: duckdb.DuckDBPyConnection,
    entry: LandingEntry,
    fmt: LandingFormat,
    file_hash: str,
    previous_loaded_hash: str | None,
    rows: int,
    timezone: str,
) -> None:
    _drop_replaced_rows(conn, entry.relative_path, file_hash, previous_loaded_hash)
    _insert_typed_rows(conn, fmt, "$hash", "$path", "", {"hash": file_hash, "path": entry.relative_path})
    conn.execute(
        "insert into raw.landing_files values (?, ?, ?, ?, ?, now(), ?, ?)",
        [file_hash, fmt.name, fmt.table, rows, entry.relative_path, timezone, READER_VERSION],
    )
    conn.execute(
        "insert or replace into raw.landing_paths values (?, ?, ?, ?, ?)",
        [entry.relative_path, entry.size_bytes, entry.mtime_ns, file_hash, file_hash],
    )


# --- small files, several at a time ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _SmallFile:
    entry: LandingEntry
    inspection: FileInspection
    readable: Path
    previous_loaded_hash: str | None


@dataclasses.dataclass(frozen=True)
class _Layout:
    """What files must share to be read by one statement: their format, column names and delimiter."""

    fmt: LandingFormat
    names: tuple[str, ...]
    delimiter: str


def _layout_of(entry: LandingEntry, inspection: FileInspection, scratch_dir: Path) -> tuple[_Layout, Path] | None:
    """The file's layout and the path DuckDB reads; None if anything about it needs the file-by-file path."""
    try:
        readable = _readable_copy(entry, inspection, scratch_dir, normalise=False)
        fmt, header, delimiter = _choose_format(entry, readable)
    except (LandingFileError, OSError):
        return None
    return _Layout(fmt, tuple(_unique_names(header)), delimiter), readable


class _SmallFileGroups:
    """Which neighbouring landing files can be loaded as one group by _load_small_files.

    A group is two or more files, consecutive in path order, each at most
    SMALL_FILE_BYTES, changed since the last run, not of loaded bytes (nor
    the same bytes twice), inspected without error and of one layout (format,
    column names, delimiter); accounts.csv never. A file the group path gave
    back (`take_alone`) is taken on its own, by the file-by-file path.
    """

    def __init__(
        self,
        entries: list[LandingEntry],
        inspections: "_Inspections",
        scratch_dir: Path,
        known: dict[str, tuple],
        changed: list[LandingEntry],
        already_loaded: Callable[[str], bool],
    ):
        self._entries, self._inspections, self._scratch_dir = entries, inspections, scratch_dir
        self._known, self._already_loaded = known, already_loaded
        self._changed = {entry.relative_path for entry in changed}
        self._alone: set[str] = set()

    def may_group(self, entry: LandingEntry) -> bool:
        return (
            SMALL_FILE_BYTES > 0
            and entry.relative_path != ACCOUNTS_FILE
            and entry.size_bytes <= SMALL_FILE_BYTES
            and entry.relative_path in self._changed
            and entry.relative_path not in self._alone
        )

    def take_alone(self, members: list[_SmallFile]) -> None:
        self._alone.update(member.entry.relative_path for member in members)

    def starting_at(self, index: int) -> tuple[list[_SmallFile], _Layout | None]:
        """The group of files from `index` on, or none ([]) if fewer than two files qualify."""
        group: list[_SmallFile] = []
        layout: _Layout | None = None
        hashes: set[str] = set()
        size = 0
        for entry in self._entries[index:index + SMALL_FILES_AT_ONCE]:
            size += entry.size_bytes
            if not self.may_group(entry) or size > SMALL_GROUP_BYTES:
                break
            try:
                inspection = self._inspections.of(entry).result()
            except Exception:
                break  # reported at the file's turn
            if self._already_loaded(inspection.content_hash) or inspection.content_hash in hashes:
                break
            found = _layout_of(entry, inspection, self._scratch_dir)
            if found is None or (layout is not None and found[0] != layout):
                break
            layout = found[0]
            hashes.add(inspection.content_hash)
            previous = self._known.get(entry.relative_path)
            group.append(_SmallFile(entry, inspection, found[1], previous[3] if previous else None))
        return (group, layout) if len(group) > 1 else ([], None)


def _load_small_files(
    conn: duckdb.DuckDBPyConnection, group: list[_SmallFile], layout: _Layout, timezone: str, run_date: dt.date
) -> dict[str, int] | int | None:
    """Read, check and write a group of small files of one layout together; their rows by path if loaded.

    Otherwise nothing is written, and the answer is the index in `group` of
    the first file found to hold something wrong (the files before it may
    still load as a group), or None when that is not known.

    Every file costs DuckDB about 20 ms to plan, type, check and write,
    whatever its size (benchmarks/README.md, "Many small files"), so files of
    a few hundred posts are read by one statement over the list of files
    (each record naming its file), checked together and written in one
    transaction. This path only ever loads a group in which nothing at all is
    wrong: a bad value, a date out of range, a repeated header, a post under
    two handles (in the group or against what is loaded), a file that changed
    meanwhile (rolled back), or any DuckDB error writes nothing; the caller then takes the
    file named, or every file, on its own, which finds and reports exactly
    what it always did. So what loads, with which line numbers, is what the
    file-by-file path gives (tests/test_small_files.py compares the two).
    """
    cursor = conn.cursor()
    try:
        cursor.execute("set variable bts_timezone = ?", [timezone])
        typed = _TypedFile(cursor, group[0].entry, layout.fmt, list(layout.names), layout.delimiter, file_column=True)
        readables = [str(member.readable) for member in group]
        typed.create([member.readable for member in group])
        first_wrong = cursor.execute(f"select __file from typed where {typed.wrong(run_date)} order by rowid limit 1").fetchone()
        if first_wrong:
            return readables.index(first_wrong[0])
        # Every column's delimiters are counted here (as its line breaks): a file whose delimiters
        # do not add up has a record with extra fields, which the file-by-file path names.
        figures = dict.fromkeys(readables, (0, 0))
        figures.update((row[0], row[1:]) for row in cursor.execute("select __file, count(*), sum(__nd) from typed group by __file").fetchall())
        for index, member in enumerate(group):
            rows, inside = figures[str(member.readable)]
            if inside != typed.delimiters_inside(_delimiters_read(member.inspection, member.readable, layout.delimiter), rows):
                return index
        cursor.execute(
            "create temp table small_files as select "
            "cast(unnest($readable) as varchar) as readable, cast(unnest($path) as varchar) as path, "
            "cast(unnest($hash) as varchar) as file_hash, cast(unnest($previous) as varchar) as previous_hash, "
            "cast(unnest($size) as bigint) as size_bytes, cast(unnest($mtime) as bigint) as mtime_ns",
            {
                "readable": readables,
                "path": [member.entry.relative_path for member in group],
                "hash": [member.inspection.content_hash for member in group],
                "previous": [member.previous_loaded_hash for member in group],
                "size": [member.entry.size_bytes for member in group],
                "mtime": [member.entry.mtime_ns for member in group],
            },
        )
        # Each record's line number within its file: 2 + its index in the file + the line breaks
        # inside the fields of the file's records before it (every column counted).
        cursor.execute(
            "create temp view typed_lines as "
            "select typed.*, small_files.path as __path, small_files.file_hash as __hash, "
            "2 + typed.rowid - min(typed.rowid) over (partition by typed.__file) "
            "+ coalesce(sum(typed.__nl) over (partition by typed.__file order by typed.rowid "
            "rows between unbounded preceding and 1 preceding), 0) as line_number, typed.rowid as __record "
            "from typed inner join small_files on small_files.readable = typed.__file"
        )
        if layout.fmt.table == "posts":
            conflict = _first_post_under_another_handle(cursor)
            if conflict is not None:
                return readables.index(conflict)
        rows = dict.fromkeys((member.entry.relative_path for member in group), 0)
        rows.update(cursor.execute("select __path, count(*) from typed_lines group by __path").fetchall())
        if sum(rows.values()) != cursor.execute("select count(*) from typed").fetchone()[0]:
            return None  # a record whose file is not known by the name it was read under: never seen
        cursor.execute("begin transaction")
        try:
            _write_small_files(cursor, group, layout.fmt, rows, timezone)
            changed = any(_changed_since_scan(member.entry, member.inspection) for member in group)
            cursor.execute("rollback" if changed else "commit")
        except BaseException:
            cursor.execute("rollback")
            raise
        return None if changed else rows
    except (duckdb.InterruptException, duckdb.FatalException):
        raise
    except (duckdb.Error, OSError):
        return None
    finally:
        try:
            cursor.execute("drop view if exists typed_lines")
            cursor.execute("drop table if exists small_files")
            drop_typed(cursor)
        finally:
            cursor.close()


def _first_post_under_another_handle(cursor: duckdb.DuckDBPyConnection) -> str | None:
    """The file (as read) of the group's first record whose post is under two handles, in the group or with raw.posts.

    raw.posts is read as it is before the group: the rows that an earlier file
    of the group replaces are still there, so this finds every conflict that
    the file-by-file checks would, and perhaps more (then the files are taken
    one by one, and those checks decide). A file's own previous bytes are not
    held against it, as there.
    """
    inside = cursor.execute(
        """
        select __file from typed
        where (platform, post_id) in (
            select (platform, post_id) from typed group by platform, post_id having min(handle) <> max(handle)
        )
        order by rowid limit 1
        """
    ).fetchone()
    if inside:
        return inside[0]
    outside = _first_post_owned_elsewhere(
        cursor,
        """
        select typed.__record, typed.__file from typed_lines as typed
        inner join small_files on small_files.path = typed.__path
        inner join raw.posts as posts
            on posts.platform = typed.platform and posts.post_id = typed.post_id and posts.handle <> typed.handle
        where posts.file_hash is distinct from small_files.previous_hash
            and typed.platform = $platform and posts.platform = $platform and posts.post_id between $low and $high
        order by typed.__record limit 1
        """,
        {},
    )
    return outside[1] if outside else None


def _first_post_owned_elsewhere(conn: duckdb.DuckDBPyConnection, sql: str, params: dict) -> tuple | None:
    """The first row `sql` finds, run once for each platform of `typed` (rows compared by their first column, the record).

    `sql` joins the records of `typed` to raw.posts, keeping those of
    `$platform` whose ids lie between `$low` and `$high`, the platform's range
    in `typed`: DuckDB then reads only the row groups of raw.posts of that
    platform and range (ids grow with time, files cover periods, and a file
    of both platforms is written one platform after the other,
    `_insert_typed_rows`). One range over both platforms would span X's ids
    and Instagram's, which interleave as text, and read nearly all of raw.posts.
    """
    ranges = conn.execute("select platform, min(post_id), max(post_id) from typed group by platform").fetchall()
    found = (conn.execute(sql, {**params, "platform": platform, "low": low, "high": high}).fetchone() for platform, low, high in ranges)
    return min((row for row in found if row), default=None)


def _write_small_files(
    cursor: duckdb.DuckDBPyConnection, group: list[_SmallFile], fmt: LandingFormat, rows: dict[str, int], timezone: str
) -> None:
    """What _replace_rows does for one file, for the group: the same rows, bookkeeping and deletions."""
    listed = {
        row[0] for row in cursor.execute(
            "select file_hash from raw.landing_files where file_hash in (select file_hash from small_files)"
        ).fetchall()
    }
    for member in group:
        if member.previous_loaded_hash or member.inspection.content_hash in listed:
            _drop_replaced_rows(cursor, member.entry.relative_path, member.inspection.content_hash, member.previous_loaded_hash)
    _insert_typed_rows(cursor, fmt, "__hash", "__path", " order by __record", {})
    cursor.execute(
        "insert into raw.landing_files select file_hash, $format, $table, records.rows, path, now(), $timezone, $version "
        "from small_files inner join (select unnest($paths) as path, unnest($rows) as rows) as records using (path)",
        {"format": fmt.name, "table": fmt.table, "paths": list(rows), "rows": list(rows.values()), "timezone": timezone,
         "version": READER_VERSION},
    )
    cursor.execute(
        "insert or replace into raw.landing_paths "
        "select path, size_bytes, mtime_ns, file_hash, file_hash from small_files"
    )
