"""The dbt marts against figures worked out by hand from a small raw fixture.

The fixture is written straight into raw.* of a temporary DuckDB file, then
`dbt build` runs several times, as Dagster would, over different quarter
ranges. Every expected number below is computed by hand from the fixture
(METRICS.md), in the comments next to it, not by reusing the SQL.

The fixture (reporting timezone Europe/Paris, UTC+2 in summer, UTC+1 from
29 October 2023):

panels
    x_pharma (X): alpha (always), beta (joins 2023-11-15), gamma (leaves after
        2023-09-30), delta (always; never posts, no follower snapshot)
    ig_corporate (Instagram): alpha (the same handle on another platform is
        another account), epsilon (always)
    x_campaigns (X): zeta, who only joins in June 2024: no member, no rows
    stranger posts but is in no panel

posts (reactions = likes + comments + reposts + quotes)
    a1  alpha/x   2023-07-10 10:00Z  post    15 = 10+2+3     1200 followers
    a2  alpha/x   2023-07-10 15:00Z  reply    5 = 4+0+1      1200
    a3  alpha/x   2023-08-01         repost  (never counted)
    a4  alpha/x   2023-10-02 09:00Z  post    30 = 20+5+5     1500 (an older
                                             export of it has 25: the 30 wins)
    a5  alpha/x   2023-12-31 23:30Z  post    10 = 8+1+1      -> 1 January 2024
                                             in Paris: 2024-Q1; 2000 followers
    a6  alpha/x   2024-02-10         quote    8 = 6+0+0+2    2000
    b1  beta/x    2023-10-20         post    50 = 30+10+10   before beta's first
                                             snapshot: followers unknown
    b2  beta/x    2023-08-15         post     9 = 9          unknown
    b3  beta/x    2024-01-15         post    15 = 12+3       500
    g1  gamma/x   2023-09-30 21:30Z  post    50 = 40+0+10    23:30 in Paris,
                                             still Q3; 300 followers
    g2  gamma/x   2023-11-01         post     3 = 3          300
    i1  alpha/ig  2023-10-03         image  220 = 200+20     10000
    i2  alpha/ig  2023-10-04         story  (never counted)
    i3  alpha/ig  2023-11-11         reel   250 = 240+10     10000
    e1  epsilon   2023-10-05 08:00Z  carousel 55 = 50+5      1000
    e2  epsilon   2023-10-05 12:00Z  video   25 = 25         1000
    s1  stranger  2023-10-05         post  1000              (no panel)

follower snapshots (date: followers / following)
    alpha/x   2023-06-01 1000/100, 2023-07-10 1200/110, 2023-10-01 1500/120,
              2023-12-15 2000/-, 2024-03-01 2500/130
    beta/x    2023-10-25 400/40, 2024-01-01 500/45
    gamma/x   2023-06-30 0/5, 2023-09-29 300/6
    alpha/ig  2023-09-30 10000/50, 2023-12-31 11000/55
    epsilon   2022-12-31 800/8, 2023-10-05 1000/9
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingestion.loader import ensure_raw_schema

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = REPO_ROOT / "dbt"
UTC = dt.timezone.utc

ACCOUNTS = [
    # panel, platform, handle, company, display_name, account_type, member_from, member_to
    ("x_pharma", "x", "alpha", "Alpha Pharma", "Alpha France", "corporate", None, None),
    ("x_pharma", "x", "beta", "Beta Labs", "Beta Santé", "corporate", "2023-11-15", None),
    ("x_pharma", "x", "gamma", "Gamma", "Gamma Bio", "campaign", None, "2023-09-30"),
    ("x_pharma", "x", "delta", "Delta", "Delta Care", "corporate", None, None),
    ("ig_corporate", "instagram", "alpha", "Alpha Pharma", "Alpha France", "corporate", None, None),
    ("ig_corporate", "instagram", "epsilon", "Epsilon", "Epsilon Vaccins", "corporate", None, None),
    ("x_campaigns", "x", "zeta", "Zeta", "Zeta Campaign", "campaign", "2024-06-01", None),
]

POSTS = [
    # platform, handle, post_id, published_at (UTC), post_type, text, likes, comments, reposts, quotes, file_path
    ("x", "alpha", "a1", "2023-07-10 10:00:00", "post", "#RSE launch", 10, 2, 3, 0, "x/2023-q3.csv"),
    ("x", "alpha", "a2", "2023-07-10 15:00:00", "reply", "@someone thanks", 4, 0, 1, 0, "x/2023-q3.csv"),
    ("x", "alpha", "a3", "2023-08-01 10:00:00", "repost", "RT @other #RSE", 100, 0, 0, 0, "x/2023-q3.csv"),
    ("x", "alpha", "a4", "2023-10-02 09:00:00", "post", "#rse et #Santé #RSE", 15, 5, 5, 0, "x/2023-10.csv"),
    ("x", "alpha", "a4", "2023-10-02 09:00:00", "post", "#rse et #Santé #RSE", 20, 5, 5, 0, "x/2023-12.csv"),
    ("x", "alpha", "a5", "2023-12-31 23:30:00", "post", "Bonne année #NouvelAn #RSE", 8, 1, 1, 0, "x/2023-12.csv"),
    ("x", "alpha", "a6", "2024-02-10 10:00:00", "quote", "Bravo", 6, 0, 0, 2, "x/2024-q1.csv"),
    ("x", "beta", "b1", "2023-10-20 10:00:00", "post", "Notre engagement #santé", 30, 10, 10, 0, "x/2023-12.csv"),
    ("x", "beta", "b2", "2023-08-15 10:00:00", "post", "Été", 9, 0, 0, 0, "x/2023-q3.csv"),
    ("x", "beta", "b3", "2024-01-15 10:00:00", "post", "#Santé", 12, 3, 0, 0, "x/2024-q1.csv"),
    ("x", "gamma", "g1", "2023-09-30 21:30:00", "post", "#RSE", 40, 0, 10, 0, "x/2023-q3.csv"),
    ("x", "gamma", "g2", "2023-11-01 10:00:00", "post", "#rse", 3, 0, 0, 0, "x/2023-12.csv"),
    ("instagram", "alpha", "i1", "2023-10-03 10:00:00", "image", "#Santé #sante", 200, 20, 0, 0, "ig/2023-q4.csv"),
    ("instagram", "alpha", "i2", "2023-10-04 10:00:00", "story", "#story", 999, 0, 0, 0, "ig/2023-q4.csv"),
    ("instagram", "alpha", "i3", "2023-11-11 10:00:00", "reel", "mail#nope #ÉTÉ", 240, 10, 0, 0, "ig/2023-q4.csv"),
    ("instagram", "epsilon", "e1", "2023-10-05 08:00:00", "carousel", "#RSE_2023", 50, 5, 0, 0, "ig/2023-q4.csv"),
    ("instagram", "epsilon", "e2", "2023-10-05 12:00:00", "video", "#rse #RSE", 25, 0, 0, 0, "ig/2023-q4.csv"),
    ("x", "stranger", "s1", "2023-10-05 10:00:00", "post", "#rse", 1000, 0, 0, 0, "x/2023-12.csv"),
]

SNAPSHOTS = [
    # platform, handle, snapshot_date, followers, following
    ("x", "alpha", "2023-06-01", 1000, 100),
    ("x", "alpha", "2023-07-10", 1200, 110),
    ("x", "alpha", "2023-10-01", 1500, 120),
    ("x", "alpha", "2023-12-15", 2000, None),
    ("x", "alpha", "2024-03-01", 2500, 130),
    ("x", "beta", "2023-10-25", 400, 40),
    ("x", "beta", "2024-01-01", 500, 45),
    ("x", "gamma", "2023-06-30", 0, 5),
    ("x", "gamma", "2023-09-29", 300, 6),
    ("instagram", "alpha", "2023-09-30", 10000, 50),
    ("instagram", "alpha", "2023-12-31", 11000, 55),
    ("instagram", "epsilon", "2022-12-31", 800, 8),
    ("instagram", "epsilon", "2023-10-05", 1000, 9),
]

MART_TABLES = (
    "fct_account_quarter",
    "fct_account_year",
    "fct_panel_quarter",
    "fct_panel_year",
    "rank_account_quarter",
    "rank_account_year",
    "fct_top_posts_quarter",
    "fct_top_posts_year",
    "fct_hashtags_quarter",
)


def write_raw_fixture(database: Path) -> None:
    with duckdb.connect(str(database)) as con:
        con.execute("set TimeZone = 'UTC'")
        # the raw tables exactly as ingestion creates them
        ensure_raw_schema(con)
        for line, account in enumerate(ACCOUNTS, start=2):
            con.execute(
                "insert into raw.accounts values (?, ?, ?, ?, ?, ?, ?, ?, 'hash-accounts', 'accounts.csv', ?)",
                [*account, line],
            )
        for line, (platform, handle, post_id, published_at, post_type, text, likes, comments, reposts, quotes, path) in enumerate(
            POSTS, start=2
        ):
            con.execute(
                "insert into raw.posts values (?, ?, ?, cast(? || '+00' as timestamptz), ?, ?, ?, ?, ?, ?, null, ?, 'canonical_posts', ?, ?, ?)",
                [
                    platform, handle, post_id, published_at, post_type, text, likes, comments, reposts, quotes,
                    f"https://example.org/{handle}/{post_id}", f"hash-{path}", path, line,
                ],
            )
        for line, snapshot in enumerate(SNAPSHOTS, start=2):
            con.execute(
                "insert into raw.follower_snapshots values (?, ?, ?, ?, ?, 'hash-followers', 'followers.csv', ?)",
                [*snapshot, line],
            )


def dbt_build(workdir: Path, database: Path, quarter_from: str, quarter_to: str, run_date: str) -> None:
    """`dbt build` as Dagster runs it, with its own target and log folders so parallel runs do not collide."""
    run_vars = {"bts_quarter_from": quarter_from, "bts_quarter_to": quarter_to, "bts_run_date": run_date}
    completed = run_dbt(workdir, database, "build", "--vars", json.dumps(run_vars))
    assert completed.returncode == 0, completed.stdout[-8000:] + completed.stderr[-4000:]


def run_dbt(workdir: Path, database: Path, *arguments: str) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    env = {
        **os.environ,
        "BTS_DUCKDB_PATH": str(database),
        "BTS_TIMEZONE": "Europe/Paris",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [
            str(dbt), *arguments[:1],
            "--profiles-dir", str(DBT_DIR),
            "--project-dir", str(DBT_DIR),
            "--target-path", str(workdir / "target"),
            "--log-path", str(workdir / "logs"),
            *arguments[1:],
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def read_marts(database: Path) -> dict[str, list[dict]]:
    with duckdb.connect(str(database), read_only=True) as con:
        marts = {}
        for table in MART_TABLES:
            relation = con.sql(f"select * from marts.{table}")
            columns = relation.columns
            marts[table] = [dict(zip(columns, row)) for row in relation.fetchall()]
        return marts


def keyed(rows: list[dict], *key: str) -> dict[tuple, dict]:
    result = {tuple(row[column] for column in key): row for row in rows}
    assert len(result) == len(rows), f"{key} is not a key"
    return result


def assert_row(actual: dict, expected: dict) -> None:
    """Integers and NULLs exactly; doubles to 1e-12 relative (summation order is the engine's)."""
    for column, value in expected.items():
        if isinstance(value, float):
            assert actual[column] == pytest.approx(value, rel=1e-12, abs=1e-15), column
        else:
            assert actual[column] == value, column


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("marts") / "bts.duckdb"


@pytest.fixture(scope="module")
def runs(database) -> dict[str, dict[str, list[dict]]]:
    """The marts after each of a sequence of runs, the way Dagster partitions get run."""
    workdir = database.parent
    write_raw_fixture(database)
    states = {}
    # First build, out of order: 2024-Q1 alone. previous_rank must come from
    # 2023-Q4's data, which no mart holds yet.
    dbt_build(workdir, database, "2024-Q1", "2024-Q1", "2024-05-10")
    states["first_build_2024_q1"] = read_marts(database)
    # Then the two quarters before it, incrementally.
    dbt_build(workdir, database, "2023-Q3", "2023-Q4", "2024-05-10")
    states["after_2023_q3_q4"] = read_marts(database)
    # Running 2023-Q4 again changes nothing.
    dbt_build(workdir, database, "2023-Q4", "2023-Q4", "2024-05-10")
    states["rerun_2023_q4"] = read_marts(database)
    # Run on 20 March 2024: 2024 has no complete quarter, so its year rows go.
    dbt_build(workdir, database, "2024-Q1", "2024-Q1", "2024-03-20")
    states["2024_q1_before_its_end"] = read_marts(database)
    # The 2024-Q1 posts lose their hashtags: the quarter's hashtag rows go.
    with duckdb.connect(str(database)) as con:
        con.execute("update raw.posts set text = 'plus de hashtag' where post_id in ('a5', 'b3')")
        # as ingestion does with every change to raw.posts: staging re-deduplicates these posts
        con.execute("insert into raw.changed_posts select platform, post_id from raw.posts where post_id in ('a5', 'b3')")
    dbt_build(workdir, database, "2024-Q1", "2024-Q1", "2024-05-10")
    states["2024_q1_without_hashtags"] = read_marts(database)
    return states


# --- periods and incremental runs -------------------------------------------


def test_first_build_holds_only_the_run_quarter_and_its_year(runs):
    marts = runs["first_build_2024_q1"]
    assert {row["quarter"] for row in marts["fct_account_quarter"]} == {"2024-Q1"}
    assert {row["year"] for row in marts["fct_account_year"]} == {2024}
    assert {row["quarter"] for row in marts["fct_hashtags_quarter"]} == {"2024-Q1"}


def test_a_later_run_adds_its_quarters_and_leaves_the_others_untouched(runs):
    first = runs["first_build_2024_q1"]
    later = runs["after_2023_q3_q4"]
    assert {row["quarter"] for row in later["fct_account_quarter"]} == {"2023-Q3", "2023-Q4", "2024-Q1"}
    assert {row["year"] for row in later["fct_account_year"]} == {2023, 2024}
    for table in MART_TABLES:
        if table.endswith("_quarter"):
            kept = [row for row in later[table] if row["quarter"] == "2024-Q1"]
            assert sorted(map(repr, kept)) == sorted(map(repr, first[table])), table


def test_rerunning_a_quarter_is_idempotent(runs):
    before = runs["after_2023_q3_q4"]
    after = runs["rerun_2023_q4"]
    for table in MART_TABLES:
        assert sorted(map(repr, after[table])) == sorted(map(repr, before[table])), table


def test_current_year_without_a_complete_quarter_has_no_year_rows(runs):
    marts = runs["2024_q1_before_its_end"]
    for table in ("fct_account_year", "fct_panel_year", "rank_account_year", "fct_top_posts_year"):
        assert {row["year"] for row in marts[table]} == {2023}, table
    # the quarter itself is still computed, over its 91 calendar days
    assert {row["quarter"] for row in marts["fct_account_quarter"]} == {"2023-Q3", "2023-Q4", "2024-Q1"}


def test_a_quarter_left_without_rows_is_emptied(runs):
    hashtags = runs["2024_q1_without_hashtags"]["fct_hashtags_quarter"]
    assert {row["quarter"] for row in hashtags} == {"2023-Q3", "2023-Q4"}


def test_account_marts_carry_the_period_and_account_columns(runs):
    marts = runs["after_2023_q3_q4"]
    quarter_row = keyed(marts["fct_account_quarter"], "quarter", "panel", "handle")[("2023-Q4", "x_pharma", "beta")]
    assert list(quarter_row)[:9] == [
        "quarter", "period_start", "period_end", "panel", "platform", "handle", "company", "display_name", "account_type",
    ]
    assert quarter_row["period_start"] == dt.date(2023, 10, 1)
    assert quarter_row["period_end"] == dt.date(2023, 12, 31)
    assert (quarter_row["platform"], quarter_row["company"], quarter_row["display_name"], quarter_row["account_type"]) == (
        "x", "Beta Labs", "Beta Santé", "corporate",
    )
    years = keyed(marts["fct_account_year"], "year", "panel", "handle")
    # 2023 is a past year: whole; 2024 is the run date's year (10 May 2024):
    # it ends with its last complete quarter, Q1
    assert (years[(2023, "x_pharma", "alpha")]["period_start"], years[(2023, "x_pharma", "alpha")]["period_end"]) == (
        dt.date(2023, 1, 1), dt.date(2023, 12, 31),
    )
    assert (years[(2024, "x_pharma", "alpha")]["period_start"], years[(2024, "x_pharma", "alpha")]["period_end"]) == (
        dt.date(2024, 1, 1), dt.date(2024, 3, 31),
    )


# --- fct_account_quarter / fct_account_year --------------------------------

ACCOUNT_FIGURES = (
    "posts", "likes", "comments", "reposts", "quotes", "reactions",
    "likes_per_post", "comments_per_post", "reposts_per_post", "reactions_per_post",
    "posts_per_day", "post_interaction_rate",
    "followers_start", "followers_end", "followers_growth_pct", "following_end",
)

EXPECTED_ACCOUNT_QUARTERS = {
    # 2023-Q3: 1 July to 30 September, 92 days. beta is not yet a member.
    # alpha: a1 + a2 (a3 is a repost), both on 10 July with 1200 followers:
    # r = (20 / 2) / 1200. Followers on 30 June (1000, from 1 June) and on
    # 30 September (1200, from 10 July): +20 %.
    ("2023-Q3", "x_pharma", "alpha"): (
        2, 14, 2, 4, 0, 20,
        7.0, 1.0, 2.0, 10.0,
        2 / 92, 10 / 1200,
        1000, 1200, 20.0, 110,
    ),
    # gamma: g1 at 21:30 UTC on 30 September is 23:30 in Paris: still Q3.
    # 300 followers on the 30th (from the 29th): r = 50 / 300. Its count on
    # 30 June is 0: no growth.
    ("2023-Q3", "x_pharma", "gamma"): (
        1, 40, 0, 10, 0, 50,
        40.0, 0.0, 10.0, 50.0,
        1 / 92, 50 / 300,
        0, 300, None, 6,
    ),
    # delta never posts and has no snapshot: a row all the same.
    ("2023-Q3", "x_pharma", "delta"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        None, None, None, None,
    ),
    # alpha on Instagram: no post in Q3; first snapshot on 30 September.
    ("2023-Q3", "ig_corporate", "alpha"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        None, 10000, None, 50,
    ),
    # epsilon: 800 carried from 31 December 2022 to both ends.
    ("2023-Q3", "ig_corporate", "epsilon"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        800, 800, 0.0, 8,
    ),
    # 2023-Q4: 92 days. gamma left on 30 September; beta joined on 15 November.
    # alpha: only a4 (the export with 30 reactions), a5 is 2024 in Paris.
    # 1500 followers on 2 October: r = 30 / 1500. Start 1200, end 2000 (15
    # December, a snapshot without following: following_end NULL).
    ("2023-Q4", "x_pharma", "alpha"): (
        1, 20, 5, 5, 0, 30,
        20.0, 5.0, 5.0, 30.0,
        1 / 92, 30 / 1500,
        1200, 2000, 100 * 800 / 1200, None,
    ),
    # beta: b1 of 20 October counts although beta joined on 15 November;
    # its follower count is unknown that day (first snapshot 25 October).
    ("2023-Q4", "x_pharma", "beta"): (
        1, 30, 10, 10, 0, 50,
        30.0, 10.0, 10.0, 50.0,
        1 / 92, None,
        None, 400, None, 40,
    ),
    ("2023-Q4", "x_pharma", "delta"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        None, None, None, None,
    ),
    # alpha on Instagram: i1 (220 on 3 October) and i3 (250 on 11 November),
    # 10000 followers both days; the story i2 is not counted.
    # rate = (220 / 10000 + 250 / 10000) / 2 = (0.022 + 0.025) / 2.
    ("2023-Q4", "ig_corporate", "alpha"): (
        2, 440, 30, 0, 0, 470,
        220.0, 15.0, 0.0, 235.0,
        2 / 92, (0.022 + 0.025) / 2,
        10000, 11000, 10.0, 55,
    ),
    # epsilon: e1 and e2 on the same day, 1000 followers (snapshot that very
    # day): one day, r = (80 / 2) / 1000 = 0.04. 800 -> 1000: +25 %.
    ("2023-Q4", "ig_corporate", "epsilon"): (
        2, 75, 5, 0, 0, 80,
        37.5, 2.5, 0.0, 40.0,
        2 / 92, 0.04,
        800, 1000, 25.0, 9,
    ),
    # 2024-Q1: 1 January to 31 March 2024, 91 days (leap year).
    # alpha: a5 (1 January in Paris, 10 / 2000) and a6 (8 / 2000).
    ("2024-Q1", "x_pharma", "alpha"): (
        2, 14, 1, 1, 2, 18,
        7.0, 0.5, 0.5, 9.0,
        2 / 91, (0.005 + 0.004) / 2,
        2000, 2500, 25.0, 130,
    ),
    # beta: b3 with 500 followers (1 January snapshot): 15 / 500.
    ("2024-Q1", "x_pharma", "beta"): (
        1, 12, 3, 0, 0, 15,
        12.0, 3.0, 0.0, 15.0,
        1 / 91, 15 / 500,
        400, 500, 25.0, 45,
    ),
    ("2024-Q1", "x_pharma", "delta"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        None, None, None, None,
    ),
    # the 31 December snapshot is both the day before Q1 and carried to its end
    ("2024-Q1", "ig_corporate", "alpha"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        11000, 11000, 0.0, 55,
    ),
    ("2024-Q1", "ig_corporate", "epsilon"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        1000, 1000, 0.0, 9,
    ),
}

EXPECTED_ACCOUNT_YEARS = {
    # 2023, 365 days. alpha/x: a1, a2, a4; days 10 July (10 / 1200) and
    # 2 October (30 / 1500). No snapshot by 31 December 2022.
    (2023, "x_pharma", "alpha"): (
        3, 34, 7, 9, 0, 50,
        34 / 3, 7 / 3, 3.0, 50 / 3,
        3 / 365, (10 / 1200 + 30 / 1500) / 2,
        None, 2000, None, None,
    ),
    # beta joined on 15 November, yet both its 2023 posts count (b2 in August,
    # b1 in October), neither with a known follower count.
    (2023, "x_pharma", "beta"): (
        2, 39, 10, 10, 0, 59,
        19.5, 5.0, 5.0, 29.5,
        2 / 365, None,
        None, 400, None, 40,
    ),
    # gamma left on 30 September, yet g2 (1 November) counts in its year:
    # days 30 September (50 / 300) and 1 November (3 / 300).
    (2023, "x_pharma", "gamma"): (
        2, 43, 0, 10, 0, 53,
        21.5, 0.0, 5.0, 26.5,
        2 / 365, (50 / 300 + 3 / 300) / 2,
        None, 300, None, 6,
    ),
    (2023, "x_pharma", "delta"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        None, None, None, None,
    ),
    (2023, "ig_corporate", "alpha"): (
        2, 440, 30, 0, 0, 470,
        220.0, 15.0, 0.0, 235.0,
        2 / 365, (0.022 + 0.025) / 2,
        None, 11000, None, 55,
    ),
    (2023, "ig_corporate", "epsilon"): (
        2, 75, 5, 0, 0, 80,
        37.5, 2.5, 0.0, 40.0,
        2 / 365, 0.04,
        800, 1000, 25.0, 9,
    ),
    # 2024 up to its last complete quarter (run date 10 May 2024): Q1, 91
    # days, so the same figures as 2024-Q1.
    (2024, "x_pharma", "alpha"): (
        2, 14, 1, 1, 2, 18,
        7.0, 0.5, 0.5, 9.0,
        2 / 91, (0.005 + 0.004) / 2,
        2000, 2500, 25.0, 130,
    ),
    (2024, "x_pharma", "beta"): (
        1, 12, 3, 0, 0, 15,
        12.0, 3.0, 0.0, 15.0,
        1 / 91, 15 / 500,
        400, 500, 25.0, 45,
    ),
    (2024, "x_pharma", "delta"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        None, None, None, None,
    ),
    (2024, "ig_corporate", "alpha"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        11000, 11000, 0.0, 55,
    ),
    (2024, "ig_corporate", "epsilon"): (
        0, 0, 0, 0, 0, 0,
        None, None, None, None,
        0.0, None,
        1000, 1000, 0.0, 9,
    ),
}


def test_account_quarters_have_one_row_per_member_with_the_hand_computed_figures(runs):
    actual = keyed(runs["after_2023_q3_q4"]["fct_account_quarter"], "quarter", "panel", "handle")
    # no row for beta in Q3, gamma in Q4, zeta (joins in June 2024), stranger
    assert set(actual) == set(EXPECTED_ACCOUNT_QUARTERS)
    for key, figures in EXPECTED_ACCOUNT_QUARTERS.items():
        assert_row(actual[key], dict(zip(ACCOUNT_FIGURES, figures)))


def test_account_years_count_the_whole_year_for_members_joining_or_leaving(runs):
    actual = keyed(runs["after_2023_q3_q4"]["fct_account_year"], "year", "panel", "handle")
    assert set(actual) == set(EXPECTED_ACCOUNT_YEARS)
    for key, figures in EXPECTED_ACCOUNT_YEARS.items():
        assert_row(actual[key], dict(zip(ACCOUNT_FIGURES, figures)))


# --- fct_panel_quarter / fct_panel_year ------------------------------------

PANEL_FIGURES = ("platform", "accounts", "mean_of_accounts", "median_of_accounts", "pooled")

EXPECTED_PANEL_2023_Q4 = {
    # x_pharma in 2023-Q4: alpha, beta, delta (92 days)
    # posts 1, 1, 0: median 1, pooled 2
    ("x_pharma", "posts"): ("x", 3, 2 / 3, 1.0, 2.0),
    # delta has no per-post figure; pooled = (20 + 30 + 0) / (1 + 1 + 0)
    ("x_pharma", "likes_per_post"): ("x", 2, 25.0, 25.0, 25.0),
    ("x_pharma", "comments_per_post"): ("x", 2, 7.5, 7.5, 15 / 2),
    ("x_pharma", "reposts_per_post"): ("x", 2, 7.5, 7.5, 15 / 2),
    ("x_pharma", "reactions_per_post"): ("x", 2, 40.0, 40.0, 80 / 2),
    ("x_pharma", "posts_per_day"): ("x", 3, (1 / 92 + 1 / 92 + 0) / 3, 1 / 92, 2 / 92),
    # only alpha has a rate; no pooled rate
    ("x_pharma", "post_interaction_rate"): ("x", 1, 0.02, 0.02, None),
    # alpha 2000, beta 400
    ("x_pharma", "followers_end"): ("x", 2, 1200.0, 1200.0, 2400.0),
    # only alpha has both ends: 100 * (2000 - 1200) / 1200
    ("x_pharma", "followers_growth_pct"): ("x", 1, 100 * 800 / 1200, 100 * 800 / 1200, 100 * 800 / 1200),
    # alpha's end snapshot has no following; beta 40
    ("x_pharma", "following_end"): ("x", 1, 40.0, 40.0, None),
    # ig_corporate in 2023-Q4: alpha (2 posts, 440 likes, 470 reactions),
    # epsilon (2 posts, 75 likes, 80 reactions)
    ("ig_corporate", "posts"): ("instagram", 2, 2.0, 2.0, 4.0),
    ("ig_corporate", "likes_per_post"): ("instagram", 2, (220 + 37.5) / 2, (220 + 37.5) / 2, 515 / 4),
    ("ig_corporate", "comments_per_post"): ("instagram", 2, (15 + 2.5) / 2, (15 + 2.5) / 2, 35 / 4),
    ("ig_corporate", "reposts_per_post"): ("instagram", 2, 0.0, 0.0, 0.0),
    ("ig_corporate", "reactions_per_post"): ("instagram", 2, (235 + 40) / 2, (235 + 40) / 2, 550 / 4),
    ("ig_corporate", "posts_per_day"): ("instagram", 2, 2 / 92, 2 / 92, 4 / 92),
    ("ig_corporate", "post_interaction_rate"): (
        "instagram", 2, ((0.022 + 0.025) / 2 + 0.04) / 2, ((0.022 + 0.025) / 2 + 0.04) / 2, None,
    ),
    ("ig_corporate", "followers_end"): ("instagram", 2, 6000.0, 6000.0, 12000.0),
    # growth 10 % and 25 %; pooled 100 * (12000 - 10800) / 10800
    ("ig_corporate", "followers_growth_pct"): ("instagram", 2, 17.5, 17.5, 100 * 1200 / 10800),
    ("ig_corporate", "following_end"): ("instagram", 2, 32.0, 32.0, None),
}

EXPECTED_PANEL_2023_X_PHARMA = {
    # x_pharma over 2023: alpha 3 posts, beta 2, gamma 2, delta 0
    "posts": ("x", 4, 7 / 4, 2.0, 7.0),
    # 34/3, 19.5, 21.5; pooled (34 + 39 + 43) / 7
    "likes_per_post": ("x", 3, (34 / 3 + 19.5 + 21.5) / 3, 19.5, 116 / 7),
    "posts_per_day": ("x", 4, (3 / 365 + 2 / 365 + 2 / 365 + 0) / 4, 2 / 365, 7 / 365),
    # no member has a count on 31 December 2022: nobody has a growth
    "followers_growth_pct": ("x", 0, None, None, None),
    # 2000, 400, 300: odd count, the middle one
    "followers_end": ("x", 3, 900.0, 400.0, 2700.0),
}


def test_panel_quarter_mean_median_and_pooled(runs):
    rows = [row for row in runs["after_2023_q3_q4"]["fct_panel_quarter"] if row["quarter"] == "2023-Q4"]
    actual = keyed(rows, "panel", "metric")
    # all ten metrics of both panels with members; none for x_campaigns
    assert set(actual) == set(EXPECTED_PANEL_2023_Q4)
    for key, figures in EXPECTED_PANEL_2023_Q4.items():
        assert_row(actual[key], dict(zip(PANEL_FIGURES, figures)))


def test_panel_year_counts_only_members_with_a_value(runs):
    rows = [row for row in runs["after_2023_q3_q4"]["fct_panel_year"] if row["year"] == 2023 and row["panel"] == "x_pharma"]
    actual = keyed(rows, "metric")
    assert len(actual) == 10
    for metric, figures in EXPECTED_PANEL_2023_X_PHARMA.items():
        assert_row(actual[(metric,)], dict(zip(PANEL_FIGURES, figures)))


def test_panels_without_members_have_no_rows(runs):
    marts = runs["after_2023_q3_q4"]
    for table in ("fct_account_quarter", "fct_account_year", "fct_panel_quarter", "fct_panel_year"):
        assert "x_campaigns" not in {row["panel"] for row in marts[table]}, table


# --- rank_account_quarter / rank_account_year ------------------------------


def ranks(rows: list[dict], period_column: str, period, panel: str, metric: str) -> dict[str, tuple]:
    return {
        row["handle"]: (row["rank"], row["previous_rank"])
        for row in rows
        if row[period_column] == period and row["panel"] == panel and row["metric"] == metric
    }


def test_ranks_share_ties_and_previous_ranks_come_from_the_previous_quarter(runs):
    rows = runs["after_2023_q3_q4"]["rank_account_quarter"]
    # Q4 posts: alpha 1, beta 1, delta 0 -> 1, 1, 3. In Q3: alpha 2 posts
    # (1st), gamma 1 (2nd), delta 0 (3rd); beta was not a member.
    assert ranks(rows, "quarter", "2023-Q4", "x_pharma", "posts") == {"alpha": (1, 1), "beta": (1, None), "delta": (3, 3)}
    # only alpha has a rate in Q4; in Q3 gamma's 50/300 beat alpha's 10/1200
    assert ranks(rows, "quarter", "2023-Q4", "x_pharma", "post_interaction_rate") == {"alpha": (1, 2)}
    # followers_end in Q4: alpha 2000, beta 400; in Q3 alpha 1200, gamma 300
    assert ranks(rows, "quarter", "2023-Q4", "x_pharma", "followers_end") == {"alpha": (1, 1), "beta": (2, None)}


def test_previous_rank_of_a_first_quarter_run_comes_from_the_data(runs):
    # 2024-Q1 was built first, before any 2023 row existed in the marts.
    rows = runs["first_build_2024_q1"]["rank_account_quarter"]
    # 2024-Q1 posts: alpha 2, beta 1, delta 0; in 2023-Q4: 1, 1, 0 -> 1, 1, 3
    assert ranks(rows, "quarter", "2024-Q1", "x_pharma", "posts") == {"alpha": (1, 1), "beta": (2, 1), "delta": (3, 3)}
    # growth in 2024-Q1: alpha 25, beta 25 (tie); in 2023-Q4 only alpha had one
    assert ranks(rows, "quarter", "2024-Q1", "x_pharma", "followers_growth_pct") == {"alpha": (1, 1), "beta": (1, None)}


def test_year_ranks_take_previous_ranks_from_the_previous_year(runs):
    rows = runs["after_2023_q3_q4"]["rank_account_year"]
    # 2023 posts: alpha 3, beta 2, gamma 2, delta 0 -> 1, 2, 2, 4. In 2022
    # alpha, gamma and delta were members with 0 posts each: all 1st; beta
    # was not a member.
    assert ranks(rows, "year", 2023, "x_pharma", "posts") == {
        "alpha": (1, 1), "beta": (2, None), "gamma": (2, 1), "delta": (4, 1),
    }
    # 2024 (year to date) posts: alpha 2, beta 1, delta 0; previous year 2023
    assert ranks(rows, "year", 2024, "x_pharma", "posts") == {"alpha": (1, 1), "beta": (2, 2), "delta": (3, 4)}


def test_rankings_hold_only_non_null_values_with_display_names(runs):
    rows = runs["after_2023_q3_q4"]["rank_account_quarter"]
    assert all(row["value"] is not None for row in rows)
    # Q4: beta 30, alpha 20; delta has no likes_per_post (no post): not
    # ranked. In Q3 gamma's 40 beat alpha's 7.
    assert ranks(rows, "quarter", "2023-Q4", "x_pharma", "likes_per_post") == {"alpha": (2, 2), "beta": (1, None)}
    beta = next(
        row for row in rows
        if row["quarter"] == "2023-Q4" and row["handle"] == "beta" and row["metric"] == "likes_per_post"
    )
    assert (beta["display_name"], beta["value"]) == ("Beta Santé", 30.0)


# --- fct_top_posts_quarter / fct_top_posts_year ----------------------------


def top_posts(rows: list[dict], period_column: str, period, panel: str) -> list[tuple]:
    selected = [row for row in rows if row[period_column] == period and row["panel"] == panel]
    return [(row["rank"], row["post_id"]) for row in sorted(selected, key=lambda row: row["rank"])]


def test_top_posts_order_by_interaction_then_reactions(runs):
    rows = runs["after_2023_q3_q4"]["fct_top_posts_quarter"]
    # e1 55/1000 = 0.055; i3 250/10000 and e2 25/1000 tie at 0.025, i3 has
    # more reactions; i1 220/10000 = 0.022. The story i2 is not counted.
    assert top_posts(rows, "quarter", "2023-Q4", "ig_corporate") == [(1, "e1"), (2, "i3"), (3, "e2"), (4, "i1")]
    # b1's follower count is unknown: only a4 qualifies
    assert top_posts(rows, "quarter", "2023-Q4", "x_pharma") == [(1, "a4")]
    top = next(row for row in rows if row["post_id"] == "a4")
    assert_row(top, {
        "handle": "alpha", "display_name": "Alpha France", "post_type": "post", "text": "#rse et #Santé #RSE",
        "permalink": "https://example.org/alpha/a4", "likes": 20, "comments": 5, "reposts": 5, "quotes": 0,
        "reactions": 30, "followers_at_publish": 1500, "post_interaction": 30 / 1500,
    })
    assert top["published_at"] == dt.datetime(2023, 10, 2, 9, 0, tzinfo=UTC)


def test_top_posts_of_a_year_include_posts_of_members_who_left(runs):
    rows = runs["after_2023_q3_q4"]["fct_top_posts_year"]
    # g1 50/300, a4 30/1500 = 0.02, a1 15/1200 = 0.0125, g2 3/300 = 0.01,
    # a2 5/1200; beta's posts have no follower count
    assert top_posts(rows, "year", 2023, "x_pharma") == [(1, "g1"), (2, "a4"), (3, "a1"), (4, "g2"), (5, "a2")]
    # a5 (31 December 23:30 UTC) is a 2024 post in Paris
    assert top_posts(rows, "year", 2024, "x_pharma") == [(1, "b3"), (2, "a5"), (3, "a6")]


# --- fct_hashtags_quarter --------------------------------------------------


def test_hashtags_are_lowercased_counted_once_per_post_by_members_only(runs):
    rows = runs["after_2023_q3_q4"]["fct_hashtags_quarter"]
    actual = {(row["quarter"], row["panel"], row["hashtag"]): (row["posts"], row["accounts"], row["reactions"]) for row in rows}
    assert actual == {
        # a1 "#RSE" (15) and g1 "#RSE" (50); the repost a3 is not counted
        ("2023-Q3", "x_pharma", "#rse"): (2, 2, 65),
        # a4 "#rse et #Santé #RSE" (30): #rse once; b1 "#santé" (50). g2
        # (gamma left) and s1 (no panel) are not members' posts
        ("2023-Q4", "x_pharma", "#rse"): (1, 1, 30),
        ("2023-Q4", "x_pharma", "#santé"): (2, 2, 80),
        # i1 "#Santé #sante": two hashtags, accents kept (220)
        ("2023-Q4", "ig_corporate", "#santé"): (1, 1, 220),
        ("2023-Q4", "ig_corporate", "#sante"): (1, 1, 220),
        # i3 "mail#nope #ÉTÉ": mail#nope is glued to a word (250)
        ("2023-Q4", "ig_corporate", "#été"): (1, 1, 250),
        # e1 "#RSE_2023" (55), e2 "#rse #RSE" (25)
        ("2023-Q4", "ig_corporate", "#rse_2023"): (1, 1, 55),
        ("2023-Q4", "ig_corporate", "#rse"): (1, 1, 25),
        # a5 "Bonne année #NouvelAn #RSE" (10, 1 January in Paris), b3 "#Santé" (15)
        ("2024-Q1", "x_pharma", "#nouvelan"): (1, 1, 10),
        ("2024-Q1", "x_pharma", "#rse"): (1, 1, 10),
        ("2024-Q1", "x_pharma", "#santé"): (1, 1, 15),
    }


# --- the contract of MARTS.md ----------------------------------------------


@pytest.mark.usefixtures("runs")
def test_marts_have_the_columns_and_types_of_the_contract(database):
    expected = {
        "fct_account_quarter": "quarter VARCHAR, period_start DATE, period_end DATE, panel VARCHAR, platform VARCHAR, handle VARCHAR, company VARCHAR, display_name VARCHAR, account_type VARCHAR, posts BIGINT, likes BIGINT, comments BIGINT, reposts BIGINT, quotes BIGINT, reactions BIGINT, likes_per_post DOUBLE, comments_per_post DOUBLE, reposts_per_post DOUBLE, reactions_per_post DOUBLE, posts_per_day DOUBLE, post_interaction_rate DOUBLE, followers_start BIGINT, followers_end BIGINT, followers_growth_pct DOUBLE, following_end BIGINT",
        "fct_panel_quarter": "quarter VARCHAR, panel VARCHAR, platform VARCHAR, metric VARCHAR, accounts BIGINT, mean_of_accounts DOUBLE, median_of_accounts DOUBLE, pooled DOUBLE",
        "rank_account_quarter": "quarter VARCHAR, panel VARCHAR, metric VARCHAR, handle VARCHAR, display_name VARCHAR, value DOUBLE, rank BIGINT, previous_rank BIGINT",
        "fct_top_posts_quarter": "quarter VARCHAR, panel VARCHAR, rank BIGINT, handle VARCHAR, display_name VARCHAR, post_id VARCHAR, published_at TIMESTAMP WITH TIME ZONE, post_type VARCHAR, text VARCHAR, permalink VARCHAR, likes BIGINT, comments BIGINT, reposts BIGINT, quotes BIGINT, reactions BIGINT, followers_at_publish BIGINT, post_interaction DOUBLE",
        "fct_hashtags_quarter": "quarter VARCHAR, panel VARCHAR, hashtag VARCHAR, posts BIGINT, accounts BIGINT, reactions BIGINT",
    }
    with duckdb.connect(str(database), read_only=True) as con:
        def columns(table: str) -> str:
            described = con.execute(f"describe marts.{table}").fetchall()
            return ", ".join(f"{name} {column_type}" for name, column_type, *_ in described)

        for table, signature in expected.items():
            assert columns(table) == signature, table
            year_table = table.replace("_quarter", "_year")
            if year_table != "fct_hashtags_year":
                assert columns(year_table) == signature.replace("quarter VARCHAR", "year INTEGER"), year_table


def stored_failures(database: Path, table_prefix: str, columns: str) -> list[tuple]:
    """The failing rows a data test run with --store-failures kept (the one table named `table_prefix...`), ordered by `columns`."""
    with duckdb.connect(str(database), read_only=True) as con:
        (schema, table), = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like '%dbt_test__audit' and table_name like ?",
            [table_prefix + "%"],
        ).fetchall()
        return con.execute(f'select {columns} from "{schema}"."{table}" order by {columns}').fetchall()


