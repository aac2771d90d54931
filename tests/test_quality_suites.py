"""The expectation suites as files, and how a GX verdict becomes an asset check result people can read."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from dagster_project import settings
from dagster_project.quality import checks, suites

SUITE_FILES = sorted(settings.EXPECTATIONS_DIR.glob("*.json"))
CHECKS_BY_SUITE: dict[str, set[str]] = {}
for _check in checks.ALL_CHECKS:
    CHECKS_BY_SUITE.setdefault(_check.suite, set()).add(_check.name)


def _table_of(suite_name: str) -> str:
    if suite_name.startswith("raw_"):
        return "raw." + suite_name.removeprefix("raw_")
    return ("staging." if suite_name.startswith("stg_") else "marts.") + suite_name


@pytest.mark.parametrize("path", SUITE_FILES, ids=[path.stem for path in SUITE_FILES])
def test_every_suite_file_is_a_gx_expectation_suite_named_for_its_table(path):
    import great_expectations as gx

    definition = json.loads(path.read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(**definition)
    assert suite.name == path.stem
    assert definition["meta"]["table"] == _table_of(path.stem)
    assert len(suite.expectations) == len(definition["expectations"])


@pytest.mark.parametrize("path", SUITE_FILES, ids=[path.stem for path in SUITE_FILES])
def test_every_expectation_belongs_to_a_check_that_runs_and_is_described(path):
    definition = json.loads(path.read_text(encoding="utf-8"))
    named = {expectation["meta"]["check"] for expectation in definition["expectations"]}
    assert named == CHECKS_BY_SUITE[path.stem]
    assert set(definition["meta"]["checks"]) == CHECKS_BY_SUITE[path.stem]


def test_every_check_has_a_suite_file():
    assert {path.stem for path in SUITE_FILES} == set(CHECKS_BY_SUITE)


def test_check_names_are_unique_per_asset():
    keys = [(check.asset_key, check.name) for check in checks.ALL_CHECKS]
    assert len(keys) == len(set(keys))


def test_warnings_are_the_three_the_issue_names_and_everything_else_blocks():
    warnings = {(check.asset_key.to_user_string(), check.name) for check in checks.ALL_CHECKS if not check.blocking}
    assert warnings == {
        ("raw/posts", "landing_files_hold_run_posts"),
        ("marts/fct_account_quarter", "members_have_follower_snapshot"),
        ("marts/fct_account_quarter", "members_posted"),
    }
    assert all(check.spec().blocking == check.blocking for check in checks.ALL_CHECKS)


def test_landing_checks_guard_only_raw_tables_so_they_run_before_dbt():
    assert {check.asset_key.path[0] for check in checks.LANDING_CHECKS} == {"raw"}
    assert {check.asset_key.path[0] for check in checks.WAREHOUSE_CHECKS} == {"staging", "marts"}


def test_the_definitions_load_with_both_check_ops():
    from dagster_project.definitions import defs

    job = defs.resolve_job_def("quarterly_pipeline")
    assert {"landing_data_checks", "warehouse_data_checks"} <= {node.name for node in job.graph.nodes}


# --- a verdict in words ----------------------------------------------------------------------

RECONCILED = checks.QualityCheck(
    "landing_rows_loaded", "raw_posts", dg.AssetKey(["raw", "posts"]), checks.Frame("test", lambda conn, periods: None), ("file_path",)
)


def test_a_reconciliation_that_holds_shows_the_totals_it_agreed_on():
    frame = pd.DataFrame({"file_path": ["a.csv", "b.csv"], "rows_read": [3, 4], "raw_rows": [3, 4]})
    result = checks.check_result(RECONCILED, suites.validate(frame, "raw_posts", "landing_rows_loaded"))
    assert result.passed
    assert result.metadata["observed"].value == "Σ raw_rows = 7"
    assert result.metadata["expected"].value == "Σ rows_read = 7"


def test_a_broken_reconciliation_names_the_row_its_figures_and_lists_the_offending_rows():
    frame = pd.DataFrame({"file_path": ["a.csv", "b.csv", "c.csv"], "format": ["x"] * 3, "rows_read": [3, 4, 5], "raw_rows": [3, 2, 5]})
    result = checks.check_result(RECONCILED, suites.validate(frame, "raw_posts", "landing_rows_loaded"))
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["observed"].value == "raw_rows = 2"
    assert result.metadata["expected"].value == "rows_read = 4"
    assert result.description == "raw_rows = rows_read broken in 1 of 3 rows; first: file_path b.csv"
    table = result.metadata["offending_rows"].value
    assert table.splitlines() == ["| file_path | raw_rows | rows_read |", "|---|---|---|", "| b.csv | 2 | 4 |"]


def test_offending_rows_stop_at_five_and_say_how_many_there_were():
    frame = pd.DataFrame({"file_path": [f"{n}.csv" for n in range(8)], "rows_read": [1] * 8, "raw_rows": [0] * 8})
    result = checks.check_result(RECONCILED, suites.validate(frame, "raw_posts", "landing_rows_loaded"))
    assert len(result.metadata["offending_rows"].value.splitlines()) == 2 + 5
    assert result.metadata["offending_rows_total"].value == 8


def test_a_misspelt_column_in_a_suite_fails_the_check_with_the_reason(monkeypatch):
    broken = {
        "name": "raw_posts",
        "meta": {"checks": {"landing_rows_loaded": "test"}},
        "expectations": [
            {"type": "expect_column_pair_values_to_be_equal", "kwargs": {"column_A": "raw_rowz", "column_B": "rows_read"}, "meta": {"check": "landing_rows_loaded"}}
        ],
    }
    monkeypatch.setattr(suites, "load_suite", lambda suite: broken)
    frame = pd.DataFrame({"file_path": ["a.csv"], "rows_read": [3], "raw_rows": [3]})
    verdict = suites.validate(frame, "raw_posts", "landing_rows_loaded")
    assert not verdict.passed
    assert "raw_rowz" in verdict.failures[0].observed


# --- the validator process (`bts run` imports GX there while it starts) ------------------------

_IN_A_FRESH_PROCESS = """
import json, os, signal, sys
import pandas as pd
from dagster_project.quality import suites

