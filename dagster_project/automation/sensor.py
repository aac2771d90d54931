"""The landing sensor: late or corrected exports re-run the quarters they change, and nothing else.

Every tick lists the landing directory and compares it with the cursor, a JSON
map of path -> (size, mtime, content hash, quarters). A file whose size and
mtime are unchanged is not read again; a file whose bytes are unchanged (a
copy touched by a sync tool) requests nothing. For a new or changed file, the
quarters come from its own dates, read on an in-memory DuckDB connection
(`touched.quarters_touched`): the sensor never opens the working database,
which a run may be writing. A deleted or changed file also touches the
quarters its previous version held, which the cursor remembers. A follower
snapshot counts on every later day until the account's next snapshot, which
the sensor cannot see without the database: a snapshot file touches its
quarters and every later one.

All changes seen in one tick are merged: one run per quarter, however many
files touch it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
from pathlib import Path

import dagster as dg
import duckdb

from .. import settings
from ..ingestion.files import FileInspection, LandingEntry, LandingFileError, hash_file, inspect_file, scan_landing
from ..ingestion.loader import ACCOUNTS_FILE
from ..partitions import quarterly_partitions
from ..quarters import Quarter, quarter_range
from . import PIPELINE_JOB
from .touched import quarters_touched

MINIMUM_INTERVAL_SECONDS = 30
# A file modified this recently may still be being copied: it waits for a later
# tick rather than start a run that would reject it as truncated.
SETTLE_SECONDS = 15
# Dagster abandons a sensor evaluation after 60 s. A first tick over a large landing directory
# reads what it can in this time; the files it did not reach are new again at the next tick.
READ_BUDGET_SECONDS = 40
CURSOR_VERSION = 1
EVERY_QUARTER = "every quarter"
# Last of a file's quarter labels in the cursor when its rows are carried forward (follower snapshots).
AND_LATER = "and every later quarter"


@dataclasses.dataclass(frozen=True)
class SeenFile:
    size_bytes: int
    mtime_ns: int
    content_hash: str
    quarters: tuple[str, ...] | None  # labels, then AND_LATER for snapshots; None for accounts.csv, whose panels apply to every quarter

    def touched(self, last: Quarter) -> set[Quarter] | None:
        """The quarters the file's rows count in, up to `last` (the last complete quarter) for carried-forward rows."""
        if self.quarters is None:
            return None
        held = {Quarter.parse(label) for label in self.quarters if label != AND_LATER}
        if AND_LATER in self.quarters and held:
            held.update(quarter_range(min(held), last) if min(held) <= last else [])
        return held


@dataclasses.dataclass(frozen=True)
class LandingState:
    """The landing directory as the last tick saw it; `changes` counts the ticks that saw a change."""

    files: dict[str, SeenFile]
    changes: int = 0

    @classmethod
    def from_cursor(cls, cursor: str | None) -> "LandingState":
        if not cursor:
            return cls({})
        data = json.loads(cursor)
        if data.get("version") != CURSOR_VERSION:
            return cls({})  # a cursor of another layout: start over, as on the first tick
        files = {
            path: SeenFile(size, mtime_ns, content_hash, None if quarters == EVERY_QUARTER else tuple(quarters))
            for path, (size, mtime_ns, content_hash, quarters) in data["files"].items()
        }
        return cls(files, data.get("changes", 0))

    def to_cursor(self) -> str:
        files = {
            path: [seen.size_bytes, seen.mtime_ns, seen.content_hash, EVERY_QUARTER if seen.quarters is None else list(seen.quarters)]
            for path, seen in sorted(self.files.items())
        }
        return json.dumps({"version": CURSOR_VERSION, "changes": self.changes, "files": files}, separators=(",", ":"))

    def digest(self) -> str:
        """A short hash of which bytes sit at which path, and of how many changes led here.

        The change count is part of it because run keys must not repeat when
        the directory returns to an earlier state (a file deleted, then put
        back): Dagster would skip the second run as already requested.
        """
        contents = {path: seen.content_hash for path, seen in self.files.items()}
        text = json.dumps([self.changes, sorted(contents.items())])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class LandingChanges:
    state: LandingState
    touched: dict[str, set[Quarter] | None]  # changed path -> the quarters its old and new versions hold
    notes: list[str]