def test_one_data_test_checks_the_non_null_columns_and_names_those_holding_nulls(runs, database, tmp_path):
    """`not_null_columns` (dbt/tests/generic): one scan for all of a model's non-null columns; it passed in every build above."""
    broken = tmp_path / "broken.duckdb"
    shutil.copyfile(database, broken)
    with duckdb.connect(str(broken)) as con:
        rows = con.execute("select count(*) from marts.fct_account_quarter").fetchone()[0]
        con.execute("update marts.fct_account_quarter set likes = null where rowid = (select min(rowid) from marts.fct_account_quarter)")
        con.execute("update marts.fct_account_quarter set posts_per_day = null")
        con.execute("update marts.fct_account_quarter set company = null")  # allowed to be NULL: not listed
    completed = run_dbt(
        tmp_path, broken, "test", "--select", "fct_account_quarter,test_name:not_null_columns", "--store-failures",
        "--vars", json.dumps({"bts_quarter_from": "2024-Q1", "bts_quarter_to": "2024-Q1", "bts_run_date": "2024-05-10"}),
    )
    assert completed.returncode == 1, completed.stdout[-4000:]
    assert "Got 2 results" in completed.stdout
    assert stored_failures(broken, "not_null_columns_fct_account_q", "column_name, null_rows") == [("likes", 1), ("posts_per_day", rows)]