suites.start_validator_process()
frame = pd.DataFrame({"file_path": ["a.csv", "b.csv", "c.csv"], "rows_read": [3, 4, 5], "raw_rows": [3, 2, 5]})
verdicts = [suites.validate(frame, "raw_posts", "landing_rows_loaded")]
validator_pid = suites._validator.process.pid
if sys.argv[1] == "kill":
    os.kill(validator_pid, signal.SIGKILL)
    verdicts.append(suites.validate(frame, "raw_posts", "landing_rows_loaded"))
suites.stop_validator_process()
print(json.dumps({
    "failures": [[failure.observed, failure.expected, failure.unexpected_rows, failure.offending_index] for verdict in verdicts for failure in verdict.failures],
    "gx_imported_here": "great_expectations" in sys.modules,
    "validator_pid": validator_pid,
    "own_pid": os.getpid(),
    "validator_left": suites._validator is not None,
}))
"""


@functools.cache
def _validate_in_a_fresh_process(mode: str) -> tuple[dict, str]:
    completed = subprocess.run([sys.executable, "-c", _IN_A_FRESH_PROCESS, mode], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(completed.stdout.splitlines()[-1]), completed.stderr


def _failures_here(frame: pd.DataFrame) -> list[list]:
    verdict = suites.validate(frame, "raw_posts", "landing_rows_loaded")
    return [[failure.observed, failure.expected, failure.unexpected_rows, failure.offending_index] for failure in verdict.failures]


def test_the_validator_process_gives_the_verdict_gx_gives_here_without_importing_gx_here():
    outcome, _stderr = _validate_in_a_fresh_process("keep")
    frame = pd.DataFrame({"file_path": ["a.csv", "b.csv", "c.csv"], "rows_read": [3, 4, 5], "raw_rows": [3, 2, 5]})
    assert outcome["failures"] == _failures_here(frame) == [["raw_rows = 2", "rows_read = 4", 1, [1]]]
    assert outcome["validator_pid"] != outcome["own_pid"]
    assert not outcome["gx_imported_here"]  # the whole point: the calling process never paid GX's import
    assert not outcome["validator_left"]


@pytest.mark.parametrize("mode", ["keep", "kill"])
def test_a_run_with_a_validator_process_ends_without_a_leaked_semaphore_warning(mode):
    # GX's progress bars (tqdm) make a multiprocessing lock at the first validation; a validator
    # ended by SIGTERM cannot unregister it, and the resource tracker then warned on every `bts
    # run`'s standard error: "There appear to be 1 leaked semaphore objects to clean up at shutdown"
    _outcome, stderr = _validate_in_a_fresh_process(mode)
    assert "resource_tracker" not in stderr and "leaked" not in stderr, stderr


def test_when_the_validator_process_dies_the_check_still_runs_here_and_says_so():
    outcome, stderr = _validate_in_a_fresh_process("kill")
    expected = [["raw_rows = 2", "rows_read = 4", 1, [1]]]
    assert outcome["failures"] == expected * 2  # the same verdict before and after the validator was killed
    assert outcome["gx_imported_here"]
    assert "validator process ended" in stderr


def _running(pid: int) -> bool:
    """Whether the process runs: not gone, nor ended with only its exit status left for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_validator_process_ends_when_its_parent_is_killed_outright():
    parent = subprocess.Popen(
        [sys.executable, "-c", "import os, sys, time\nfrom dagster_project.quality import suites\n"
         "suites.start_validator_process()\n"
         "suites.validate(suites.pd.DataFrame({'file_path': ['a.csv'], 'rows_read': [3], 'raw_rows': [3]}), 'raw_posts', 'landing_rows_loaded')\n"
         "print(suites._validator.process.pid, flush=True)\ntime.sleep(600)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        validator = int(parent.stdout.readline())
        assert _running(validator)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 30
    while _running(validator) and time.monotonic() < deadline:
        time.sleep(0.2)
    outlived = _running(validator)
    if outlived:
        os.kill(validator, signal.SIGKILL)  # not left behind by a failing test
    assert not outlived, f"validator {validator} outlived its parent"


def test_stopping_the_validator_ends_it_at_once_even_while_it_imports_gx():
    # A `bts run` that fails at its start (say, while importing the definitions) stops the validator
    # seconds before GX would be imported there: the stop ends the process, it does not wait for it.
    completed = subprocess.run(
        [sys.executable, "-c", "import json, sys\nfrom dagster_project.quality import suites\n"
         "suites.start_validator_process()\nvalidator = suites._validator.process\nsuites.stop_validator_process()\n"
         "print(json.dumps([validator.is_alive(), validator.exitcode, suites._validator is None]))"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert json.loads(completed.stdout.splitlines()[-1]) == [False, -signal.SIGTERM, True]


def test_an_error_in_the_validator_process_is_raised_in_the_caller():
    completed = subprocess.run(
        [sys.executable, "-c", "import pandas as pd\nfrom dagster_project.quality import suites\n"
         "suites.start_validator_process()\n"
         "try:\n    suites._validator.failures(pd.DataFrame({'n': [1]}), {'name': 'x', 'expectations': [{'type': 'no_such_expectation'}]})\n"
         "except Exception as error:\n    print(type(error).__name__, '|', 'in the validator process' in ''.join(getattr(error, '__notes__', [])))\n"
         "finally:\n    suites.stop_validator_process()"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert completed.stdout.split("|")[1].strip() == "True", completed.stdout + completed.stderr


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("this error cannot be pickled")


def _serve_with_failing_checks(connection) -> None:
    """The validator's loop, in a spawned process, with checks that raise an error pickle refuses."""

    def failing(checked, definition):
        raise _Unpicklable("the check broke")

    suites._failures = failing
    suites._serve(connection)


def test_an_error_that_cannot_be_pickled_reaches_the_caller_as_text():
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    process = spawn.Process(target=_serve_with_failing_checks, args=(theirs,), daemon=True)
    process.start()
    theirs.close()
    try:
        ours.send((pd.DataFrame({"n": [1]}), {"name": "x", "expectations": []}))
        assert ours.poll(120), "the validator loop did not answer"
        answer = ours.recv()
    finally:
        process.terminate()
        process.join()
    assert isinstance(answer, RuntimeError)
    assert "could not send its answer back" in str(answer)
    assert "the check broke" in str(answer)


def test_no_validator_process_where_gx_is_already_imported():
    import great_expectations  # noqa: F401 - imported here, as in this test session

    suites.start_validator_process()
    try:
        assert suites._validator is None
    finally:
        suites.stop_validator_process()


@pytest.mark.parametrize(
    "expectation_type, kwargs, words",
    [
        ("expect_column_values_to_be_between", {"column": "posts", "min_value": 0}, "posts >= 0"),
        ("expect_column_values_to_be_between", {"column": "top_posts", "min_value": 1, "max_value": 10}, "top_posts between 1 and 10"),
        ("expect_column_values_to_be_between", {"column": "null_keys", "min_value": 0, "max_value": 0}, "null_keys = 0"),
        ("expect_column_values_to_be_between", {"column": "top_posts", "min_value": 1.0, "max_value": 10.0}, "top_posts between 1 and 10"),
        ("expect_compound_columns_to_be_unique", {"column_list": ["quarter", "panel"]}, "one row per (quarter, panel)"),
        ("expect_table_row_count_to_equal", {"value": 0}, "0 rows"),
        ("expect_table_row_count_to_equal", {"value": 1}, "1 row"),
        ("expect_column_values_to_not_be_null", {"column": "accounts_csv_line"}, "accounts_csv_line is not empty"),
    ],
)
def test_an_expectation_reads_as_a_few_words(expectation_type, kwargs, words):
    assert suites.describe_rule(expectation_type, kwargs) == words


def test_table_cells_hide_missing_values_and_shorten_long_texts():
    frame = pd.DataFrame({"a": [None, 1.23456789], "b": ["x" * 100, "p|q"]})
    lines = suites.markdown_table(frame, ["a", "b"]).splitlines()
    assert lines[2] == "|  | " + "x" * 59 + "… |"
    assert lines[3] == "| 1.23457 | p\\|q |"


def test_a_suite_file_that_is_not_json_is_named_in_the_error(tmp_path, monkeypatch):
    (tmp_path / "raw_posts.json").write_text('{"name": "raw_posts",', encoding="utf-8")
    monkeypatch.setattr(settings, "EXPECTATIONS_DIR", tmp_path)
    suites.load_suite.cache_clear()
    try:
        with pytest.raises(ValueError, match="raw_posts.json is not valid JSON"):
            suites.load_suite("raw_posts")
    finally:
        suites.load_suite.cache_clear()
