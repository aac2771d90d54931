"""`bts run` as users start it, for the crash, concurrency and bad-input tests.

Every run is a subprocess in its own process group (so a test can kill the
whole run, dbt included, as `kill -9 -<pgid>` does) on the demo landing of
DEMO.md, one quarter, with a fixed run date. A clean, uninterrupted run of a
landing is done once per test session and its marts are shared.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from dagster_project.generate import write_demo_landing

REPO = Path(__file__).resolve().parents[1]
BTS = Path(sys.executable).parent / "bts"
RUN_DATE = "2026-11-26"
QUARTER = "2023-Q4"


def write_landing(target: Path) -> Path:
    write_demo_landing(target)
    return target


def dagster_home(target: Path) -> Path:
    """A Dagster instance configured as the project's own (.dagster/dagster.yaml: the pool bts_duckdb, one slot)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / ".dagster" / "dagster.yaml", target / "dagster.yaml")
    return target


def environment(landing: Path, warehouse: Path, instance: Path | None = None) -> dict[str, str]:
    """The variables of MARTS.md; without `instance`, runs use an ephemeral Dagster instance."""
    return {
        **os.environ,
        "BTS_LANDING_DIR": str(landing),
        "BTS_WAREHOUSE_DIR": str(warehouse),
        "BTS_RUN_DATE": RUN_DATE,
        "PYTHONUNBUFFERED": "1",
        **({"DAGSTER_HOME": str(instance)} if instance else {}),
    }


def start_run(landing: Path, warehouse: Path, instance: Path | None = None, quarters: tuple[str, ...] = (QUARTER,)) -> subprocess.Popen:
    """`bts run --quarter Q ...` in a new session (its own process group); progress lines on stderr."""
    return subprocess.Popen(
        [str(BTS), "run", *(argument for quarter in quarters for argument in ("--quarter", quarter))],
        cwd=REPO,
        env=environment(landing, warehouse, instance),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run(landing: Path, warehouse: Path, instance: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BTS), "run", "--quarter", QUARTER],
        cwd=REPO,
        env=environment(landing, warehouse, instance),
        capture_output=True,
        text=True,
        timeout=900,
    )


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the run's whole process group (bts, dbt and anything else it started), then reap bts."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    wait_for_group_to_end(process.pid, f"processes of group {process.pid} survived SIGKILL")


def wait_for_group_to_end(pgid: int, failure: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _group_alive(pgid):
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still counts for killpg(0); look at the states of the group's processes.
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def mart_rows(analytics: Path) -> dict[str, list[tuple]]:
    """Every table of schema marts, every row, ordered by all columns; loading times left out."""
    with duckdb.connect(str(analytics), read_only=True) as conn:
        conn.execute("set TimeZone = 'UTC'")
        tables = [row[0] for row in conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()]
        result = {}
        for table in tables:
            columns = [row[0] for row in conn.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = ? order by column_index",
                [table],
            ).fetchall() if row[0] != "loaded_at"]
            quoted = ", ".join('"' + column.replace('"', '""') + '"' for column in columns)
            rows = conn.execute(f'select {quoted} from marts."{table}" order by all').fetchall()
            result[table] = [tuple(_comparable(value) for value in row) for row in rows]
    return result


