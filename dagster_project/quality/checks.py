"""The data-quality asset checks: each runs one check of a suite (expectations/*.json) on a DataFrame from `queries`.

Two ops run them, one per point of the graph they guard:

- `landing_data_checks`, on the raw tables, runs between ingestion and dbt: a
  blocking failure there skips dbt, hence the marts, the publication and the report.
- `warehouse_data_checks`, on staging and the marts, runs after dbt and before
  `analytics_database`, which depends on every mart. A blocking failure fails
  the whole op, so every asset downstream of any table it checks (staging
  included) is skipped: `analytics.duckdb` and the reports stay as they were.

Warnings (AssetCheckSeverity.WARN, non-blocking) are shown in the UI and the
run's output and stop nothing.
"""

import dataclasses
import warnings
from collections.abc import Callable, Iterator

import dagster as dg
import duckdb
import pandas as pd

from .. import settings
from ..partitions import quarterly_partitions, quarters_of_context
from ..warehouse import POOL, working_connection
from . import queries, suites
from .queries import RunPeriods


@dataclasses.dataclass(frozen=True)
class Frame:
    """A DataFrame some checks validate, computed once per run however many checks read it."""

    name: str
    build: Callable[[duckdb.DuckDBPyConnection, RunPeriods], pd.DataFrame]


@dataclasses.dataclass(frozen=True)
class QualityCheck:
    name: str
    suite: str  # expectations/<suite>.json, named for the checked table
    asset_key: dg.AssetKey
    frame: Frame
    row_label: tuple[str, ...]  # the columns that say which row broke a rule
    blocking: bool = True
    describe_row: Callable[[pd.Series], str] | None = None  # a sentence for the row, when its label is not enough

    @property
    def description(self) -> str:
        return suites.check_description(self.suite, self.name)

    @property
    def severity(self) -> dg.AssetCheckSeverity:
        return dg.AssetCheckSeverity.ERROR if self.blocking else dg.AssetCheckSeverity.WARN

    def spec(self) -> dg.AssetCheckSpec:
        # Partitioned checks are "preview" in Dagster 1.13; they are what lets a check see the run's quarters.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.PreviewWarning)
            return self._spec()

    def _spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(
            self.name,
            asset=self.asset_key,
            description=self.description,
            blocking=self.blocking,
            partitions_def=quarterly_partitions(),
            metadata={"suite": f"expectations/{self.suite}.json", "severity": "blocking" if self.blocking else "warning"},
        )


def _conflict_in_words(row: pd.Series) -> str:
    def version(path: str, line: int, followers: int, following: object) -> str:
        known = "" if pd.isna(following) else f", following {following}"
        return f"{path} line {line} says {followers} followers{known}"

    return (
        f"{row['platform']} {row['handle']} on {row['snapshot_date']:%Y-%m-%d}: "
        f"{version(row['file_path'], row['line_number'], row['followers'], row['following'])}; "
        f"{version(row['other_file_path'], row['other_line_number'], row['other_followers'], row['other_following'])}"
    )


# --- the frames ------------------------------------------------------------------------------


def _landing_rows(raw_table: str) -> Frame:
    return Frame(f"landing_rows_{raw_table}", lambda conn, periods: queries.landing_rows_by_file(conn, raw_table))


FOLLOWER_CONFLICTS = Frame("follower_conflicts", lambda conn, periods: queries.follower_snapshot_conflicts(conn))
FILES_IN_RUN = Frame("files_in_run", lambda conn, periods: queries.landing_files_posts_in_run(conn, periods))
STAGING_AGAINST_RAW = Frame("staging_against_raw", lambda conn, periods: queries.staging_posts_against_raw(conn, periods))
STAGING_VIOLATIONS = Frame("staging_violations", lambda conn, periods: queries.staging_posts_violations(conn, periods))
ACCOUNT_POSTS = Frame("account_posts", lambda conn, periods: queries.account_posts_against_staging(conn, periods))
YEAR_POSTS = Frame("year_posts", lambda conn, periods: queries.year_posts_against_quarters(conn, periods))
HASHTAG_ROWS = Frame("hashtag_rows", lambda conn, periods: queries.hashtag_rows(conn, periods))


def _by_kind(name: str, query: Callable[[duckdb.DuckDBPyConnection, RunPeriods, str], pd.DataFrame]) -> dict[str, Frame]:
    return {
        kind: Frame(f"{name}_{kind}", lambda conn, periods, kind=kind: query(conn, periods, kind))
        for kind in queries.PERIOD_KINDS
    }


MEMBER_ROWS = _by_kind("member_rows", queries.account_rows_against_members)
ACCOUNT_ROWS = _by_kind("account_rows", queries.account_rows)
RANKED_AGAINST_VALUES = _by_kind("ranked_against_values", queries.ranked_rows_against_account_values)
PANEL_AGAINST_VALUES = _by_kind("panel_against_values", queries.panel_accounts_against_account_values)
PANEL_ROWS = _by_kind("panel_rows", queries.panel_rows)
RANKED_ROWS = _by_kind("ranked_rows", queries.ranked_rows)
TOP_POST_RANKS = _by_kind("top_post_ranks", queries.top_post_ranks_by_panel)
TOP_POST_ROWS = _by_kind("top_post_rows", queries.top_post_rows)


