"""Great Expectations suites from expectations/*.json, run against small pandas DataFrames.

One JSON file per checked table, a GX 1.x suite as `ExpectationSuite(**json)`
reads it. Several checks may share a table: each expectation names its check
in `meta.check`, and `meta.checks` of the suite describes each check. GX runs
in an ephemeral context on pandas (the SQL path through duckdb_engine returns
no rows in GX 1.x), created once per process because importing GX takes seconds;
`bts run` imports it in a validator process of its own while it starts
(start_validator_process), and validate() sends the DataFrames there.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import pandas as pd

from .. import settings

MAX_OFFENDING_ROWS = 5
_MAX_CELL_CHARS = 60


def suite_path(suite: str) -> Path:
    return settings.EXPECTATIONS_DIR / f"{suite}.json"


@functools.cache
def load_suite(suite: str) -> dict[str, Any]:
    """The suite file's JSON, as written (cached: read once per process)."""
    path = suite_path(suite)
    with open(path, encoding="utf-8") as handle:
        try:
            return json.load(handle)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from None


def check_description(suite: str, check: str) -> str:
    """What a check of the suite verifies, from the suite's `meta.checks`."""
    described = load_suite(suite).get("meta", {}).get("checks", {})
    if check not in described:
        raise KeyError(f"{suite_path(suite)} does not describe the check {check!r} in meta.checks")
    return described[check]


def expectations_of(suite: str, check: str) -> list[dict[str, Any]]:
    """The expectations of the suite that belong to one check (`meta.check`)."""
    return [
        expectation
        for expectation in load_suite(suite)["expectations"]
        if expectation.get("meta", {}).get("check") == check
    ]


@functools.cache
def _whole_dataframe_batches():
    """The batch definition every validation goes through: GX context, pandas datasource and asset, made once."""
    # GX would otherwise send usage analytics on the first validation.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # GX draws a "Calculating Metrics" progress bar per validation; the run's output is for people.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("bts_checks").add_dataframe_asset("checked_frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


@dataclasses.dataclass
class FailedExpectation:
    rule: str  # what was expected, in words: `raw_rows = rows_read`
    observed: str  # what was found, with a figure: `raw_rows = 36`
    expected: str  # the figure that was due: `rows_read = 37`
    unexpected_rows: int | None  # how many rows break it; None for a table-level expectation
    offending_index: list[Any]  # DataFrame index labels of the offending rows


@dataclasses.dataclass
class Verdict:
    """The outcome of one check's expectations on one DataFrame."""

    frame: pd.DataFrame
    expectations: list[dict[str, Any]]
    failures: list[FailedExpectation]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def rules(self) -> list[str]:
        return [describe_rule(expectation["type"], expectation.get("kwargs", {})) for expectation in self.expectations]

    def offending_index(self) -> list[Any]:
        """Index labels of the offending rows, in DataFrame order, each once."""
        flagged = {label for failure in self.failures for label in failure.offending_index}
        return [label for label in self.frame.index if label in flagged]


def validate(frame: pd.DataFrame, suite: str, check: str) -> Verdict:
    """Run the check's expectations from the suite file on the DataFrame; a suite error counts as a failure.

    GX runs in the validator process when one was started (start_validator_process), else here.
    """
    expectations = expectations_of(suite, check)
    if not expectations:
        raise KeyError(f"{suite_path(suite)} has no expectation with meta.check = {check!r}")
    checked = frame.reset_index(drop=True)
    definition = {**load_suite(suite), "name": f"{suite}.{check}", "expectations": expectations}
    return Verdict(checked, expectations, _failures_where_ready(checked, definition))


def _failures(checked: pd.DataFrame, definition: dict[str, Any]) -> list[FailedExpectation]:
    """The suite's failed expectations on the frame, by GX, in whichever process runs this."""
    import great_expectations as gx

    batch = _whole_dataframe_batches().get_batch(batch_parameters={"dataframe": checked})
    # A verdict first (GX then skips the metrics that list offending rows: half the time of a
    # complete result), and only when an expectation fails, the complete result that names the rows.
    if batch.validate(gx.ExpectationSuite(**definition), result_format="BOOLEAN_ONLY").success:
        return []
    results = batch.validate(gx.ExpectationSuite(**definition), result_format="COMPLETE")
    return [
        _failure(checked, result.expectation_config.type, dict(result.expectation_config.kwargs), result.result, result.exception_info)
        for result in results.results
        if not result.success
    ]


# --- the validator process -------------------------------------------------------------------

