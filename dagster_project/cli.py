"""`bts`: run the Dagster definitions in-process for the quarters asked (MARTS.md, "Command line")."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import logging
import os
import re
import sys
import threading
import time
import warnings
from pathlib import Path

from . import settings
from .quarters import Quarter, quarter_range

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 128 + 2  # the shell's status for a command ended by SIGINT
# Tags each run with its warehouse, so that the next run there can tell an interrupted one.
RUN_WAREHOUSE_TAG = "bts/warehouse"


def _say(message: str) -> None:
    print(f"[bts] {message}", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bts",
        description="Quarterly social-media benchmark: ingest the landing exports, build the marts, "
        "check them, publish analytics.duckdb and write the reports.",
        epilog="Environment: BTS_LANDING_DIR, BTS_WAREHOUSE_DIR, BTS_TIMEZONE, BTS_FIRST_QUARTER, "
        "BTS_LANGUAGE, DAGSTER_HOME (runs then show in the Dagster UI).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="ingest, transform, check, publish and report quarters",
        description="Run the whole pipeline for the quarters asked, as one Dagster run per contiguous range. "
        "Exit status 0 when everything succeeded; 1 with the rejected files and failed checks named otherwise.",
    )
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--quarter", action="append", metavar="YYYY-Qn", help="a quarter to run (repeatable)")
    which.add_argument("--from", dest="first", metavar="YYYY-Qn", help="first quarter of a range (with --to)")
    which.add_argument("--all", action="store_true", help="every complete quarter from the first to the last post in the landing directory; the marts keep no other period")
    run.add_argument("--to", dest="last", metavar="YYYY-Qn", help="last quarter of a range (with --from)")

    generate = commands.add_parser(
        "generate",
        help="write a synthetic landing directory (the demo data, or N posts for benchmarks)",
        description="Write a deterministic synthetic landing directory.",
    )
    generate.add_argument("--out", required=True, type=Path, help="the directory to write (created; must be empty)")
    generate.add_argument("--demo", action="store_true", help="the bundled demo panels of DEMO.md (2022-Q1 to 2023-Q4)")
    generate.add_argument("--posts", type=int, help="number of posts (scale data)")
    generate.add_argument("--accounts", type=int, default=300, help="number of accounts (scale data; default 300)")
    generate.add_argument("--seed", type=int, help="random seed (the same seed gives the same bytes)")

    commands.add_parser("parse-dbt", help="write dbt's manifest (done by `make install`)")
    return parser


def check_environment() -> None:
    """Every BTS_* variable `bts run` reads, read now: a misspelt one stops it before any work, named.

    (Read later, a bad time zone was a traceback, a bad language failed the
    report step after the whole pipeline had run, a bad memory limit failed
    inside DuckDB.)
    """
    settings.timezone_name()
    settings.run_date()
    settings.language()
    try:
        Quarter.parse(settings.first_quarter())
    except ValueError as error:
        raise ValueError(f"BTS_FIRST_QUARTER: {error}") from None
    landing = settings.landing_dir()
    if not landing.is_dir():
        raise ValueError(f"the landing directory {landing} (BTS_LANDING_DIR) does not exist or is not a directory")
    warehouse = settings.warehouse_dir()
    if warehouse.exists() and not warehouse.is_dir():
        raise ValueError(f"the warehouse directory {warehouse} (BTS_WAREHOUSE_DIR) is not a directory")
    import duckdb

    limit = settings.duckdb_memory_limit()
    with duckdb.connect() as conn:
        try:
            conn.execute("set memory_limit = ?", [limit])  # as warehouse.py sets it
        except duckdb.Error as error:
            raise ValueError(f"BTS_DUCKDB_MEMORY_LIMIT={limit!r} is not a memory size for DuckDB (e.g. 1300MB): {error}") from None


def resolve_quarters(args: argparse.Namespace) -> list[Quarter]:
    if args.last and not args.first:  # with --quarter or --all, it would say nothing and be ignored
        raise ValueError("--to needs --from")
    if args.quarter:
        return sorted({Quarter.parse(label) for label in args.quarter})
    if args.first:
        if not args.last:
            raise ValueError("--from needs --to")
        return quarter_range(Quarter.parse(args.first), Quarter.parse(args.last))
    return _quarters_with_data()


def _quarters_with_data() -> list[Quarter]:
    """Every quarter from the first to the last post in the landing directory (after synchronising it)."""
    from .ingestion.loader import sync_landing
    from .warehouse import working_connection

    _say(f"reading {settings.landing_dir()} to find the quarters that have data")
    with working_connection() as conn:
        report = sync_landing(
            conn,
            settings.landing_dir(),
            settings.warehouse_dir() / "tmp",
            settings.timezone_name(),
            settings.run_date(),
            log=lambda message: None,
        )
        if report.read_again:
            # the run's own sync will find them loaded: say it here, once
            _say(report.read_again_note())
        first, last = conn.execute(
            "select min(cast(timezone(?, published_at) as date)), max(cast(timezone(?, published_at) as date)) from raw.posts",
            [settings.timezone_name(), settings.timezone_name()],
        ).fetchone()
    if first is None:
        # LANDING.md 5: the run reports every rejected file; here they may be why there is no post.
        rejected = "".join(f"\n  rejected {error.describe()}" for error in report.rejections)
        loaded = " could be loaded" if rejected else ""
        raise ValueError(f"no post in {settings.landing_dir()}{loaded}: nothing to run{rejected}")
    first_quarter, last_quarter = Quarter.containing(first), Quarter.containing(last)
    last_complete = Quarter.containing(settings.run_date()).previous()
    if first_quarter > last_complete:
        raise ValueError(
            f"every post in {settings.landing_dir()} is in {first_quarter} or later, which is not complete yet "
            f"(the last complete quarter is {last_complete}): nothing to run"
        )
    if last_quarter > last_complete:
        _say(f"posts of {last_complete.next()} or later are loaded but not run: that quarter is not complete yet")
    return quarter_range(first_quarter, min(last_quarter, last_complete))


def contiguous_ranges(quarters: list[Quarter]) -> list[list[Quarter]]:
    ranges: list[list[Quarter]] = []
    for quarter in quarters:
        if ranges and ranges[-1][-1].next() == quarter:
            ranges[-1].append(quarter)
        else:
            ranges.append([quarter])
    return ranges


def _check_partition_bounds(quarters: list[Quarter]) -> None:
    """Partitions start at BTS_FIRST_QUARTER; when it is not set, start them at the earliest quarter asked."""
    if not os.environ.get("BTS_FIRST_QUARTER"):
        first = min(quarters[0], Quarter.parse(settings.DEFAULT_FIRST_QUARTER))
        os.environ["BTS_FIRST_QUARTER"] = first.label
    first_partition = Quarter.parse(settings.first_quarter())
    if quarters[0] < first_partition:
        raise ValueError(f"{quarters[0]} is before BTS_FIRST_QUARTER={first_partition}, where the partitions start")
    last_complete = Quarter.containing(settings.run_date()).previous()
    if quarters[-1] > last_complete:
        raise ValueError(f"{quarters[-1]} is not complete yet (the last complete quarter is {last_complete})")


_NAME_LIST = re.compile(r"\[('[^'\]]*'(?:, '[^'\]]*')*)\]")


def _names_once(message: str) -> str:
    """Dagster's lists of step names, each name once and without Python's quotes.

    Dagster names a failed step once per output its skipped steps depend on:
    "Dependencies for step warehouse_data_checks were not executed:
    ['bts_dbt_models', 'bts_dbt_models', ...]" ten times over, which reads
    here as "... were not executed: [bts_dbt_models]."
    """
    return _NAME_LIST.sub(lambda listed: "[" + ", ".join(dict.fromkeys(re.findall(r"'([^']*)'", listed.group(1)))) + "]", message)


class _ProgressHandler(logging.Handler):
    """One line per step start, success, failure, and per check result."""

    def __init__(self) -> None:
        super().__init__()
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            if record.levelno >= logging.WARNING:
                message = (meta.get("orig_message") or record.getMessage()).strip().splitlines()
                _say(f"  {step}: {_names_once(message[0]) if message else ''}")
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            _say(f"step {step} started")
        elif kind == "STEP_SUCCESS":
            _say(f"step {step} done in {time.monotonic() - self.started.get(step, time.monotonic()):.1f} s")
        elif kind == "STEP_FAILURE":
            from .run_summary import interrupted_by

            _say(f"step {step} {'interrupted' if interrupted_by(event) else 'FAILED'}")
        elif kind == "STEP_SKIPPED":
            _say(f"step {step} skipped (an upstream step or blocking check failed)")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                import dagster as dg

                outcome = "warning" if data.severity == dg.AssetCheckSeverity.WARN else "FAILED"
                _say(f"check {data.asset_key.to_user_string()}:{data.check_name} {outcome}")


def _progress_logger():
    import dagster as dg

    @dg.logger(description="Progress lines for the bts command.")
    def progress(_init_context):
        logger = logging.getLogger("bts.progress")
        logger.setLevel(logging.DEBUG)
        logger.handlers = [_ProgressHandler()]
        logger.propagate = False
        return logger

    return progress


def _fail_interrupted_runs(instance) -> None:
    """Mark failed the runs of this warehouse that a killed `bts` left started, and free their pool slots.

    Called under the warehouse lock: no other `bts run` of this warehouse is
    alive, so such a run's process is dead. Left as it is, its slot in the
    pool `bts_duckdb` (DAGSTER_HOME's dagster.yaml) would make every later run
    wait for it forever.
    """
    import dagster as dg

    interrupted = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING],
            tags={RUN_WAREHOUSE_TAG: str(settings.warehouse_dir())},
        )
    )
    for run in interrupted:
        _say(f"run {run.run_id} of this warehouse was interrupted (its process died): marked failed, its pool slot freed")
        instance.report_run_failed(run, "interrupted: the bts process running it died before the run ended")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def _dagster_instance():
    """DAGSTER_HOME's instance (runs then show in the UI), or an ephemeral one when it is not set."""
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return dg.DagsterInstance.ephemeral()
    Path(home).mkdir(parents=True, exist_ok=True)
    # Two runs started at once on a new DAGSTER_HOME would both create its SQLite storage, and one would fail.
    with open(Path(home) / ".bts-instance.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return dg.DagsterInstance.get()


def run_quarters(quarters: list[Quarter], every_quarter: bool = False) -> int:
    """Run the quarters; `every_quarter` (`--all`): they are all that has data, and the marts keep no other period."""
    _check_partition_bounds(quarters)
    os.environ.update(settings.dbt_environment())
    from .quality import suites

    # Great Expectations imports beside Dagster and dbt, not after them (suites.start_validator_process).
    suites.start_validator_process()
    try:
        return _run_quarters(quarters, every_quarter)
    finally:
        suites.stop_validator_process()


def _span_label(span: list[Quarter]) -> str:
    return span[0].label if len(span) == 1 else f"{span[0]} to {span[-1]}"


def _run_quarters(quarters: list[Quarter], every_quarter: bool = False) -> int:
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from .definitions import defs
    from .run_summary import summarize
    from .warehouse import warehouse_lock

    job = defs.resolve_job_def("quarterly_pipeline")
    job = job.with_logger_defs({"progress": _progress_logger()}) if hasattr(job, "with_logger_defs") else job
    instance = _dagster_instance()
    failed = False
    # dbt echoes its own log to stdout; the terminal gets one line per step, the file keeps the rest.
    log_path = settings.warehouse_dir() / "logs" / f"bts-run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with warehouse_lock(announce=_say), open(log_path, "a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        _say(f"detailed log: {log_path}")
        _fail_interrupted_runs(instance)
        spans = contiguous_ranges(quarters)
        for index, span in enumerate(spans):
            label = _span_label(span)
            _say(f"running {label} (landing: {settings.landing_dir()}, warehouse: {settings.warehouse_dir()})")
            started = time.monotonic()
            result = job.execute_in_process(
                instance=instance,
                tags={
                    ASSET_PARTITION_RANGE_START_TAG: span[0].partition_key,
                    ASSET_PARTITION_RANGE_END_TAG: span[-1].partition_key,
                    RUN_WAREHOUSE_TAG: str(settings.warehouse_dir()),
                    **({settings.EVERY_QUARTER_TAG: "true"} if every_quarter and len(spans) == 1 else {}),
                },
                run_config={"loggers": {"progress": {}}},
                raise_on_error=False,
            )
            summary = summarize(result)
            if summary.warnings:
                _say(f"{label}: warnings (not blocking):")
                for line in summary.warnings:
                    print(line, file=sys.stderr)
            if result.success and not summary.failures and not summary.interrupted:
                _say(f"{label}: succeeded in {time.monotonic() - started:.1f} s")
                continue
            failed = True
            _say(f"{label}: {'INTERRUPTED' if summary.interrupted else 'FAILED'} (nothing was published; the details are in {log_path})")
            for line in summary.failures:
                print(line, file=sys.stderr)
            if summary.interrupted:
                # Ctrl-C or SIGTERM: Dagster stops the run and returns; the command stops with it
                not_run = ", ".join(_span_label(later) for later in spans[index + 1:])
                if not_run:
                    _say(f"not run: {not_run}")
                return EXIT_INTERRUPTED
    if not failed:
        _say(f"analysts' database: {settings.analytics_db_path()}")
        _say(f"reports: {settings.reports_dir()}")
    return EXIT_FAILED if failed else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    # Library notices (beta parameters and the like) are for developers, not for the person running bts.
    warnings.filterwarnings("ignore", module=r"dagster(_dbt)?\b.*")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "parse-dbt":
            from .transformation.manifest import parse_dbt_project

            parse_dbt_project()
            return EXIT_OK
        if args.command == "generate":
            return _generate(args)
        check_environment()
        quarters = resolve_quarters(args)
        return run_quarters(quarters, every_quarter=args.all)
    except ValueError as error:
        _say(f"error: {error}")
        return EXIT_USAGE
    except KeyboardInterrupt:  # outside a Dagster run (starting, between runs): no traceback for a Ctrl-C
        _say("interrupted")
        return EXIT_INTERRUPTED
    except OSError as error:  # outside a Dagster run: the warehouse cannot be created, the disk is full...
        _say(f"error: {error}")
        return EXIT_FAILED


def _generate(args: argparse.Namespace) -> int:
    from . import generate

    if args.demo == (args.posts is not None):
        raise ValueError("give either --demo or --posts N")
    out = args.out.resolve()
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is not a directory")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty; generate into a new directory")
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.demo:
        written = generate.write_demo_landing(out, **({"seed": args.seed} if args.seed is not None else {}))
        _say(f"wrote {len(written)} files to {out} in {time.monotonic() - started:.1f} s")
    else:
        summary = generate.write_scale_landing(
            out, posts=args.posts, accounts=args.accounts, **({"seed": args.seed} if args.seed is not None else {})
        )
        by_format = ", ".join(f"{name} {count}" for name, count in summary["posts_by_format"].items())
        _say(
            f"wrote {summary['posts']} posts of {summary['accounts']} accounts ({by_format}) in "
            f"{len(summary['files'])} files to {out} in {time.monotonic() - started:.1f} s"
        )
    return EXIT_OK


def command(argv: list[str] | None = None) -> None:
    """The `bts` command: main(), then an exit that skips Python's tear-down of its modules.

    A run leaves Dagster, dbt-core's manifest, Great Expectations and DuckDB
    loaded, and Python then took about 1.5 s to free them one object at a time
    after every run (benchmarks/README.md), while nothing is left to write:
    every DuckDB connection and the run's log file are closed by then. So the
    exit handlers run (the ephemeral Dagster instance's temporary folder,
    logging), the other threads are waited for and the streams flushed, and
    the process ends there, as mypy ends its runs. An exception leaves the
    ordinary way, traceback included.
    """
    code = main(argv)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    command()
