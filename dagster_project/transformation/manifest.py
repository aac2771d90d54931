"""dbt's manifest, from which the dbt assets are defined: written by `make install`, refreshed when stale."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import settings

PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def dbt_executable() -> str:
    """The dbt installed beside this Python, so the pipeline works without an activated venv."""
    executable = Path(sys.executable).parent / "dbt"
    return str(executable) if executable.exists() else "dbt"


def parse_dbt_project() -> None:
    """Write dbt's manifest, which the asset definitions are built from.

    Several processes may start at once (tests, `bts` beside `dagster dev`):
    each parses into its own folder and the manifest is renamed into place.
    """
    target = settings.DBT_PROJECT_DIR / "target"
    target.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".parse-") as scratch:
        subprocess.run(
            [
                dbt_executable(), "parse", "--quiet",
                "--project-dir", str(settings.DBT_PROJECT_DIR),
                "--profiles-dir", str(settings.DBT_PROJECT_DIR),
                "--target-path", scratch,
            ],
            check=True,
            env={**os.environ, **settings.dbt_environment()},
        )
        # dbt's parse state too: dagster-dbt seeds each invocation's target
        # folder with it, so that `dbt build` does not parse the project again
        if (Path(scratch) / PARTIAL_PARSE_FILE).exists():
            os.replace(Path(scratch) / PARTIAL_PARSE_FILE, target / PARTIAL_PARSE_FILE)
        os.replace(Path(scratch) / "manifest.json", target / "manifest.json")


def _newest_dbt_source_mtime() -> float:
    sources = [settings.DBT_PROJECT_DIR / "dbt_project.yml", settings.DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests"):
        sources.extend(path for path in (settings.DBT_PROJECT_DIR / folder).rglob("*") if path.is_file())
    return max(path.stat().st_mtime for path in sources if path.exists())


def ensure_manifest(manifest: Path) -> None:
    """Parse the dbt project when its manifest is missing or older than a model, macro or test."""
    if not manifest.exists() or manifest.stat().st_mtime < _newest_dbt_source_mtime():
        parse_dbt_project()