def _comparable(value):
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def same_marts(got: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> bool:
    """Same tables, same rows, same values; a DOUBLE within 1e-12 of its expected value.

    A double aggregated over rows (an average of daily rates) can differ in its
    last bit with the physical order of the rows, which follows the order in
    which files were loaded over the warehouse's life: a warehouse that loaded
    one file later than another holds the same figures to 15 digits, not to
    the bit. Everything else must be exactly equal.
    """
    if got.keys() != expected.keys():
        return False
    for table, rows in expected.items():
        if len(got[table]) != len(rows):
            return False
        for got_row, expected_row in zip(got[table], rows):
            if len(got_row) != len(expected_row):
                return False
            for got_value, expected_value in zip(got_row, expected_row):
                if isinstance(expected_value, float) and isinstance(got_value, float):
                    if not math.isclose(got_value, expected_value, rel_tol=1e-12, abs_tol=1e-300):
                        return False
                elif got_value != expected_value or type(got_value) is not type(expected_value):
                    return False
    return True


def differences(got: dict[str, list[tuple]], expected: dict[str, list[tuple]], limit: int = 5) -> list[str]:
    """The first rows that differ, for assertion messages."""
    lines = []
    for table in sorted(expected.keys() | got.keys()):
        if not same_marts({table: got.get(table, [])}, {table: expected.get(table, [])}):
            missing = [row for row in expected.get(table, []) if row not in got.get(table, [])][:limit]
            extra = [row for row in got.get(table, []) if row not in expected.get(table, [])][:limit]
            lines.append(f"{table}: expected but not found {missing}; found but not expected {extra}")
    return lines


class ProgressLines:
    """The stderr lines of a running `bts run`, read by a thread so that waiting for one can time out."""

    def __init__(self, process: subprocess.Popen):
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, fragment: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"the run ended before {fragment!r}:\n" + "".join(self.seen[-40:])
            self.seen.append(line)
            if fragment in line:
                return

    def rest(self, timeout: float = 900) -> str:
        """All the run's stderr, once it has ended."""
        deadline = time.monotonic() + timeout
        while (line := self.lines.get(timeout=max(0.1, deadline - time.monotonic()))) is not None:
            self.seen.append(line)
        return "".join(self.seen)


class AnalyticsWatcher:
    """Opens analytics.duckdb read-only again and again, and records every state it finds (or the failure)."""

    def __init__(self, analytics: Path):
        self.analytics = analytics
        self.states: list[dict] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=60)

    def _watch(self) -> None:
        while not self._stop.wait(0.3):
            if not self.analytics.exists():
                continue
            try:
                state = mart_rows(self.analytics)
            except Exception as error:  # noqa: BLE001 - any failure to read is what this records
                self.failures.append(repr(error))
            else:
                if not self.states or self.states[-1] != state:
                    self.states.append(state)


def landing_fingerprint(landing: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(landing.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(path.relative_to(landing).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_CLEAN_RUNS: dict[str, tuple[Path, dict[str, list[tuple]]]] = {}


def clean_run(tmp_path_factory) -> tuple[Path, dict[str, list[tuple]]]:
    """The warehouse and marts of an uninterrupted run on a fresh warehouse, once per session."""
    landing = write_landing(tmp_path_factory.mktemp("clean-landing"))
    key = landing_fingerprint(landing)
    if key not in _CLEAN_RUNS:
        warehouse = tmp_path_factory.mktemp("clean-warehouse")
        completed = run(landing, warehouse)
        assert completed.returncode == 0, completed.stderr[-4000:]
        _CLEAN_RUNS[key] = (warehouse, mart_rows(warehouse / "analytics.duckdb"))
    return _CLEAN_RUNS[key]


def copy_warehouse(source: Path, target: Path) -> Path:
    """A copy of a finished run's warehouse (its databases; not its lock, logs or reports)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("bts.duckdb", "analytics.duckdb"):
        shutil.copy2(source / name, target / name)
    return target


def warehouse_with_a_previous_version(clean_warehouse: Path, target: Path) -> tuple[Path, dict[str, list[tuple]]]:
    """A warehouse holding only an analytics.duckdb whose figures differ from a clean run's, and its marts.

    The next run starts its working database from nothing (every file is
    ingested, every model built) and replaces a published file that readers
    can tell from the new one.
    """
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(clean_warehouse / "analytics.duckdb", target / "analytics.duckdb")
    with duckdb.connect(str(target / "analytics.duckdb")) as conn:
        conn.execute("update marts.fct_account_quarter set posts = posts + 1000")
    return target, mart_rows(target / "analytics.duckdb")


def file_identity(path: Path) -> tuple[int, int, str]:
    """Inode, modification time and content hash: equal only for the very same, untouched file."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()