# --- the checks ------------------------------------------------------------------------------


def _raw(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def _mart(table: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", table])


STAGING_POSTS = dg.AssetKey(["staging", "stg_landing__posts"])

LANDING_CHECKS = (
    *(
        QualityCheck("landing_rows_loaded", f"raw_{table}", _raw(table), _landing_rows(table), ("file_path",))
        for table in queries.RAW_TABLES
    ),
    QualityCheck(
        "follower_snapshots_consistent",
        "raw_follower_snapshots",
        _raw("follower_snapshots"),
        FOLLOWER_CONFLICTS,
        ("platform", "handle", "snapshot_date", "file_path", "line_number", "followers", "other_file_path", "other_line_number", "other_followers"),
        describe_row=_conflict_in_words,
    ),
    QualityCheck(
        "landing_files_hold_run_posts", "raw_posts", _raw("posts"), FILES_IN_RUN, ("file_path",), blocking=False
    ),
)


def _period_checks(kind: str) -> tuple[QualityCheck, ...]:
    """The checks of the marts of one period kind (quarter or year), which share their shape."""
    period = kind
    checks = [
        QualityCheck("one_row_per_member", f"fct_account_{kind}", _mart(f"fct_account_{kind}"), MEMBER_ROWS[kind], (period, "panel")),
        QualityCheck("columns_valid", f"fct_account_{kind}", _mart(f"fct_account_{kind}"), ACCOUNT_ROWS[kind], (period, "panel", "handle")),
        QualityCheck(
            "accounts_match_account_values",
            f"fct_panel_{kind}",
            _mart(f"fct_panel_{kind}"),
            PANEL_AGAINST_VALUES[kind],
            (period, "panel", "metric"),
        ),
        QualityCheck("columns_valid", f"fct_panel_{kind}", _mart(f"fct_panel_{kind}"), PANEL_ROWS[kind], (period, "panel", "metric")),
        QualityCheck(
            "rows_match_account_values",
            f"rank_account_{kind}",
            _mart(f"rank_account_{kind}"),
            RANKED_AGAINST_VALUES[kind],
            (period, "panel", "metric"),
        ),
        QualityCheck(
            "columns_valid", f"rank_account_{kind}", _mart(f"rank_account_{kind}"), RANKED_ROWS[kind], (period, "panel", "metric", "handle")
        ),
        QualityCheck("ranks_complete", f"fct_top_posts_{kind}", _mart(f"fct_top_posts_{kind}"), TOP_POST_RANKS[kind], (period, "panel")),
        QualityCheck(
            "columns_valid", f"fct_top_posts_{kind}", _mart(f"fct_top_posts_{kind}"), TOP_POST_ROWS[kind], (period, "panel", "rank", "post_id")
        ),
    ]
    return tuple(checks)


WAREHOUSE_CHECKS = (
    QualityCheck("posts_match_raw", "stg_landing__posts", STAGING_POSTS, STAGING_AGAINST_RAW, ("quarter",)),
    QualityCheck("columns_valid", "stg_landing__posts", STAGING_POSTS, STAGING_VIOLATIONS, ("quarter", "first_offending_post")),
    *_period_checks("quarter"),
    QualityCheck("posts_match_staging", "fct_account_quarter", _mart("fct_account_quarter"), ACCOUNT_POSTS, ("quarter", "panel")),
    QualityCheck(
        "members_have_follower_snapshot",
        "fct_account_quarter",
        _mart("fct_account_quarter"),
        ACCOUNT_ROWS["quarter"],
        ("quarter", "panel", "handle"),
        blocking=False,
    ),
    QualityCheck(
        "members_posted", "fct_account_quarter", _mart("fct_account_quarter"), ACCOUNT_ROWS["quarter"], ("quarter", "panel", "handle"), blocking=False
    ),
    *_period_checks("year"),
    QualityCheck("posts_match_quarters", "fct_account_year", _mart("fct_account_year"), YEAR_POSTS, ("year", "panel", "handle", "expected_from")),
    QualityCheck("columns_valid", "fct_hashtags_quarter", _mart("fct_hashtags_quarter"), HASHTAG_ROWS, ("quarter", "panel", "hashtag")),
)

ALL_CHECKS = LANDING_CHECKS + WAREHOUSE_CHECKS


# --- results ---------------------------------------------------------------------------------


def _expectation_columns(expectation: dict) -> list[str]:
    kwargs = expectation.get("kwargs", {})
    named = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B"), *kwargs.get("column_list", [])]
    return [column for column in named if column]


def check_result(check: QualityCheck, verdict: suites.Verdict) -> dg.AssetCheckResult:
    """The AssetCheckResult of a verdict: passed, `observed` and `expected`, up to 5 offending rows, one line of description."""
    frame = verdict.frame
    metadata: dict[str, object] = {"suite": f"expectations/{check.suite}.json", "rows_checked": len(frame)}
    if verdict.passed:
        pairs = [
            expectation["kwargs"]
            for expectation in verdict.expectations
            if expectation["type"] == "expect_column_pair_values_to_be_equal"
        ]
        if pairs and not frame.empty:
            # a reconciliation that holds: show the totals it agreed on
            metadata["observed"] = "; ".join(f"Σ {pair['column_A']} = {frame[pair['column_A']].sum()}" for pair in pairs)
            metadata["expected"] = "; ".join(f"Σ {pair['column_B']} = {frame[pair['column_B']].sum()}" for pair in pairs)
        else:
            metadata["observed"] = f"{suites.count_of_rows(len(frame))}, none breaking a rule"
            metadata["expected"] = "; ".join(verdict.rules)
        metadata["offending_rows"] = dg.MetadataValue.md("none")
        description = f"{suites.count_of_rows(len(frame))} checked, every expectation met ({len(verdict.expectations)})"
        return dg.AssetCheckResult(
            check_name=check.name,
            asset_key=check.asset_key,
            passed=True,
            severity=check.severity,
            metadata=metadata,
            description=description,
        )

    failures = verdict.failures
    offending = frame.loc[verdict.offending_index()]
    shown_rows = offending.head(suites.MAX_OFFENDING_ROWS)
    columns = list(dict.fromkeys([*check.row_label, *_failed_expectation_columns(verdict)]))
    columns = [column for column in columns if column in frame.columns] or list(frame.columns)
    metadata["observed"] = "; ".join(failure.observed for failure in failures)
    metadata["expected"] = "; ".join(failure.expected for failure in failures)
    metadata["offending_rows"] = dg.MetadataValue.md(suites.markdown_table(shown_rows, columns))
    if len(offending) > len(shown_rows):
        metadata["offending_rows_total"] = len(offending)
    first = failures[0]
    where = ""
    if not shown_rows.empty:
        row = shown_rows.iloc[0]
        where = f"; first: {check.describe_row(row) if check.describe_row else suites.row_words(row, check.row_label)}"
    if first.unexpected_rows is not None:
        broken = f"{first.rule} broken in {first.unexpected_rows} of {suites.count_of_rows(len(frame))}"
    else:
        broken = f"expected {first.rule}, found {first.observed}"
    more = f" (and {len(failures) - 1} more: {', '.join(failure.rule for failure in failures[1:])})" if len(failures) > 1 else ""
    description = f"{broken}{where}{more}"
    return dg.AssetCheckResult(
        check_name=check.name,
        asset_key=check.asset_key,
        passed=False,
        severity=check.severity,
        metadata=metadata,
        description=description,
    )


def _failed_expectation_columns(verdict: suites.Verdict) -> list[str]:
    """The columns named by the expectations that failed (GX results are in suite order, failures a subset)."""
    failed_rules = {failure.rule for failure in verdict.failures}
    return [
        column
        for expectation in verdict.expectations
        if suites.describe_rule(expectation["type"], expectation.get("kwargs", {})) in failed_rules
        for column in _expectation_columns(expectation)
    ]


def run_checks(checks: tuple[QualityCheck, ...], periods: RunPeriods) -> Iterator[dg.AssetCheckResult]:
    """Every check's result, each frame computed once, on a read-only connection to the working database."""
    frames: dict[str, pd.DataFrame] = {}
    with working_connection(read_only=True) as conn:
        for frame in dict.fromkeys(check.frame for check in checks):
            frames[frame.name] = frame.build(conn, periods)
    for check in checks:
        yield check_result(check, suites.validate(frames[check.frame.name], check.suite, check.name))


def run_periods(context: dg.AssetCheckExecutionContext) -> RunPeriods:
    return RunPeriods(tuple(quarters_of_context(context)), settings.run_date(), settings.timezone_name())


# --- the Dagster definitions -----------------------------------------------------------------


@dg.multi_asset_check(
    name="landing_data_checks",
    specs=[check.spec() for check in LANDING_CHECKS],
    description="Great Expectations suites of the raw tables: landing files fully loaded, follower snapshots without conflict.",
    pool=POOL,
)
def landing_data_checks(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
    yield from run_checks(LANDING_CHECKS, run_periods(context))


@dg.multi_asset_check(
    name="warehouse_data_checks",
    specs=[check.spec() for check in WAREHOUSE_CHECKS],
    description="Great Expectations suites of staging and the marts: counts reconciled between layers, column rules.",
    pool=POOL,
)
def warehouse_data_checks(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
    yield from run_checks(WAREHOUSE_CHECKS, run_periods(context))


quality_checks = [landing_data_checks, warehouse_data_checks]
