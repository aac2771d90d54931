"""The data-quality checks on a real warehouse: each passes on good data, fails on data broken for it, and blocks the run.

One pipeline run over the real @rOpenSci exports of 2021 makes the good
warehouse. Each check then runs on a copy with one thing broken in SQL. The
end-to-end tests drop bad inputs into the landing directory after the good
run (or break a check's figures) and run `bts` again: the run fails, says
what failed, and `analytics.duckdb` and the reports stay byte for byte.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import settings
from dagster_project.quality import checks
from dagster_project.quality.queries import RunPeriods
from dagster_project.quarters import Quarter, quarter_range
from shared_corpora import CORPUS, needs_corpus

REPO = Path(__file__).resolve().parents[1]
BTS = Path(sys.executable).parent / "bts"
RUN_DATE = "2026-11-26"
RUN_QUARTERS = tuple(quarter_range(Quarter.parse("2021-Q1"), Quarter.parse("2021-Q4")))

pytestmark = [
    pytest.mark.slow,
    needs_corpus,
]

ACCOUNTS = (
    "panel,platform,handle,company,display_name,account_type,member_from,member_to\n"
    "sci,x,ropensci,rOpenSci,rOpenSci,corporate,,\n"
)
FOLLOWERS = "platform,handle,date,followers,following\n" + "".join(
    f"x,ropensci,{day},{followers},\n"
    for day, followers in [
        ("2020-12-03", 30979),
        ("2021-01-04", 31155),
        ("2021-03-10", 31711),
        ("2021-04-01", 31922),
        ("2021-06-02", 32179),
        ("2021-07-21", 32565),
        ("2021-09-03", 32782),
        ("2021-10-04", 32994),
        ("2021-11-02", 33181),
        ("2022-01-03", 33464),
    ]
)
CANONICAL_HEADER = "platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink\n"


def write_landing(landing: Path) -> None:
    landing.mkdir(parents=True)
    for export in sorted(CORPUS.glob("tweet_activity_metrics_rOpenSci_2021*.csv")):
        shutil.copy(export, landing / export.name)
    (landing / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (landing / "followers.csv").write_text(FOLLOWERS, encoding="utf-8")


def environment(landing: Path, warehouse: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BTS_LANDING_DIR": str(landing),
        "BTS_WAREHOUSE_DIR": str(warehouse),
        "BTS_RUN_DATE": RUN_DATE,
        "BTS_FIRST_QUARTER": "2021-Q1",
    }


def bts_run(landing: Path, warehouse: Path, *quarters: str, command: list[str] | None = None) -> subprocess.CompletedProcess:
    arguments = [arg for quarter in quarters for arg in ("--quarter", quarter)]
    return subprocess.run(
        [*(command or [str(BTS)]), "run", *arguments],
        cwd=REPO,
        env=environment(landing, warehouse),
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """Landing directory and warehouse after a successful run of 2021-Q1 to 2021-Q4."""
    root = tmp_path_factory.mktemp("quality")
    landing, warehouse = root / "landing", root / "warehouse"
    write_landing(landing)
    completed = bts_run(landing, warehouse, *(quarter.label for quarter in RUN_QUARTERS))
    assert completed.returncode == 0, completed.stderr[-4000:]
    return landing, warehouse, completed


def check_named(asset: str, name: str) -> checks.QualityCheck:
    return next(check for check in checks.ALL_CHECKS if check.asset_key.to_user_string() == asset and check.name == name)


def run_one_check(check: checks.QualityCheck, quarters=RUN_QUARTERS) -> dg.AssetCheckResult:
    (result,) = checks.run_checks((check,), RunPeriods(tuple(quarters), dt.date.fromisoformat(RUN_DATE), "Europe/Paris"))
    return result


@pytest.fixture
def working_copy(good_run, tmp_path, monkeypatch):
    """A copy of the good working database the checks read; returns a function that breaks it with SQL."""
    _, warehouse, _ = good_run
    copy = tmp_path / "warehouse"
    copy.mkdir()
    shutil.copy(warehouse / "bts.duckdb", copy / "bts.duckdb")
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(copy))
    monkeypatch.setenv("BTS_RUN_DATE", RUN_DATE)

    def break_with(sql: str) -> None:
        with duckdb.connect(str(copy / "bts.duckdb")) as conn:
            conn.execute(sql)

    return break_with


# --- each check passes on good data ----------------------------------------------------------


@pytest.mark.parametrize("check", checks.ALL_CHECKS, ids=[f"{c.asset_key.to_user_string()}:{c.name}" for c in checks.ALL_CHECKS])
def test_every_check_passes_on_the_good_warehouse(working_copy, check):
    result = run_one_check(check)
    assert result.passed, result.description
    assert result.metadata["offending_rows"].value == "none"
    assert "rows_checked" in result.metadata


# --- and fails on data broken for it ---------------------------------------------------------

BROKEN = [
    ("raw/accounts", "landing_rows_loaded", "update raw.landing_files set rows_read = rows_read + 1 where raw_table = 'accounts'", "file_path accounts.csv"),
    ("raw/posts", "landing_rows_loaded", "delete from raw.posts where rowid = (select min(rowid) from raw.posts)", "raw_rows = rows_read broken in 1 of"),
    ("raw/follower_snapshots", "landing_rows_loaded", "insert into raw.follower_snapshots select * from raw.follower_snapshots limit 1", "file_path followers.csv"),
    (
        "raw/follower_snapshots",
        "follower_snapshots_consistent",
        "insert into raw.follower_snapshots (platform, handle, snapshot_date, followers, following, file_hash, file_path, line_number) "
        "values ('x', 'ropensci', date '2021-11-02', 40000, null, 'abc', 'late/followers.csv', 7)",
        "x ropensci on 2021-11-02: followers.csv line 10 says 33181 followers; late/followers.csv line 7 says 40000 followers",
    ),
    ("staging/stg_landing__posts", "posts_match_raw", "delete from staging.stg_landing__posts where post_id = (select min(post_id) from staging.stg_landing__posts)", "staging_posts = distinct_raw_posts"),
    ("staging/stg_landing__posts", "columns_valid", "update staging.stg_landing__posts set likes = -1 where post_id = (select min(post_id) from staging.stg_landing__posts)", "negative_or_missing_counts = 0"),
    ("staging/stg_landing__posts", "columns_valid", "insert into staging.stg_landing__posts select * from staging.stg_landing__posts limit 1", "duplicate_keys = 0"),
    ("staging/stg_landing__posts", "columns_valid", "update staging.stg_landing__posts set post_id = null where post_id = (select min(post_id) from staging.stg_landing__posts)", "null_keys = 0"),
    ("marts/fct_account_quarter", "one_row_per_member", "delete from marts.fct_account_quarter where quarter = '2021-Q2'", "quarter 2021-Q2, panel sci"),
    ("marts/fct_account_quarter", "posts_match_staging", "update marts.fct_account_quarter set posts = posts + 1 where quarter = '2021-Q3'", "quarter 2021-Q3, panel sci"),
    ("marts/fct_account_quarter", "columns_valid", "update marts.fct_account_quarter set likes = -3 where quarter = '2021-Q1'", "likes >= 0"),
    ("marts/fct_account_quarter", "columns_valid", "update marts.fct_account_quarter set handle = 'unknown_lab' where quarter = '2021-Q1'", "accounts_csv_line is not empty"),
    ("marts/fct_account_quarter", "columns_valid", "update marts.fct_account_quarter set post_interaction_rate = -0.5 where quarter = '2021-Q4'", "post_interaction_rate >= 0"),
    ("marts/fct_account_quarter", "columns_valid", "insert into marts.fct_account_quarter select * from marts.fct_account_quarter where quarter = '2021-Q4'", "one row per (quarter, panel, handle)"),
    ("marts/fct_account_year", "one_row_per_member", "insert into marts.fct_account_year select * from marts.fct_account_year", "year 2021, panel sci"),
    ("marts/fct_account_year", "posts_match_quarters", "update marts.fct_account_year set posts = posts - 1", "year 2021, panel sci, handle ropensci"),
    ("marts/fct_account_year", "columns_valid", "update marts.fct_account_year set reactions = -1", "reactions >= 0"),
    ("marts/fct_panel_quarter", "accounts_match_account_values", "update marts.fct_panel_quarter set accounts = accounts + 1 where metric = 'posts' and quarter = '2021-Q1'", "metric posts"),
    ("marts/fct_panel_quarter", "columns_valid", "update marts.fct_panel_quarter set metric = 'likes' where metric = 'posts'", "metric in"),
    ("marts/fct_panel_year", "accounts_match_account_values", "update marts.fct_panel_year set accounts = 0 where metric = 'posts_per_day'", "metric posts_per_day"),
    ("marts/fct_panel_year", "columns_valid", "insert into marts.fct_panel_year select * from marts.fct_panel_year", "one row per (year, panel, metric)"),
    ("marts/rank_account_quarter", "rows_match_account_values", "delete from marts.rank_account_quarter where metric = 'posts' and quarter = '2021-Q1'", "ranked_rows = account_values"),
    ("marts/rank_account_quarter", "columns_valid", "update marts.rank_account_quarter set rank = 0 where quarter = '2021-Q2' and metric = 'posts'", "rank >= 1"),
    ("marts/rank_account_year", "rows_match_account_values", "insert into marts.rank_account_year select * from marts.rank_account_year where metric = 'posts'", "ranked_rows = account_values"),
    ("marts/rank_account_year", "columns_valid", "update marts.rank_account_year set value = null where metric = 'posts'", "value is not empty"),
    ("marts/fct_top_posts_quarter", "ranks_complete", "delete from marts.fct_top_posts_quarter where quarter = '2021-Q1' and rank = 4", "highest_rank = top_posts"),
    ("marts/fct_top_posts_quarter", "columns_valid", "update marts.fct_top_posts_quarter set published_at = published_at - interval 120 day where quarter = '2021-Q3' and rank = 1", "published_quarter = quarter"),
    ("marts/fct_top_posts_year", "ranks_complete", "insert into marts.fct_top_posts_year select * replace (rank + 10 as rank) from marts.fct_top_posts_year where rank = 1", "top_posts between 1 and 10"),
    ("marts/fct_top_posts_year", "columns_valid", "update marts.fct_top_posts_year set followers_at_publish = 0 where rank = 2", "followers_at_publish >= 1"),
    ("marts/fct_hashtags_quarter", "columns_valid", "update marts.fct_hashtags_quarter set hashtag = 'rstats' where hashtag = '#rstats'", "hashtag matching ^#"),
    ("marts/fct_hashtags_quarter", "columns_valid", "update marts.fct_hashtags_quarter set posts = 0 where hashtag = '#rstats'", "posts >= 1"),
]


@pytest.mark.parametrize("asset, name, sql, said", BROKEN, ids=[f"{asset}:{name}:{n}" for n, (asset, name, _s, _d) in enumerate(BROKEN)])
def test_a_blocking_check_fails_on_data_broken_for_it_and_says_where(working_copy, asset, name, sql, said):
    working_copy(sql)
    result = run_one_check(check_named(asset, name))
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert said in result.description
    assert result.metadata["observed"].value and result.metadata["expected"].value
    assert result.metadata["offending_rows"].value.startswith("| ")


WARNED = [
    ("marts/fct_account_quarter", "members_have_follower_snapshot", "update marts.fct_account_quarter set followers_end = null where quarter = '2021-Q4'", "followers_end is not empty"),
    ("marts/fct_account_quarter", "members_posted", "update marts.fct_account_quarter set posts = 0 where quarter = '2021-Q4'", "posts >= 1"),
]


@pytest.mark.parametrize("asset, name, sql, said", WARNED, ids=[name for _a, name, _s, _d in WARNED])
def test_a_warning_check_fails_as_a_warning(working_copy, asset, name, sql, said):
    working_copy(sql)
    result = run_one_check(check_named(asset, name))
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert said in result.description and "quarter 2021-Q4, panel sci, handle ropensci" in result.description


def test_a_landing_file_without_a_post_of_the_quarters_run_is_a_warning_naming_it(working_copy):
    result = run_one_check(check_named("raw/posts", "landing_files_hold_run_posts"), quarters=(Quarter.parse("2021-Q1"),))
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert "file_path tweet_activity_metrics_rOpenSci_20210401_20210501_en.csv" in result.description


def test_the_year_is_checked_against_staging_when_its_quarters_were_not_all_run(working_copy):
    working_copy("update marts.fct_account_year set posts = posts + 2")
    result = run_one_check(check_named("marts/fct_account_year", "posts_match_quarters"), quarters=(Quarter.parse("2021-Q4"),))
    assert not result.passed
    assert "counted staging posts" in result.metadata["offending_rows"].value


# --- end to end: a failure blocks the publication and the report -----------------------------


def tree_bytes(directory: Path) -> dict[str, str]:
    """Every file under the directory, by relative path, with the SHA-256 of its bytes."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def after_good_run(good_run, tmp_path):
    """A copy of the landing directory and the warehouse of the good run, and the published state to compare with."""
    landing, warehouse, _ = good_run
    shutil.copytree(landing, tmp_path / "landing")
    shutil.copytree(warehouse, tmp_path / "warehouse", ignore=shutil.ignore_patterns("logs", ".bts.lock"))
    published = hashlib.sha256((tmp_path / "warehouse" / "analytics.duckdb").read_bytes()).hexdigest()
    reports = tree_bytes(tmp_path / "warehouse" / "reports")
    return tmp_path / "landing", tmp_path / "warehouse", published, reports


