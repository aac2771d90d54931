"""A small analysts' database for the report tests, built without the pipeline.

Two panels (one on X, one on Instagram) over 2023-Q1..Q4 and the years 2022
and 2023, with the MARTS.md tables. Account rows are made up with a fixed
seed; the panel, ranking and year tables are derived from them in SQL the way
METRICS.md defines them, so that the figures are consistent with each other.
One post carries markup in its text and one a `javascript:` permalink.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb

MARKUP_TEXT = '<script>alert(1)</script><b>bold</b> & "quotes"'
X_PANEL = "x_pharma_test"
IG_PANEL = "ig_corporate_test"

ACCOUNTS = {
    (X_PANEL, "x"): [
        ("amgenfrance", "Amgen", "Amgen France"),
        ("janssenfrance", "Janssen", "Janssen France"),
        ("pfizerfrance", "Pfizer", "Pfizer France"),
        ("bayerfrance", "Bayer", "Bayer France"),
        ("sanofi", "Sanofi", "Sanofi"),
        ("boehringerfr", "Boehringer Ingelheim", "Boehringer Ingelheim France"),
    ],
    (IG_PANEL, "instagram"): [
        ("amgen.france", "Amgen", "Amgen France"),
        ("leopharmafrance", "LEO Pharma", "LEO Pharma France"),
        ("bayer.france", "Bayer", "Bayer France"),
        ("lillyfrance", "Lilly", "Lilly France"),
    ],
}
# Joined Instagram in 2023: no follower count before, so its growth is "nouveau".
NEW_ACCOUNT = "amgen.france"
# Published nothing in 2023-Q3: its per-post figures are NULL that quarter.
SILENT_ACCOUNT, SILENT_QUARTER = "sanofi", "2023-Q3"
QUARTERS = ["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]
PANEL_METRICS = [
    "posts", "likes_per_post", "comments_per_post", "reposts_per_post", "reactions_per_post", "posts_per_day",
    "post_interaction_rate", "followers_end", "followers_growth_pct", "following_end",
]

ACCOUNT_COLUMNS = """
    panel varchar, platform varchar, handle varchar, company varchar, display_name varchar, account_type varchar,
    posts bigint, likes bigint, comments bigint, reposts bigint, quotes bigint, reactions bigint,
    likes_per_post double, comments_per_post double, reposts_per_post double, reactions_per_post double,
    posts_per_day double, post_interaction_rate double, followers_start bigint, followers_end bigint,
    followers_growth_pct double, following_end bigint
