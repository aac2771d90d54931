"""Typing keeps the file's record order, so that every raw row carries its own line number.

The loader reads and types a file in one statement into the temp table
`typed` and numbers records by `rowid`. That is right only if DuckDB keeps
insertion order for the statement, which it does with its order-preserving
CREATE TABLE AS (BATCH_CREATE_TABLE_AS in the plan). Some expressions make it
plan otherwise: a long `IN (...)` list becomes a join, and the rows of a large
file then come out shuffled (seen at 687,500 rows: 558,877 wrong line
numbers). Small test files are read by one thread and would not show it, so
the plan itself is checked for every format, and line numbers are checked
against Python's csv module on a multi-line file.

Line breaks inside fields are counted in the text column only when the
file's line feeds show that those are all of them; the last test checks
line numbers wherever the line breaks are, and when every column is counted.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import random
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingestion import files as landing_files
from dagster_project.ingestion import formats, loader
from dagster_project.ingestion.files import LandingEntry

ORDER_PRESERVING = "BATCH_CREATE_TABLE_AS"


def _connection() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    loader.ensure_raw_schema(conn)
    conn.execute("set TimeZone = 'UTC'")
    conn.execute("set variable bts_timezone = 'Europe/Paris'")
    return conn


def _header(fmt: formats.LandingFormat) -> list[str]:
    return sorted({*fmt.signature, *fmt.required, "permalink", "description", "views", "following", "likes"})


@pytest.mark.parametrize("fmt", formats.ALL_FORMATS, ids=lambda fmt: fmt.name)
def test_typing_keeps_the_file_order(fmt, tmp_path):
    header = _header(fmt)
    path = tmp_path / "file.csv"
    path.write_text(",".join(header) + "\n" + ",".join("" for _ in header) + "\n", encoding="utf-8")
    conn = _connection()
    entry = LandingEntry("file.csv", path, path.stat().st_size, path.stat().st_mtime_ns)
    typed = loader._TypedFile(conn, entry, fmt, loader._unique_names(header), ",")
    plan = conn.execute("explain " + typed.create_sql(), loader._csv_parameters(path, typed.names, ",")).fetchall()[0][1]
    assert ORDER_PRESERVING in plan, plan


def test_the_plan_check_sees_an_order_losing_statement(tmp_path):
    """The check above means something: an IN list of seven values loses the order."""
    path = tmp_path / "file.csv"
    path.write_text("a\nx\n", encoding="utf-8")
    conn = _connection()
    sql = "explain create temp table t as select ascii(a) in (9, 10, 12, 13, 32, 160, 8239) from read_csv($path, header = true)"
    assert ORDER_PRESERVING not in conn.execute(sql, {"path": str(path)}).fetchall()[0][1]


@pytest.mark.parametrize("asof_from", [loader.ASOF_LINE_NUMBERS_FROM, 1], ids=["positional join", "asof join"])
def test_line_numbers_of_multi_line_records_match_the_csv_module(tmp_path, monkeypatch, asof_from):
    # 20,000 records: under the ASOF threshold unless it is lowered, so both ways of numbering are checked
    monkeypatch.setattr(loader, "ASOF_LINE_NUMBERS_FROM", asof_from)
    rnd = random.Random(7)
    path = tmp_path / "posts.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["platform", "handle", "post_id", "published_at", "post_type", "text", "likes", "comments", "reposts", "quotes", "impressions", "permalink"])
        for number in range(20_000):
            text = "\n".join("ligne" for _ in range(rnd.choice([1, 1, 1, 2, 4])))
            platform, kind = rnd.choice([("x", "post"), ("x", "reply"), ("instagram", "reel"), ("instagram", "story")])
            writer.writerow([platform, f"acct{number % 7}", f"id{number}", "2023-05-01T12:00:00+00:00", kind, text, number % 50, 0, 0, 0, "", ""])
    expected = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        line = 2
        for record in reader:
            expected[record[2]] = line
            line += sum(value.count("\n") for value in record) + 1
    conn = _connection()
    entry = LandingEntry("posts.csv", path, path.stat().st_size, path.stat().st_mtime_ns)
    inspection = landing_files.inspect_file(entry)
    typed = loader.read_typed(conn, entry, inspection, tmp_path / "scratch", dt.date(2026, 11, 26))
    assert typed.embedded_line_breaks > 0
    asof_used = conn.execute("select count(*) from duckdb_tables() where table_name = 'typed_line_breaks'").fetchone()[0]
    assert asof_used == (asof_from == 1)
    loader._replace_rows(conn, entry, typed.fmt, inspection.content_hash, None, typed.rows, "Europe/Paris")
    assert dict(conn.execute("select post_id, line_number from raw.posts").fetchall()) == expected


def test_a_file_the_parallel_csv_reader_refuses_is_read_with_one_thread(tmp_path, monkeypatch):
    """DuckDB's parallel reader refuses some files with quoted line breaks across its buffers; they still load.

    The fixture is 500 records of a generated tweet-activity export (the 10M
    benchmark's 2022-Q4 file, whose 76 MB DuckDB 1.5.6 refused in 32 MiB
    buffers). Read in 8 KiB buffers, the same refusal happens at this size.
    """
    monkeypatch.setattr(loader, "MAX_RECORD_BYTES", 4 << 10)
    path = tmp_path / "tweets.csv"
    path.write_bytes(gzip.decompress((Path(__file__).parent / "data" / "parallel_csv_refused.csv.gz").read_bytes()))
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    header, records = records[0], records[1:]
    names = loader._unique_names(header)
    conn = _connection()
    with pytest.raises(duckdb.Error, match=loader._PARALLEL_READER_REFUSED):
        conn.execute(f"select count(*) from {loader._READ_CSV}", loader._csv_parameters(path, names, ","))
    entry = LandingEntry("tweets.csv", path, path.stat().st_size, path.stat().st_mtime_ns)
    typed = loader.read_typed(conn, entry, landing_files.inspect_file(entry), tmp_path / "scratch", dt.date(2026, 11, 26))
    assert typed.rows == len(records) == 500
    loaded = conn.execute("select post_id, text from typed_lines order by line_number").fetchall()
    assert loaded == [(record[0], record[2]) for record in records]


CANONICAL_COLUMNS = ["platform", "handle", "post_id", "published_at", "post_type", "text", "likes", "comments", "reposts", "quotes", "impressions", "permalink"]


def _write_posts(
    path: Path, records: list[list[str]], extra: str | None = None, terminator: str = "\n", end: str = "", encoding: str = "utf-8"
) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator=terminator)
        writer.writerow(CANONICAL_COLUMNS + ([extra] if extra else []))
        writer.writerows(records)
        handle.write(end)


def _csv_line_numbers(path: Path, encoding: str = "utf-8") -> dict[str, int]:
    """post_id -> the line its record starts on, by Python's csv module (a line ends with a line feed)."""
    numbers = {}
    line = 2
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for record in reader:
            if record:
                numbers[record[2]] = line
            line += sum(value.count("\n") for value in record) + 1
    return numbers


