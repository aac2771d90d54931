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
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from dagster_project.generate import write_demo_landing

REPO = Path(__file__).resolve().parents[1]
BTS = Path(sys.executable).parent / "bts"
RUN_DATE = "2026-11-26"
QUARTER = "2023-Q4"
# A later re-export of the same posts with grown counts: a landing without it
# publishes other 2023-Q4 figures than one with it.
LATER_EXPORT = "instagram/campagnes/campagnes_T4_2023_export_2024-01-08.csv"


def write_landing(target: Path, with_later_export: bool = True) -> Path:
    write_demo_landing(target)
    if not with_later_export:
        (target / LATER_EXPORT).unlink()
    return target


def environment(landing: Path, warehouse: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BTS_LANDING_DIR": str(landing),
        "BTS_WAREHOUSE_DIR": str(warehouse),
        "BTS_RUN_DATE": RUN_DATE,
        "PYTHONUNBUFFERED": "1",
    }


def start_run(landing: Path, warehouse: Path) -> subprocess.Popen:
    """`bts run --quarter QUARTER` in a new session (its own process group); progress lines on stderr."""
    return subprocess.Popen(
        [str(BTS), "run", "--quarter", QUARTER],
        cwd=REPO,
        env=environment(landing, warehouse),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run(landing: Path, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BTS), "run", "--quarter", QUARTER],
        cwd=REPO,
        env=environment(landing, warehouse),
        capture_output=True,
        text=True,
        timeout=900,
    )


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the run's whole process group (bts, dbt and anything else it started), then reap bts."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while _group_alive(process.pid):
        assert time.monotonic() < deadline, f"processes of group {process.pid} survived SIGKILL"
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


def landing_fingerprint(landing: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(landing.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(path.relative_to(landing).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_CLEAN_RUNS: dict[str, tuple[Path, dict[str, list[tuple]]]] = {}


def clean_run(tmp_path_factory, with_later_export: bool = True) -> tuple[Path, dict[str, list[tuple]]]:
    """The warehouse and marts of an uninterrupted run on a fresh warehouse, once per session and landing."""
    landing = write_landing(tmp_path_factory.mktemp("clean-landing"), with_later_export)
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


def file_identity(path: Path) -> tuple[int, int, str]:
    """Inode, modification time and content hash: equal only for the very same, untouched file."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()