"""


def _quarter_bounds(label: str) -> tuple[dt.date, dt.date]:
    year, number = int(label[:4]), int(label[-1])
    start = dt.date(year, 3 * number - 2, 1)
    end = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)
    return start, end - dt.timedelta(days=1)


def _account_row(panel, platform, handle, company, name, posts, days, rng, followers_start, followers_end):
    likes = sum(rng.randint(0, 9) for _ in range(posts)) if platform == "x" else rng.randint(15, 40) * posts
    comments = rng.randint(0, posts)
    reposts = rng.randint(0, posts) if platform == "x" else 0
    quotes = rng.randint(0, posts // 3) if platform == "x" else 0
    reactions = likes + comments + reposts + quotes

    def per_post(total):
        return total / posts if posts else None

    rate = None
    if posts and followers_end:
        rate = round(reactions / posts / followers_end * rng.uniform(0.8, 1.2), 6)
    growth = None
    if followers_start and followers_end is not None:
        growth = 100 * (followers_end - followers_start) / followers_start
    return (panel, platform, handle, company, name, "company", posts, likes, comments, reposts, quotes, reactions,
            per_post(likes), per_post(comments), per_post(reposts), per_post(reactions), posts / days, rate,
            followers_start, followers_end, growth, rng.randint(50, 900))


def write_analytics_db(path: Path, with_landing_files: bool = False, extra_x_accounts: int = 0) -> Path:
    """Writes the test marts to a new DuckDB file at path and returns it; extra X accounts make a large panel."""
    rng = random.Random(20231231)
    panels = {key: list(accounts) for key, accounts in ACCOUNTS.items()}
    panels[(X_PANEL, "x")] += [(f"account{index:03d}", f"Company {index}", f"Company {index} France")
                               for index in range(extra_x_accounts)]
    connection = duckdb.connect(str(path))
    connection.execute("create schema marts")
    for grain, period_type in (("quarter", "varchar"), ("year", "integer")):
        connection.execute(f"create table account_{grain} ({grain} {period_type}, period_start date, "
                           f"period_end date, {ACCOUNT_COLUMNS})")
    for (panel, platform), accounts in panels.items():
        for handle, company, name in accounts:
            base = rng.randint(300, 12000)
            start_2022 = None if handle == NEW_ACCOUNT else int(base * 0.8)
            end_2022 = None if handle == NEW_ACCOUNT else base
            year_posts = rng.randint(20, 90)
            connection.execute(
                "insert into account_year values (2022, '2022-01-01', '2022-12-31', " + ", ".join("?" * 22) + ")",
                _account_row(panel, platform, handle, company, name, year_posts, 365, rng, start_2022, end_2022),
            )
            followers = end_2022
            for quarter in QUARTERS:
                start, end = _quarter_bounds(quarter)
                posts = 0 if (handle, quarter) == (SILENT_ACCOUNT, SILENT_QUARTER) else rng.randint(3, 40)
                followers_end = (followers or rng.randint(900, 1100)) + rng.randint(-20, 400)
                connection.execute(
                    "insert into account_quarter values (?, ?, ?, " + ", ".join("?" * 22) + ")",
                    (quarter, start, end,
                     *_account_row(panel, platform, handle, company, name, posts, (end - start).days + 1, rng,
                                   followers, followers_end)),
                )
                followers = followers_end
    connection.execute("""
        insert into account_year
        select
            2023, '2023-01-01', '2023-12-31', panel, platform, handle, company, display_name, account_type,
            sum(posts), sum(likes), sum(comments), sum(reposts), sum(quotes), sum(reactions),
            sum(likes) / nullif(sum(posts), 0), sum(comments) / nullif(sum(posts), 0),
            sum(reposts) / nullif(sum(posts), 0), sum(reactions) / nullif(sum(posts), 0), sum(posts) / 365,
            avg(post_interaction_rate),
            arg_min_null(followers_start, quarter), arg_max_null(followers_end, quarter),
            100 * (arg_max_null(followers_end, quarter) - arg_min_null(followers_start, quarter))
                / nullif(arg_min_null(followers_start, quarter), 0),
            arg_max_null(following_end, quarter)
        from account_quarter
        group by all
    """)
    days = "(period_end - period_start + 1)"
    for grain in ("quarter", "year"):
        connection.execute(f"create table marts.fct_account_{grain} as select * from account_{grain}")
        unpivot = " union all ".join(
            f"select {grain}, panel, platform, handle, display_name, '{metric}' as metric, {metric}::double as value, "
            f"period_start, period_end from account_{grain}"
            for metric in PANEL_METRICS
        )
        connection.execute(f"create table long_{grain} as {unpivot}")
        connection.execute(f"""
            create table marts.fct_panel_{grain} as
            with totals as (
                select {grain}, panel,
                    sum(posts) as posts, sum(likes) as likes, sum(comments) as comments, sum(reposts) as reposts,
                    sum(reactions) as reactions, sum(followers_end) as followers_end, any_value({days}) as days
                from account_{grain} group by all
            )
            select
                long.{grain}, long.panel, any_value(long.platform) as platform, long.metric,
                count(long.value) as accounts, avg(long.value) as mean_of_accounts,
                median(long.value) as median_of_accounts,
                case long.metric
                    when 'posts' then any_value(totals.posts)
                    when 'likes_per_post' then any_value(totals.likes) / nullif(any_value(totals.posts), 0)
                    when 'comments_per_post' then any_value(totals.comments) / nullif(any_value(totals.posts), 0)
                    when 'reposts_per_post' then any_value(totals.reposts) / nullif(any_value(totals.posts), 0)
                    when 'reactions_per_post' then any_value(totals.reactions) / nullif(any_value(totals.posts), 0)
                    when 'posts_per_day' then any_value(totals.posts) / any_value(totals.days)
                    when 'followers_end' then any_value(totals.followers_end)
                end as pooled
            from long_{grain} as long
            inner join totals on totals.{grain} = long.{grain} and totals.panel = long.panel
            group by long.{grain}, long.panel, long.metric
        """)
        previous = "'2023-Q' || (right(ranked.quarter, 1)::int - 1)" if grain == "quarter" else "ranked.year - 1"
        connection.execute(f"""
            create table marts.rank_account_{grain} as
            with ranked as (
                select {grain}, panel, metric, handle, display_name, value,
                    rank() over (partition by {grain}, panel, metric order by value desc) as rank
                from long_{grain} where value is not null
            )
            select ranked.*, earlier.rank as previous_rank
            from ranked
            left join ranked as earlier
                on earlier.{grain} = {previous} and earlier.panel = ranked.panel
                and earlier.metric = ranked.metric and earlier.handle = ranked.handle
        """)
    _write_posts(connection, rng)
    if with_landing_files:
        connection.execute(
            "create table marts.landing_files (path varchar, format varchar, rows bigint, loaded_at timestamptz)"
        )
        connection.execute("""insert into marts.landing_files values
            ('x/tweets_2023.csv', 'x_tweet_activity', 1234, '2024-01-05 09:30:00+00'),
            ('instagram/posts_2023.csv', 'instagram_posts', 321, '2024-01-05 09:31:00+00')""")
    connection.close()
    return path


def _write_posts(connection: duckdb.DuckDBPyConnection, rng: random.Random) -> None:
    connection.execute("""create table marts.fct_top_posts_quarter (
        quarter varchar, panel varchar, rank integer, handle varchar, display_name varchar, post_id varchar,
        published_at timestamptz, post_type varchar, text varchar, permalink varchar, likes bigint, comments bigint,
        reposts bigint, quotes bigint, reactions bigint, followers_at_publish bigint, post_interaction double)""")
    connection.execute("""create table marts.fct_hashtags_quarter (
        quarter varchar, panel varchar, hashtag varchar, posts bigint, accounts bigint, reactions bigint)""")
    for (panel, platform), accounts in ACCOUNTS.items():
        for quarter in QUARTERS:
            start, _ = _quarter_bounds(quarter)
            for rank in range(1, 6):
                handle, _, name = accounts[(rank * 7 + int(quarter[-1])) % len(accounts)]
                likes, comments = rng.randint(20, 300), rng.randint(0, 30)
                reposts, quotes = (rng.randint(0, 60), rng.randint(0, 5)) if platform == "x" else (0, 0)
                post_interaction = round(0.08 / rank, 5)  # stored in rank order, as METRICS.md ranks them
                reactions = likes + comments + reposts + quotes
                text = f"Post {rank} de {name} au {quarter} #RSE #santé"
                permalink = f"https://example.org/{handle}/{quarter}/{rank}"
                if (panel, quarter, rank) == (X_PANEL, "2023-Q4", 1):
                    text = MARKUP_TEXT
                if (panel, quarter, rank) == (X_PANEL, "2023-Q4", 2):
                    permalink = "javascript:alert(2)"
                if (panel, quarter, rank) == (IG_PANEL, "2023-Q4", 1):
                    text = "Merci à toutes et à tous 🎉\nRendez-vous en 2024 ! #RSE"  # an emoji the PDF font lacks
                connection.execute(
                    "insert into marts.fct_top_posts_quarter values (" + ", ".join("?" * 17) + ")",
                    (quarter, panel, rank, handle, name, f"{panel}-{quarter}-{rank}",
                     dt.datetime(start.year, start.month, 10 + rank, 9 + rank, 30, tzinfo=dt.timezone.utc),
                     "post" if platform == "x" else "image", text, permalink, likes, comments, reposts, quotes,
                     reactions, round(reactions / post_interaction), post_interaction),
                )
            for index, hashtag in enumerate(["#rse", "#santé", "#embraceequity", "#ecogestes", "#commited4good"]):
                connection.execute("insert into marts.fct_hashtags_quarter values (?, ?, ?, ?, ?, ?)",
                                   (quarter, panel, hashtag, 12 - 2 * index, 3, 400 - 50 * index))
