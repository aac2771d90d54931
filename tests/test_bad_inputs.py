"""The bad-input corpus (tests/data/bad/cases.toml): each file rejected whole, or loaded as its case says.

Whatever a user drops into the landing directory, the run names each file it
cannot read completely (with the line and column where there is one), loads
nothing of it, loads every other file, and never replaces the published
analytics.duckdb with something built from a failed run.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path

import pytest

from dagster_project.ingestion import files as landing_files
from dagster_project.ingestion import loader
from pipeline_runs import clean_run, copy_warehouse, file_identity, run, write_landing
from test_ingestion import CANONICAL_HEADER, Landing

CORPUS = Path(__file__).resolve().parent / "data" / "bad"
CASES = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))["case"]
RAW_TABLES = ("posts", "follower_snapshots", "accounts")
GOOD_BEFORE = ("aa_good_before.csv", "good-before")
GOOD_AFTER = ("zz_good_after.csv", "good-after")


def landing_path(case: dict) -> str:
    return case.get("placed_as", case["file"])


# --- cases written at run time ----------------------------------------------------------------


def ten_megabyte_text_field(landing: Landing, case: dict, outside: Path, monkeypatch) -> None:
    pattern = 'Un texte très long, avec "guillemets", points-virgules; et\nsauts de ligne. '
    text = (pattern * (10 * 2**20 // len(pattern) + 1))[: 10 * 2**20]
    quoted = '"' + text.replace('"', '""') + '"'
    landing.write(case["file"], CANONICAL_HEADER + f"x,sanofi,long-1,2023-05-01 12:00,post,{quoted},7,0,0,0,,\n")


def symbolic_link_to_a_file_outside(landing: Landing, case: dict, outside: Path, monkeypatch) -> None:
    secret = outside / "secret.csv"
    secret.write_text(CANONICAL_HEADER + "x,sanofi,outside-1,2023-05-01 12:00,post,secret,1,0,0,0,,\n")
    (landing.dir / case["file"]).symlink_to(secret)


def symbolic_link_to_a_folder_outside(landing: Landing, case: dict, outside: Path, monkeypatch) -> None:
    folder = outside / "folder"
    folder.mkdir()
    (folder / "inside.csv").write_text(CANONICAL_HEADER + "x,sanofi,outside-2,2023-05-01 12:00,post,secret,1,0,0,0,,\n")
    (landing.dir / case["file"]).symlink_to(folder, target_is_directory=True)


def named_pipe(landing: Landing, case: dict, outside: Path, monkeypatch) -> None:
    os.mkfifo(landing.dir / case["file"])


def growing_file(landing: Landing, case: dict, outside: Path, monkeypatch) -> None:
    """The file gets one more row after its bytes were hashed, before the load commits (an export still being written)."""
    path = landing.write(case["file"], CANONICAL_HEADER + "x,sanofi,grow-1,2023-05-01 12:00,post,t,1,0,0,0,,\n")
    inspect = landing_files.inspect_file

    def inspect_then_grow(entry):
        inspection = inspect(entry)
        if entry.absolute_path == path:
            with path.open("a") as handle:
                handle.write("x,sanofi,grow-2,2023-05-01 12:00,post,t,1,0,0,0,,\n")
        return inspection

    monkeypatch.setattr(landing_files, "inspect_file", inspect_then_grow)


GENERATORS = {
    function.__name__: function
    for function in (ten_megabyte_text_field, symbolic_link_to_a_file_outside, symbolic_link_to_a_folder_outside, named_pipe, growing_file)
}


def place(case: dict, landing: Landing, outside: Path, monkeypatch) -> None:
    for companion in case.get("with", []):
        source = CORPUS / companion
        if not source.exists():  # a copy of the case under another name or folder
            source = CORPUS / case["file"]
        landing.write(companion, source.read_bytes())
    if "generate" in case:
        GENERATORS[case["generate"]](landing, case, outside, monkeypatch)
    else:
        landing.write(landing_path(case), (CORPUS / case["file"]).read_bytes())


def good_landing(tmp_path: Path) -> Landing:
    landing = Landing(tmp_path)
    for name, post_id in (GOOD_BEFORE, GOOD_AFTER):
        landing.write(name, CANONICAL_HEADER + f"x,sanofi,{post_id},2023-05-01 12:00,post,ok,1,0,0,0,,\n")
    return landing


def rows_of(landing: Landing, path: str) -> int:
    return sum(landing.query(f"select count(*) from raw.{table} where file_path = ?", [path])[0][0] for table in RAW_TABLES)


# --- the corpus ---------------------------------------------------------------------------------


def test_every_file_of_the_corpus_has_its_case():
    committed = {path.relative_to(CORPUS).as_posix() for path in CORPUS.rglob("*") if path.is_file()} - {"cases.toml"}
    described = {case["file"] for case in CASES if "generate" not in case}
    companions = {name for case in CASES for name in case.get("with", []) if (CORPUS / name).exists()}
    assert committed == described | companions
    assert len({case["file"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["file"] for case in CASES])
def test_each_bad_input_is_rejected_whole_or_loaded_as_its_case_says(case, tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    outside.mkdir()
    landing = good_landing(tmp_path)
    place(case, landing, outside, monkeypatch)
    path = landing_path(case)

    report = landing.sync()

    outcomes = {outcome.path: outcome for outcome in report.outcomes}
    assert landing.query("select post_id from raw.posts where file_path in (?, ?) order by 1", [GOOD_BEFORE[0], GOOD_AFTER[0]]) == [
        (GOOD_AFTER[1],), (GOOD_BEFORE[1],)
    ], "the other files load whatever this one holds"
    for companion in case.get("with", []):
        assert outcomes[companion].status in ("loaded", "unchanged")

    if case["outcome"] == "rejected":
        assert [error.path for error in report.rejections] == [path]
        error = report.rejections[0]
        assert (error.line, error.column) == (case.get("line"), case.get("column"))
        for fragment in case["message"]:
            assert fragment in error.message
        where = path + (f", line {case['line']}" if "line" in case else "") + (f", column {case['column']!r}" if "column" in case else "")
        assert error.describe().startswith(where + ": ")
        assert outcomes[path].status == "rejected"
        assert rows_of(landing, path) == 0, "nothing of a rejected file is loaded"
        assert landing.query("select count(*) from raw.landing_files where first_path = ?", [path]) == [(0,)]
        assert landing.query("select line_number, column_name from raw.landing_rejections where path = ?", [path]) == [
            (case.get("line"), case.get("column"))
        ]
    elif case["outcome"] == "loaded":
        assert [error.describe() for error in report.rejections] == []
        assert (outcomes[path].status, outcomes[path].rows) == ("loaded", case["rows"])
        table = case.get("table", "posts")
        # Copies of the file's bytes (companions not in the corpus): rows are named by the path that sorts last.
        named = max([path, *(name for name in case.get("with", []) if not (CORPUS / name).exists())])
        assert landing.query(f"select count(*) from raw.{table} where file_path = ?", [named]) == [(case["rows"],)]
        if "check" in case:
            assert landing.query(case["check"], [path]) == [tuple(row) for row in case["expect"]]
    else:
        assert [error.describe() for error in report.rejections] == []
        assert path not in outcomes
        assert any(note.startswith(case["note"]) for note in report.notes), report.notes
        assert landing.query("select count(*) from raw.posts where post_id like 'outside-%' or post_id like 'txt%'") == [(0,)]


def test_the_same_file_under_other_names_and_folders_is_loaded_once(tmp_path):
    landing = good_landing(tmp_path)
    content = (CORPUS / "same_bytes.csv").read_bytes()
    names = ("a copy.csv", "same_bytes.csv", "zz copies/of the same/bytes again.csv")
    for name in names:
        landing.write(name, content)
    report = landing.sync()
    statuses = {outcome.path: outcome.status for outcome in report.outcomes}
    hashes = {outcome.path: outcome.file_hash for outcome in report.outcomes}
    assert [statuses[name] for name in names] == ["loaded", "unchanged", "unchanged"]
    assert landing.query("select count(*), count(distinct file_hash) from raw.posts where post_id like 'same%'") == [(1, 1)]
    assert landing.query("select count(*) from raw.landing_files where first_path = 'zz copies/of the same/bytes again.csv'") == [(1,)]
    assert landing.query("select path from raw.landing_paths where loaded_hash = ? order by 1", [hashes["a copy.csv"]]) == [
        (name,) for name in names
    ]


def test_a_file_growing_during_the_run_loads_whole_at_the_next_run(tmp_path, monkeypatch):
    case = next(case for case in CASES if case.get("generate") == "growing_file")
    landing = good_landing(tmp_path)
    place(case, landing, tmp_path, monkeypatch)
    assert [error.path for error in landing.sync().rejections] == [case["file"]]
    monkeypatch.undo()
    report = landing.sync()
    assert not report.rejections
    assert landing.query("select post_id from raw.posts where file_path = ? order by 1", [case["file"]]) == [("grow-1",), ("grow-2",)]


def test_a_file_grown_after_duckdb_read_it_is_rejected_not_half_loaded(tmp_path, monkeypatch):
    landing = good_landing(tmp_path)
    path = landing.write("late.csv", CANONICAL_HEADER + "x,sanofi,late-1,2023-05-01 12:00,post,t,1,0,0,0,,\n")
    create = loader._TypedFile.create

    def read_then_grow(typed, readable, every_column=False):
        create(typed, readable, every_column)
        if typed.entry.relative_path == "late.csv":
            with path.open("a") as handle:
                handle.write("x,sanofi,late-2,2023-05-01 12:00,post,t,1,0,0,0,,\n")

    monkeypatch.setattr(loader._TypedFile, "create", read_then_grow)
    report = landing.sync()
    assert [(error.path, error.message) for error in report.rejections] == [
        ("late.csv", "the file changed while it was being read; it will be read again at the next run")
    ]
    assert rows_of(landing, "late.csv") == 0


def test_a_file_deleted_between_the_scan_and_its_reading_is_named_and_the_others_load(tmp_path, monkeypatch):
    landing = good_landing(tmp_path)
    landing.write("vanishing.csv", CANONICAL_HEADER + "x,sanofi,gone-1,2023-05-01 12:00,post,t,1,0,0,0,,\n")
    scan = landing_files.scan_landing

    def scan_then_delete(landing_dir):
        result = scan(landing_dir)
        (landing_dir / "vanishing.csv").unlink()
        return result

    monkeypatch.setattr(landing_files, "scan_landing", scan_then_delete)
    report = landing.sync()
    assert [(error.path, error.message.split(":")[0]) for error in report.rejections] == [
        ("vanishing.csv", "could not be read (FileNotFoundError")
    ]
    assert rows_of(landing, GOOD_BEFORE[0]) == rows_of(landing, GOOD_AFTER[0]) == 1


def test_the_whole_corpus_at_once_rejects_each_bad_file_and_loads_every_other(tmp_path, monkeypatch):
    landing = good_landing(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    cases = [case for case in CASES if "placed_as" not in case]
    for case in cases:
        place(case, landing, outside, monkeypatch)
    report = landing.sync()
    rejected = {error.path: (error.line, error.column) for error in report.rejections}
    assert rejected == {case["file"]: (case.get("line"), case.get("column")) for case in cases if case["outcome"] == "rejected"}
    loaded = {outcome.path: outcome.rows for outcome in report.outcomes if outcome.status == "loaded"}
    for case in cases:
        if case["outcome"] == "loaded" and case["file"] != "same_bytes.csv":
            assert loaded[case["file"]] == case["rows"], case["file"]
    assert {note.split(":")[0] for note in report.notes} == {case["file"] for case in cases if case["outcome"] == "ignored"}


@pytest.mark.slow
def test_a_run_over_the_corpus_names_every_rejected_file_and_leaves_the_published_database_unchanged(tmp_path_factory):
    published, _marts = clean_run(tmp_path_factory)
    warehouse = copy_warehouse(published, tmp_path_factory.mktemp("corpus-warehouse"))
    before = file_identity(warehouse / "analytics.duckdb")
    landing = write_landing(tmp_path_factory.mktemp("corpus-landing"))
    cases = [case for case in CASES if "placed_as" not in case and "generate" not in case]
    for name in {case["file"] for case in cases} | {name for case in cases for name in case.get("with", [])}:
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / (name if (CORPUS / name).exists() else "same_bytes.csv"), landing / name)
    (landing / "link_to_a_file_outside.csv").symlink_to(CORPUS / "same_bytes.csv")

    completed = run(landing, warehouse)

    assert completed.returncode == 1, completed.stderr[-4000:]
    for case in cases:
        if case["outcome"] == "rejected":
            where = case["file"] + (f", line {case['line']}" if "line" in case else "")
            assert f"rejected {where}" in completed.stderr or f"{where}:" in completed.stderr, case["file"]
    assert "link_to_a_file_outside.csv: symbolic link, not followed" in completed.stderr
    assert file_identity(warehouse / "analytics.duckdb") == before