def test_the_compound_key_test_names_each_repeated_key_with_its_occurrences(runs, database, tmp_path):
    """`unique_combination_of_columns` (dbt/tests/generic) finds repeats by sorting hashes: it names every repeated key, once, and no other."""
    broken = tmp_path / "broken.duckdb"
    shutil.copyfile(database, broken)
    with duckdb.connect(str(broken)) as con:
        keys = con.execute(
            "select quarter, panel, handle from marts.fct_account_quarter order by quarter, panel, handle limit 2"
        ).fetchall()
        first, second = keys
        # the first key three times, the second twice; a row whose key only differs by its panel stays unique
        repeat = "insert into marts.fct_account_quarter select * from marts.fct_account_quarter where quarter = ? and panel = ? and handle = ?"
        for key in (first, first, second):
            con.execute(repeat + " limit 1", list(key))
        con.execute(
            "insert into marts.fct_account_quarter select * replace ('not a panel' as panel) "
            "from marts.fct_account_quarter where rowid = (select min(rowid) from marts.fct_account_quarter)"
        )
    completed = run_dbt(
        tmp_path, broken, "test", "--select", "fct_account_quarter,test_name:unique_combination_of_columns", "--store-failures",
        "--vars", json.dumps({"bts_quarter_from": "2024-Q1", "bts_quarter_to": "2024-Q1", "bts_run_date": "2024-05-10"}),
    )
    assert completed.returncode == 1, completed.stdout[-4000:]
    assert "Got 2 results" in completed.stdout
    assert stored_failures(broken, "unique_combination_of_columns_", "quarter, panel, handle, occurrences") == [(*first, 3), (*second, 2)]


def test_a_build_drops_the_tables_of_replaced_models(runs, database, tmp_path):
    """A warehouse built before int_counted_posts_enriched and int_post_hashtags_extracted were replaced loses them."""
    older = tmp_path / "older.duckdb"
    shutil.copyfile(database, older)
    replaced = ("int_counted_posts_enriched", "int_post_hashtags_extracted")
    with duckdb.connect(str(older)) as con:
        for name in replaced:
            con.execute(f"create table intermediate.{name} as select 1 as post_id")
    completed = run_dbt(
        tmp_path, older, "run", "--select", "int_periods_enumerated",
        "--vars", json.dumps({"bts_quarter_from": "2024-Q1", "bts_quarter_to": "2024-Q1", "bts_run_date": "2024-05-10"}),
    )
    assert completed.returncode == 0, completed.stdout[-4000:]
    with duckdb.connect(str(older), read_only=True) as con:
        tables = {row[0] for row in con.execute("select table_name from information_schema.tables where table_schema = 'intermediate'").fetchall()}
    assert not tables & set(replaced)
    assert {"int_top_post_candidates", "int_account_hashtags_aggregated", "int_periods_enumerated"} <= tables