def read_landing_changes(
    previous: LandingState,
    landing_dir: Path,
    timezone: str,
    run_date: dt.date,
    now: float,
    budget_seconds: float = READ_BUDGET_SECONDS,
) -> LandingChanges:
    """Compare the landing directory with the previous state; read only the files whose size or mtime moved."""
    deadline = time.monotonic() + budget_seconds
    scan = scan_landing(landing_dir)
    files: dict[str, SeenFile] = {}
    touched: dict[str, set[Quarter] | None] = {}
    notes: list[str] = []
    settle_after_ns = int((now - SETTLE_SECONDS) * 1e9)
    last_complete = Quarter.containing(run_date).previous()
    for entry in scan.entries:
        before = previous.files.get(entry.relative_path)
        if before and (before.size_bytes, before.mtime_ns) == (entry.size_bytes, entry.mtime_ns):
            files[entry.relative_path] = before
            continue
        if entry.mtime_ns > settle_after_ns or time.monotonic() > deadline:
            why = f"modified less than {SETTLE_SECONDS} s ago" if entry.mtime_ns > settle_after_ns else "no time left in this tick"
            notes.append(f"{entry.relative_path}: {why}, read at a later tick")
            if before:
                files[entry.relative_path] = before
            continue
        try:
            content_hash, inspection = _content_hash(entry)
        except OSError as error:
            # Removed or replaced between the listing and the read: the next tick sees how it ended.
            notes.append(f"{entry.relative_path}: could not be read ({error.strerror or error}), read at a later tick")
            if before:
                files[entry.relative_path] = before
            continue
        if before and before.content_hash == content_hash:
            files[entry.relative_path] = dataclasses.replace(before, size_bytes=entry.size_bytes, mtime_ns=entry.mtime_ns)
            continue
        held = _quarters_held(entry, inspection, timezone, run_date, notes)
        labels = None if held is None else tuple(sorted(q.label for q in held[0])) + ((AND_LATER,) if held[1] else ())
        seen = SeenFile(entry.size_bytes, entry.mtime_ns, content_hash, labels)
        files[entry.relative_path] = seen
        touched[entry.relative_path] = _union(before.touched(last_complete) if before else set(), seen.touched(last_complete))
    present = {entry.relative_path for entry in scan.entries}
    for path, before in previous.files.items():
        if path not in present:
            touched[path] = before.touched(last_complete)
    changes = previous.changes + (1 if touched else 0)
    return LandingChanges(LandingState(files, changes), touched, notes)


def _content_hash(entry: LandingEntry) -> tuple[str, FileInspection | None]:
    """The file's SHA-256, and what the encoding check found when the file is decodable text."""
    try:
        inspection = inspect_file(entry)
    except LandingFileError:
        return hash_file(entry.absolute_path), None
    return inspection.content_hash, inspection


def _quarters_held(
    entry: LandingEntry, inspection: FileInspection | None, timezone: str, run_date: dt.date, notes: list[str]
) -> tuple[set[Quarter], bool] | None:
    """The file's quarters and whether its rows are carried forward; None for accounts.csv (its panels apply to
    every quarter); no quarter, with a note, for a file a run would reject."""
    if entry.relative_path == ACCOUNTS_FILE:
        return None
    try:
        return quarters_touched(entry, timezone, run_date, inspection)
    except LandingFileError as error:
        notes.append(f"{error.describe()} (no quarter is known: the next run that reads the file rejects it)")
    except (duckdb.Error, OSError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        notes.append(f"{entry.relative_path}: could not be read ({first_line}); no quarter is known")
    return set(), False


def _union(first: set[Quarter] | None, second: set[Quarter] | None) -> set[Quarter] | None:
    return None if first is None or second is None else first | second


def quarters_to_run(touched: dict[str, set[Quarter] | None], partitions: list[Quarter]) -> dict[Quarter, list[str]]:
    """Each partition a change affects, with the paths that affect it.

    A quarter's data also feeds the next quarter: its `previous_rank` and its
    `followers_start` (the count on the day before it starts) read the quarter
    before (METRICS.md), so both are run.
    """
    available = set(partitions)
    runs: dict[Quarter, list[str]] = {}
    for path, quarters in sorted(touched.items()):
        affected = available if quarters is None else quarters | {quarter.next() for quarter in quarters}
        for quarter in affected & available:
            runs.setdefault(quarter, []).append(path)
    return dict(sorted(runs.items()))


def partition_quarters(run_date: dt.date) -> list[Quarter]:
    """The quarters that are partitions today: from BTS_FIRST_QUARTER to the last complete one."""
    last_complete = Quarter.containing(run_date).previous()
    quarters = [Quarter.from_partition_key(key) for key in quarterly_partitions().get_partition_keys()]
    return [quarter for quarter in quarters if quarter <= last_complete]


def _files_tag(paths: list[str]) -> str:
    shown = ", ".join(paths[:5])
    return shown + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


@dg.sensor(
    name="landing_sensor",
    job_name=PIPELINE_JOB,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    description=(
        "Watches the landing directory (BTS_LANDING_DIR) by content hash and runs the quarters that new, "
        "changed or deleted files touch, one run per quarter. Its first tick sees every file as new and "
        "runs every quarter that has data."
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    landing_dir = settings.landing_dir()
    if not landing_dir.is_dir():
        return dg.SensorResult(skip_reason=f"landing directory not found: {landing_dir}", cursor=context.cursor)
    run_date = settings.run_date()
    previous = LandingState.from_cursor(context.cursor)
    changes = read_landing_changes(
        previous, landing_dir, settings.timezone_name(), run_date, time.time(), budget_seconds=READ_BUDGET_SECONDS
    )
    for note in changes.notes:
        context.log.warning(note)
    for path, quarters in changes.touched.items():
        shown = EVERY_QUARTER if quarters is None else ", ".join(sorted(q.label for q in quarters)) or "no quarter"
        context.log.info(f"{path}: {'deleted' if path not in changes.state.files else 'new or changed'}, holds {shown}")
    runs = quarters_to_run(changes.touched, partition_quarters(run_date))
    cursor = changes.state.to_cursor()
    if not runs:
        reason = "no landing file changed" if not changes.touched else "the changed files touch no partition quarter"
        return dg.SensorResult(skip_reason=reason, cursor=cursor)
    digest = changes.state.digest()
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"{quarter.label}:{digest}",
                partition_key=quarter.partition_key,
                tags={"bts/quarter": quarter.label, "bts/landing_changes": _files_tag(paths)},
            )
            for quarter, paths in runs.items()
        ],
        cursor=cursor,
    )