def assert_nothing_published(warehouse: Path, published: str, reports: dict[str, str]) -> None:
    assert hashlib.sha256((warehouse / "analytics.duckdb").read_bytes()).hexdigest() == published
    assert tree_bytes(warehouse / "reports") == reports
    assert not list(warehouse.glob(".analytics.duckdb.*"))


def test_the_good_run_publishes_the_marts_and_writes_every_quarters_report(good_run):
    _, warehouse, completed = good_run
    assert (warehouse / "analytics.duckdb").is_file()
    for quarter in RUN_QUARTERS:
        assert (warehouse / "reports" / quarter.label / "index.html").is_file()
    assert "FAILED" not in completed.stderr


BAD_INPUTS = [
    ("conflicting follower snapshot", "more/followers_late.csv", "platform,handle,date,followers,following\nx,ropensci,2021-11-02,40000,\n"),
    ("non-numeric count", "x/late_posts.csv", CANONICAL_HEADER + "x,ropensci,1,2021-11-03T10:00:00,post,hello,many,0,0,0,,\n"),
    ("negative count", "x/late_posts.csv", CANONICAL_HEADER + "x,ropensci,1,2021-11-03T10:00:00,post,hello,-4,0,0,0,,\n"),
    ("unknown header", "x/notes.csv", "colour,size\nred,3\n"),
    ("unparseable date", "x/late_posts.csv", CANONICAL_HEADER + "x,ropensci,1,the third of November,post,hello,4,0,0,0,,\n"),
    ("empty file", "x/late_posts.csv", ""),
    ("post under another handle", "x/late_posts.csv", CANONICAL_HEADER + "x,someone_else,1466074614644162560,2021-12-01T17:00:00,post,hello,4,0,0,0,,\n"),
]