def _load_line_numbers(path: Path, tmp_path: Path) -> tuple[dict[str, int], loader._TypedFile]:
    conn = _connection()
    entry = LandingEntry(path.name, path, path.stat().st_size, path.stat().st_mtime_ns)
    inspection = landing_files.inspect_file(entry)
    (tmp_path / "scratch").mkdir()
    typed = loader.read_typed(conn, entry, inspection, tmp_path / "scratch", dt.date(2026, 11, 26))
    loader._replace_rows(conn, entry, typed.fmt, inspection.content_hash, None, typed.rows, "Europe/Paris")
    return dict(conn.execute("select post_id, line_number from raw.posts").fetchall()), typed


def _records(breaks_in: str | None, count: int = 300, extra: bool = False) -> list[list[str]]:
    rnd = random.Random(11)
    records = []
    for number in range(count):
        text = "\n".join("ligne é" for _ in range(rnd.choice([1, 1, 2, 3])))
        record = ["x", "sanofi", f"id{number}", "2023-05-01T12:00:00+00:00", "post", text, str(number), "0", "0", "0", "", f"https://x.com/sanofi/status/{number}"]
        if breaks_in == "permalink" and number % 7 == 3:
            record[11] = f"https://x.com/sanofi/\nstatus/{number}"
        if extra:
            record.append("note\non two lines" if breaks_in == "extra" and number % 5 == 1 else "note")
        records.append(record)
    return records


@pytest.mark.parametrize(
    "case, every_column",
    [
        ("line breaks in the text only", False),
        ("no line break at all", False),
        ("no final line feed", False),
        ("line breaks in a column other than the text", True),
        ("line breaks in a column the format does not read", True),
        ("blank lines at the end", True),
        ("CRLF line ends", True),
        ("UTF-16 with a byte-order mark", False),
        ("Windows-1252", False),
    ],
)
def test_line_breaks_counted_in_the_text_column_only_when_that_is_all_of_them(tmp_path, case, every_column):
    """Line numbers match the csv module whichever columns hold line breaks; every column is counted only when needed."""
    path = tmp_path / "posts.csv"
    encoding = {"UTF-16 with a byte-order mark": "utf-16", "Windows-1252": "cp1252"}.get(case, "utf-8")
    if case == "line breaks in the text only":
        _write_posts(path, _records(None))
    elif case == "no line break at all":
        _write_posts(path, [[value.replace("\n", " ") for value in record] for record in _records(None)])
    elif case == "no final line feed":
        _write_posts(path, _records(None))
        path.write_bytes(path.read_bytes().rstrip(b"\n"))
    elif case == "line breaks in a column other than the text":
        _write_posts(path, _records("permalink"))
    elif case == "line breaks in a column the format does not read":
        _write_posts(path, _records("extra", extra=True), extra="note")
    elif case == "blank lines at the end":
        _write_posts(path, _records(None), end="\n\n")
    elif case == "CRLF line ends":
        _write_posts(path, _records(None), terminator="\r\n")
    else:
        _write_posts(path, _records(None), encoding=encoding)
    numbers, typed = _load_line_numbers(path, tmp_path)
    assert numbers == _csv_line_numbers(path, encoding)
    assert len(numbers) == 300
    assert typed.every_column_counted is every_column
