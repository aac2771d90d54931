"""Where things are and how periods are read: the environment variables of MARTS.md.

Every path is resolved when asked for, not at import, so that tests and the `bts`
command can point the pipeline elsewhere by setting the variables first.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DEFAULT_FIRST_QUARTER = "2022-Q1"  # the first quarter of the bundled demo data
DEFAULT_TIMEZONE = "Europe/Paris"
LANGUAGES = ("fr", "en")


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def landing_dir() -> Path:
    return _path_from_env("BTS_LANDING_DIR", REPO_ROOT / "data" / "landing")


def warehouse_dir() -> Path:
    return _path_from_env("BTS_WAREHOUSE_DIR", REPO_ROOT / "warehouse")


def working_db_path() -> Path:
    """The pipeline's own DuckDB file: raw, staging, intermediate and marts. Never opened by analysts."""
    return warehouse_dir() / "bts.duckdb"


def analytics_db_path() -> Path:
    """The analysts' DuckDB file, replaced whole and atomically after a run that passed its checks."""
    return warehouse_dir() / "analytics.duckdb"


def reports_dir() -> Path:
    return warehouse_dir() / "reports"


def timezone_name() -> str:
    name = os.environ.get("BTS_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # not found; or not a key at all ("../x", "")
        raise ValueError(f"BTS_TIMEZONE={name!r} is not a time zone (an IANA name, e.g. {DEFAULT_TIMEZONE})") from None
    return name


def first_quarter() -> str:
    return os.environ.get("BTS_FIRST_QUARTER") or DEFAULT_FIRST_QUARTER


def language() -> str:
    value = (os.environ.get("BTS_LANGUAGE") or "fr").lower()
    if value not in LANGUAGES:
        raise ValueError(f"BTS_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {value!r}")
    return value


def run_date() -> dt.date:
    """Today in the reporting timezone; BTS_RUN_DATE (YYYY-MM-DD) replays a run as of another day."""
    value = os.environ.get("BTS_RUN_DATE")
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"BTS_RUN_DATE={value!r} is not a date (YYYY-MM-DD)") from None
    return dt.datetime.now(ZoneInfo(timezone_name())).date()


def duckdb_memory_limit() -> str:
    """DuckDB's memory ceiling for the pipeline's connections (and dbt's, through profiles.yml)."""
    return os.environ.get("BTS_DUCKDB_MEMORY_LIMIT") or "1300MB"


# Tags a `bts run --all`: its quarters are every quarter the landing directory has data for, so the
# marts' other periods (whose data has left) are removed rather than kept (macros/delete_run_periods.sql).
EVERY_QUARTER_TAG = "bts/every_quarter"


def dbt_environment() -> dict[str, str]:
    """Variables dbt's profiles.yml and models read, so dbt sees the same paths as Python."""
    return {
        "BTS_DUCKDB_PATH": str(working_db_path()),
        "BTS_TIMEZONE": timezone_name(),
        "BTS_DUCKDB_MEMORY_LIMIT": duckdb_memory_limit(),
    }