@pytest.mark.parametrize("case, relative_path, content", BAD_INPUTS, ids=[case for case, _p, _c in BAD_INPUTS])
def test_a_bad_input_dropped_after_a_good_run_stops_the_run_naming_the_file(after_good_run, case, relative_path, content):
    landing, warehouse, published, reports = after_good_run
    bad_file = landing / relative_path
    bad_file.parent.mkdir(parents=True, exist_ok=True)
    bad_file.write_text(content, encoding="utf-8")
    shutil.rmtree(warehouse / "reports" / "2021-Q4")
    reports = {path: digest for path, digest in reports.items() if not path.startswith("2021-Q4/")}

    completed = bts_run(landing, warehouse, "2021-Q4")

    assert completed.returncode == 1, completed.stderr[-3000:]
    assert relative_path in completed.stderr
    # the steps that did not run name what stopped them, once each (Dagster lists a step per output)
    skipped = [line for line in completed.stderr.splitlines() if line.endswith("Not executing.")]
    assert skipped and "[landing_" in skipped[0], completed.stderr[-3000:]
    for line in skipped:
        names = re.findall(r"\[([^\]]*)\]", line)
        assert all(len(listed.split(", ")) == len(set(listed.split(", "))) and "'" not in listed for listed in names), line
    assert_nothing_published(warehouse, published, reports)
    assert not (warehouse / "reports" / "2021-Q4").exists()