class _Validator:
    """One process of its own that imports GX, then validates what it is sent, one request at a time."""

    def __init__(self) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._connection, theirs = spawn.Pipe()
        self._lock = threading.Lock()  # one request, one answer: never two callers between them
        self.process = spawn.Process(target=_serve, args=(theirs,), name="bts-validator", daemon=True)
        self.process.start()
        theirs.close()  # the process holds its end alone: its death is an end of file here

    def failures(self, checked: pd.DataFrame, definition: dict[str, Any]) -> list[FailedExpectation]:
        """What _failures gives there; ValidatorGone when the process is no longer there to answer."""
        with self._lock:
            try:
                self._connection.send((checked, definition))
                answer = self._connection.recv()
            except (EOFError, OSError) as gone:
                raise ValidatorGone from gone
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def stop(self) -> None:
        """End the process now, even while it still imports GX: it holds nothing worth waiting for."""
        self.process.terminate()
        self.process.join()
        self._connection.close()


class ValidatorGone(Exception):
    """The validator process ended (killed, out of memory) before it answered."""


_validator: _Validator | None = None
PARENT_POLL_SECONDS = 0.5


def start_validator_process() -> None:
    """Import Great Expectations now, in a process of its own, while this one goes on starting.

    Importing GX and making its context take about 2.7 s of one core, which
    every `bts run` paid at its first check (benchmarks/README.md). `bts run`
    calls this before it imports Dagster, dbt and the definitions (about 3.7
    s), so on a machine of two cores or more the import runs beside them and
    the first check finds GX ready. validate() then sends each DataFrame
    (small: one row per file, account or period) and its suite there. Where
    no validator was started (the Dagster UI's runs, tests), GX runs in the
    calling process, as before; if the validator dies, validate() says so in
    the log and goes on the same way.
    """
    global _validator
    if _validator is not None or "great_expectations" in sys.modules:  # already here: nothing to hide
        return
    _validator = _Validator()


def stop_validator_process() -> None:
    """End the validator process at once; validate() then runs GX in this process.

    A `bts run` that fails while the validator still imports GX shows its
    error without waiting for that import.
    """
    global _validator
    validator, _validator = _validator, None
    if validator is not None:
        validator.stop()


def _serve(connection: Any) -> None:
    # The terminal's Ctrl-C is for `bts`, which stops this process when it exits; and nothing GX might
    # print belongs on the terminal (`bts` keeps its own standard output in the run's log).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True, name="bts-validator-parent").start()
    _keep_progress_bars_to_this_process()
    _whole_dataframe_batches()
    while True:
        try:
            checked, definition = connection.recv()
        except EOFError:  # `bts` closed its end: nothing more will come
            return
        try:
            answer: Any = _failures(checked, definition)
        except Exception as error:  # noqa: BLE001 - raised again in `bts`, where the check runs
            error.add_note("in the validator process:\n" + "".join(traceback.format_exception(error)))
            answer = error
        try:
            connection.send(answer)
        except Exception as unsendable:  # noqa: BLE001 - an answer that cannot be pickled: its text goes instead
            # An error's text and its note (which holds its traceback already), else the answer itself
            text = "".join(traceback.format_exception_only(answer)) if isinstance(answer, BaseException) else repr(answer)[:2000]
            connection.send(RuntimeError(f"the validator process could not send its answer back ({unsendable}):\n{text}"))


def _keep_progress_bars_to_this_process() -> None:
    """Give tqdm a thread lock before GX draws its first (hidden) progress bar.

    tqdm's default lock is a multiprocessing lock, a named semaphore registered
    with the resource tracker this process shares with `bts`. `bts` ends this
    process with SIGTERM (stop_validator_process), which runs no finalizer: the
    tracker then unlinks the semaphore itself and warns of a "leaked semaphore"
    on `bts`'s standard error, at the end of every run. One thread validates
    here, with progress bars off: a thread lock is all tqdm needs. (Exiting
    through Python on SIGTERM instead would also unregister the semaphore, but
    the interpreter's teardown with pandas and GX loaded takes 0.4-0.7 s that
    every run would wait for.)
    """
    from tqdm import tqdm  # GX's own dependency, the one that makes the lock

    tqdm.set_lock(threading.RLock())


