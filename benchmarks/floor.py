"""Run floor.sql on a landing directory: fct_account_quarter by DuckDB alone, the least work.

    python benchmarks/floor.py --landing DIR --out result.duckdb [--from 2022-Q1 --to 2023-Q4]

The wrapper only does what SQL cannot: list the files and read their header
line to group them by layout, delimiter and encoding (one `read_csv` per
group), and give DuckDB a UTF-8 copy of any Windows-1252 file (DuckDB's CSV
reader decodes UTF-8, UTF-16 and Latin-1 only, and Latin-1 refuses the bytes
0x80-0x9F that Windows-1252 uses for `œ`, `€` or `’`). Only `;`-separated
files, which French spreadsheets write, are checked for Windows-1252 up front;
any other file that DuckDB finds undecodable is checked and copied on a retry.

The result table is written to `--out` (a DuckDB file) for the comparison, and
one JSON line with the timings goes to stdout.
"""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from landing import LandingFile, is_utf8, sniff_landing  # noqa: E402

FLOOR_SQL = Path(__file__).resolve().parent / "floor.sql"
VIEWS_MARKER = "-- @landing-views"
# floor.sql's macro for each layout, and the view its rows go to.
MACROS = {
    "x_tweet_activity": ("x_tweet_activity_posts", "landing_posts"),
    "x_content": ("x_content_posts", "landing_posts"),
    "instagram_posts": ("instagram_posts", "landing_posts"),
    "canonical_posts": ("canonical_posts", "landing_posts"),
    "follower_snapshots": ("follower_snapshots", "landing_snapshots"),
    "accounts": ("accounts", "landing_accounts"),
}


def quarter_start(label: str) -> dt.date:
    year, quarter = label.split("-Q")
    return dt.date(int(year), (int(quarter) - 1) * 3 + 1, 1)


def transcode_to_utf8(source: Path, target: Path, encoding: str = "cp1252") -> None:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with source.open("rb") as reader, target.open("w", encoding="utf-8", newline="") as writer:
        while chunk := reader.read(1 << 24):
            writer.write(decoder.decode(chunk))
        writer.write(decoder.decode(b"", final=True))


def with_views(script: str, views: str) -> str:
    """floor.sql with its marker line (a line of its own, not the mention in the header) replaced by the views."""
    lines = script.splitlines()
    return "\n".join(views if line.strip() == VIEWS_MARKER else line for line in lines)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def landing_views(files: list[LandingFile], readable: dict[Path, tuple[Path, str]]) -> str:
    """The three views over the landing files: one macro call per (layout, delimiter, encoding, columns)."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for landing_file in files:
        path, encoding = readable[landing_file.path]
        groups[(landing_file.format, landing_file.delimiter, encoding, landing_file.columns)].append(str(path))
    calls: dict[str, list[str]] = defaultdict(list)
    for (format_name, delimiter, encoding, columns), paths in sorted(groups.items()):
        macro, view = MACROS[format_name]
        struct = "{" + ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in columns) + "}"
        listed = "[" + ", ".join(_sql_string(path) for path in paths) + "]"
        calls[view].append(f"select * from {macro}({listed}, {_sql_string(delimiter)}, {_sql_string(encoding)}, {struct})")
    missing = {"landing_posts", "landing_snapshots", "landing_accounts"} - set(calls)
    if missing:
        raise ValueError(f"the landing directory has no file for {', '.join(sorted(missing))}")
    return "\n".join(f"create or replace temp view {view} as\n" + "\nunion all\n".join(selects) + ";" for view, selects in calls.items())


def run_floor(landing_dir: Path, first_quarter: str, last_quarter: str, timezone: str, scratch: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    files = sniff_landing(landing_dir)
    readable: dict[Path, tuple[Path, str]] = {}
    for landing_file in files:
        readable[landing_file.path] = (landing_file.path, landing_file.encoding)
    timings["sniff_s"] = time.perf_counter() - started

    def make_readable(candidates: list[LandingFile]) -> int:
        copied = 0
        for landing_file in candidates:
            source_encoding = "utf-16" if landing_file.encoding == "utf-16" else None
            if source_encoding is None and not is_utf8(landing_file.path):
                source_encoding = "cp1252"
            if source_encoding:
                target = scratch / f"{len(readable)}-{copied}.csv"
                transcode_to_utf8(landing_file.path, target, source_encoding)
                readable[landing_file.path] = (target, "utf-8")
                copied += 1
        return copied

    started = time.perf_counter()
    transcoded = make_readable([f for f in files if f.encoding == "utf-16" or f.delimiter == ";"])
    timings["transcode_s"] = time.perf_counter() - started

    script = FLOOR_SQL.read_text(encoding="utf-8")
    conn = duckdb.connect()
    conn.execute(f"set TimeZone = {_sql_string(timezone)}")
    conn.execute(f"set temp_directory = {_sql_string(str(scratch / 'duckdb_tmp'))}")
    conn.execute("set variable first_quarter = ?", [quarter_start(first_quarter)])
    conn.execute("set variable last_quarter = ?", [quarter_start(last_quarter)])
    started = time.perf_counter()
    try:
        conn.execute(with_views(script, landing_views(files, readable)))
    except duckdb.InvalidInputException as error:
        if "unicode" not in str(error).lower() and "encod" not in str(error).lower():
            raise
        # A Windows-1252 file without `;`: find it the slow way, then run again.
        retry_started = time.perf_counter()
        transcoded += make_readable([f for f in files if f.encoding == "utf-8" and readable[f.path][0] == f.path])
        timings["transcode_s"] += time.perf_counter() - retry_started
        conn.execute(with_views(script, landing_views(files, readable)))
    timings["query_s"] = time.perf_counter() - started
    info = {
        "files": len(files),
        "transcoded_files": transcoded,
        "rows": conn.execute("select count(*) from fct_account_quarter").fetchone()[0],
        **timings,
    }
    return conn, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="DuckDB file to write fct_account_quarter to")
    parser.add_argument("--from", dest="first", default="2022-Q1")
    parser.add_argument("--to", dest="last", default="2023-Q4")
    parser.add_argument("--timezone", default=os.environ.get("BTS_TIMEZONE") or "Europe/Paris")
    args = parser.parse_args(argv)
    if not args.landing.is_dir():
        parser.error(f"--landing {args.landing} is not a directory")
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="bts-floor-"))
    try:
        try:
            conn, info = run_floor(args.landing.resolve(), args.first, args.last, args.timezone, scratch)
        except ValueError as error:  # a landing directory it cannot read: said, not a traceback
            parser.exit(2, f"{parser.prog}: error: {error}\n")
        if args.out:
            args.out.unlink(missing_ok=True)
            conn.execute(f"attach {_sql_string(str(args.out))} as result")
            conn.execute("create table result.fct_account_quarter as select * from fct_account_quarter")
            conn.execute("detach result")
        conn.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    info["total_s"] = time.perf_counter() - started
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