def test_a_follower_conflict_names_both_files_and_the_line(after_good_run):
    landing, warehouse, _published, _reports = after_good_run
    (landing / "more").mkdir()
    (landing / "more" / "followers_late.csv").write_text(
        "platform,handle,date,followers,following\nx,ropensci,2021-11-02,40000,\n", encoding="utf-8"
    )
    completed = bts_run(landing, warehouse, "2021-Q4")
    assert "raw/follower_snapshots / follower_snapshots_consistent" in completed.stderr
    assert "followers.csv line 10 says 33181 followers; more/followers_late.csv line 2 says 40000 followers" in completed.stderr


# A check's own figures can only break if dbt has a bug; to prove the gate, the runner
# below makes one query report one more than the truth, then runs `bts` as usual.
BREAK_ONE_QUERY = """
import sys
from dagster_project.quality import queries

query_name, column = sys.argv[1], sys.argv[2]
original = getattr(queries, query_name)

def off_by_one(*args, **kwargs):
    frame = original(*args, **kwargs)
    frame[column] = frame[column] + 1
    return frame

setattr(queries, query_name, off_by_one)
from dagster_project.cli import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize(
    "query_name, column, check_line",
    [
        ("account_posts_against_staging", "counted_staging_posts", "marts/fct_account_quarter / posts_match_staging"),
        # staging is no direct parent of the publication: the failure must still stop it
        ("staging_posts_against_raw", "distinct_raw_posts", "staging/stg_landing__posts / posts_match_raw"),
    ],
)
def test_a_failing_blocking_check_stops_the_publication_and_the_report(after_good_run, query_name, column, check_line):
    landing, warehouse, published, reports = after_good_run
    shutil.rmtree(warehouse / "reports" / "2021-Q4")
    reports = {path: digest for path, digest in reports.items() if not path.startswith("2021-Q4/")}

    completed = bts_run(landing, warehouse, "2021-Q4", command=[sys.executable, "-c", BREAK_ONE_QUERY, query_name, column])

    assert completed.returncode == 1, completed.stderr[-3000:]
    assert f"check failed (blocking): {check_line}" in completed.stderr
    assert "observed:" in completed.stderr and "expected:" in completed.stderr and "offending_rows:" in completed.stderr
    assert "step analytics_database started" not in completed.stderr
    assert_nothing_published(warehouse, published, reports)
    assert not (warehouse / "reports" / "2021-Q4").exists()


def test_warnings_are_shown_and_do_not_stop_the_publication(after_good_run):
    landing, warehouse, published, _reports = after_good_run
    with open(landing / "accounts.csv", "a", encoding="utf-8") as accounts:
        accounts.write("sci,x,quiet_lab,Quiet Lab,Quiet Lab,corporate,,\n")

    completed = bts_run(landing, warehouse, "2021-Q4")

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "marts/fct_account_quarter / members_posted" in completed.stderr
    assert "marts/fct_account_quarter / members_have_follower_snapshot" in completed.stderr
    assert "handle quiet_lab" in completed.stderr
    assert hashlib.sha256((warehouse / "analytics.duckdb").read_bytes()).hexdigest() != published


# --- the reconciliations count exactly, and a bad row in the run's quarter fails a one-quarter run ---

Q3 = (Quarter.parse("2021-Q3"),)
A_Q3_POST = "(select min(post_id) from staging.stg_landing__posts where published_date between date '2021-07-01' and date '2021-09-30')"


def test_a_post_observed_in_two_landing_files_is_one_raw_post(working_copy):
    # keys are grouped by hash first; a hash seen twice is regrouped by the key itself
    working_copy(
        "insert into raw.posts select * replace ('copy/' || file_path as file_path, 'copy' as file_hash) "
        f"from raw.posts where post_id = {A_Q3_POST}"
    )
    assert run_one_check(check_named("staging/stg_landing__posts", "posts_match_raw")).passed
    assert run_one_check(check_named("staging/stg_landing__posts", "posts_match_raw"), quarters=Q3).passed


def test_a_post_observed_twice_in_raw_and_missing_from_staging_fails(working_copy):
    working_copy(
        "insert into raw.posts select * replace ('copy/' || file_path as file_path, 'copy' as file_hash) "
        f"from raw.posts where post_id = {A_Q3_POST}"
    )
    working_copy(f"delete from staging.stg_landing__posts where post_id = {A_Q3_POST}")
    result = run_one_check(check_named("staging/stg_landing__posts", "posts_match_raw"), quarters=Q3)
    assert not result.passed
    assert "staging_posts = distinct_raw_posts broken in 1 of 1 row; first: quarter 2021-Q3" in result.description


MOVED_COPY = (
    "insert into raw.posts select * replace ('copy/' || file_path as file_path, 'copy' as file_hash, "
    f"published_at + interval 100 days as published_at, likes + 1 as likes) from raw.posts where post_id = {A_Q3_POST}"
)


def test_a_post_whose_observations_fall_in_two_quarters_counts_in_the_quarter_staging_kept(working_copy):
    # an export writing UTC times without an offset puts a post's copies hours apart, possibly across
    # a quarter's end (LANDING.md section 4 keeps the one with the most reactions, wherever it falls)
    working_copy(MOVED_COPY)
    working_copy(
        "update staging.stg_landing__posts set published_at = published_at + interval 100 days, "
        f"published_date = published_date + interval 100 days where post_id = {A_Q3_POST}"
    )
    check = check_named("staging/stg_landing__posts", "posts_match_raw")
    for quarters in (RUN_QUARTERS, Q3, (Quarter.parse("2021-Q4"),), FIRST_THREE_QUARTERS):
        result = run_one_check(check, quarters=quarters)
        assert result.passed, (quarters, result.description)


# The check finds the posts seen on both sides of the run's bounds with a hash table of the smaller
# side's keys: the observations outside the run when they are fewer (2021-Q1 to 2021-Q3, the moved
# copy falling in 2021-Q4), those inside otherwise (2021-Q3 alone).
FIRST_THREE_QUARTERS = RUN_QUARTERS[:3]


def observations_inside_and_outside(quarters) -> tuple[int, int]:
    instants = RunPeriods(tuple(quarters), dt.date.fromisoformat(RUN_DATE), "Europe/Paris").quarter_instants()
    with duckdb.connect(str(settings.working_db_path()), read_only=True) as con:
        return con.execute(
            "select count(*) filter (where published_at >= $1 and published_at < $2), "
            "count(*) filter (where published_at < $1 or published_at >= $2) from raw.posts",
            [instants["run_starts_at"], instants["run_ends_at"]],
        ).fetchone()


@pytest.mark.parametrize("quarters, outside_fewer", [(RUN_QUARTERS, True), (FIRST_THREE_QUARTERS, True), (Q3, False)], ids=["2021", "2021-Q1 to Q3", "2021-Q3"])
def test_a_post_whose_observations_fall_in_two_quarters_and_missing_from_staging_fails_in_the_earliest(working_copy, quarters, outside_fewer):
    working_copy(MOVED_COPY)
    working_copy(f"delete from staging.stg_landing__posts where post_id = {A_Q3_POST}")
    inside, outside = observations_inside_and_outside(quarters)
    assert (outside <= inside) == outside_fewer, (inside, outside)
    result = run_one_check(check_named("staging/stg_landing__posts", "posts_match_raw"), quarters=quarters)
    assert not result.passed
    rows = f"{len(quarters)} row" + ("s" if len(quarters) > 1 else "")
    assert f"staging_posts = distinct_raw_posts broken in 1 of {rows}; first: quarter 2021-Q3" in result.description


@pytest.mark.parametrize(
    "asset, name, sql, said",
    [
        (
            "staging/stg_landing__posts",
            "columns_valid",
            f"insert into staging.stg_landing__posts select * from staging.stg_landing__posts where post_id = {A_Q3_POST}",
            "duplicate_keys = 0",
        ),
        (
            "staging/stg_landing__posts",
            "columns_valid",
            f"update staging.stg_landing__posts set reactions = null where post_id = {A_Q3_POST}",
            "negative_or_missing_counts = 0",
        ),
        (
            "staging/stg_landing__posts",
            "posts_match_raw",
            f"delete from staging.stg_landing__posts where post_id = {A_Q3_POST}",
            "staging_posts = distinct_raw_posts",
        ),
        (
            "marts/fct_account_quarter",
            "posts_match_staging",
            "update marts.fct_account_quarter set posts = posts + 1 where quarter = '2021-Q3'",
            "quarter 2021-Q3, panel sci",
        ),
        (
            "marts/fct_account_year",
            "posts_match_quarters",
            "update marts.fct_account_year set posts = posts + 1",
            "year 2021, panel sci, handle ropensci",
        ),
    ],
    ids=["duplicate key", "missing count", "post missing from staging", "quarter posts", "year posts"],
)
def test_a_bad_row_in_the_runs_quarter_fails_a_one_quarter_run(working_copy, asset, name, sql, said):
    working_copy(sql)
    result = run_one_check(check_named(asset, name), quarters=Q3)
    assert not result.passed
    assert said in result.description


def test_a_one_quarter_run_checks_the_year_against_the_counted_staging_posts(working_copy):
    # a post of 2021-Q1 leaves staging: the year of a one-quarter run is recounted from staging, not from its quarters
    working_copy(
        "delete from staging.stg_landing__posts where post_id = (select min(post_id) from staging.stg_landing__posts "
        "where is_counted and published_date between date '2021-01-01' and date '2021-03-31')"
    )
    result = run_one_check(check_named("marts/fct_account_year", "posts_match_quarters"), quarters=Q3)
    assert not result.passed
    assert "counted staging posts" in result.metadata["offending_rows"].value
    # while a run of the four quarters takes the year from its quarters, which still hold the post
    assert run_one_check(check_named("marts/fct_account_year", "posts_match_quarters")).passed