def _end_with_parent(parent: int) -> None:
    """A `bts` killed outright (SIGKILL, out of memory) cannot stop its validator: it ends itself."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(0)


def _failures_where_ready(checked: pd.DataFrame, definition: dict[str, Any]) -> list[FailedExpectation]:
    if _validator is not None:
        try:
            return _validator.failures(checked, definition)
        except ValidatorGone:
            logging.getLogger(__name__).warning("the Great Expectations validator process ended; validating in this process")
            stop_validator_process()
    return _failures(checked, definition)


# --- words and figures for people ------------------------------------------------------------


def describe_rule(expectation_type: str, kwargs: dict[str, Any]) -> str:
    """An expectation in a few words: `raw_rows = rows_read`, `posts >= 0`, `one row per (quarter, panel)`."""
    column = kwargs.get("column")
    if expectation_type == "expect_column_pair_values_to_be_equal":
        return f"{kwargs['column_A']} = {kwargs['column_B']}"
    if expectation_type == "expect_column_values_to_be_between":
        return f"{column} {_range_words(kwargs.get('min_value'), kwargs.get('max_value'))}"
    if expectation_type == "expect_column_values_to_not_be_null":
        return f"{column} is not empty"
    if expectation_type in ("expect_compound_columns_to_be_unique", "expect_select_column_values_to_be_unique_within_record"):
        return f"one row per ({', '.join(kwargs['column_list'])})"
    if expectation_type == "expect_column_values_to_be_unique":
        return f"{column} unique"
    if expectation_type == "expect_table_row_count_to_equal":
        return count_of_rows(kwargs["value"])
    if expectation_type == "expect_column_values_to_be_in_type_list":
        return f"{column} of type {' or '.join(kwargs['type_list'])}"
    if expectation_type == "expect_column_values_to_be_in_set":
        return f"{column} in {sorted(kwargs['value_set'])}"
    if expectation_type == "expect_column_values_to_match_regex":
        return f"{column} matching {kwargs['regex']}"
    if expectation_type == "expect_column_to_exist":
        return f"a column {column}"
    shown = ", ".join(f"{key}={value}" for key, value in kwargs.items() if key != "batch_id")
    return f"{expectation_type}({shown})"


def count_of_rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _range_words(low: Any, high: Any) -> str:
    # GX hands back the bounds as floats (1.0) even when the suite says 1
    low, high = (int(bound) if isinstance(bound, float) and bound.is_integer() else bound for bound in (low, high))
    if low is not None and low == high:
        return f"= {low}"
    if high is None:
        return f">= {low}"
    if low is None:
        return f"<= {high}"
    return f"between {low} and {high}"


def _failure(
    frame: pd.DataFrame, expectation_type: str, kwargs: dict[str, Any], result: dict[str, Any], exception_info: Any
) -> FailedExpectation:
    rule = describe_rule(expectation_type, kwargs)
    error = _exception_message(exception_info)
    if error:
        return FailedExpectation(rule, f"the expectation could not run: {error}", rule, None, [])
    index = [label for label in result.get("unexpected_index_list") or [] if not isinstance(label, dict)]
    if "unexpected_count" not in result:
        # a table-level expectation: the frame's rows are what it is about
        observed = result.get("observed_value")
        shown = count_of_rows(observed) if expectation_type.startswith("expect_table_row_count") else f"{observed}"
        return FailedExpectation(rule, shown, rule, None, list(frame.index[:MAX_OFFENDING_ROWS]))
    count = int(result.get("unexpected_count") or 0)
    first = frame.loc[index[0]] if index else None
    observed, expected = rule, rule
    if expectation_type == "expect_column_pair_values_to_be_equal" and first is not None:
        observed = f"{kwargs['column_A']} = {_cell(first[kwargs['column_A']])}"
        expected = f"{kwargs['column_B']} = {_cell(first[kwargs['column_B']])}"
    elif "column" in kwargs and first is not None:
        observed = f"{kwargs['column']} = {_cell(first[kwargs['column']])}"
    elif "column_list" in kwargs:
        observed = f"{count} rows share their ({', '.join(kwargs['column_list'])})"
    return FailedExpectation(rule, observed, expected, count, index)


def _exception_message(exception_info: Any) -> str | None:
    """GX reports an expectation that raised (a misspelt column, say) as unsuccessful with exception_info."""
    infos = exception_info.values() if isinstance(exception_info, dict) and "raised_exception" not in exception_info else [exception_info]
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message") or "unknown error").splitlines()[0]
        if getattr(info, "raised_exception", False):
            return str(getattr(info, "exception_message", "unknown error")).splitlines()[0]
    return None


def _cell(value: Any) -> str:
    """A value as a person reads it in a table cell: no `nan`, no `<NA>`, short floats, short texts."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, pd.Timestamp):
        # DuckDB DATE columns arrive as midnight timestamps
        return value.date().isoformat() if value.tzinfo is None and value == value.normalize() else value.isoformat()
    text = str(value).replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= _MAX_CELL_CHARS else text[: _MAX_CELL_CHARS - 1] + "…"


def markdown_table(frame: pd.DataFrame, columns: list[str]) -> str:
    """A Markdown table of the frame's rows and the given columns; `none` when there is no row."""
    if frame.empty:
        return "none"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_cell(row[column]) for column in columns) + " |")
    return "\n".join(lines)


def row_words(row: pd.Series, columns: tuple[str, ...]) -> str:
    """A row named by some of its columns: `quarter 2023-Q4, panel x_pharma_fr`."""
    return ", ".join(f"{column} {_cell(row[column])}" for column in columns)
