"""Every mart of a real `bts run`, row by row and value by value, against an independent reference.

The pipeline will be checked against another implementation of the spec on
data nobody here has seen. tests/reference_marts.py is such an
implementation, written from LANDING.md and METRICS.md alone (never from the
dbt models); this file runs `bts run --all` as a user does, on

  a. the demo landing, default timezone;
  b. an adversarial landing written below, aimed at the edges of the spec
     (membership mid-period, one handle in two panels, mixed case, empty
     panel, snapshots at 0, missing, only after, carried forward, `following`
     empty, ties everywhere, previous ranks across quarters and years,
     duplicates across files, reposts and stories, midnight and DST in local
     time, hashtag syntax, a year to date, a leap year), Europe/Paris;
  c. the same adversarial landing in America/New_York, where posts change
     days, quarters and years;
  d. a small landing where the kept observation of a post (LANDING.md 4) is
     in another quarter than an older one;

and compares all nine tables of MARTS.md with the reference: the same keys,
texts and integers exactly, doubles to 1e-9 relative, NULL for NULL,
timestamps as instants. A failure names the table, the key, the column, the
expected and the found values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from dagster_project.generate import write_demo_landing
from pipeline_runs import BTS, REPO, RUN_DATE, environment
from reference_marts import (
    SNOWFLAKE_EPOCH_MS,
    TABLES,
    hashtags_of,
    quarter,
    quarters_with_posts,
    read_landing,
    reference_marts,
    same_value,
)

# One fixed query per table: no SQL text is built from values.
MART_QUERIES = {
    "fct_account_quarter": "select * from marts.fct_account_quarter",
    "fct_account_year": "select * from marts.fct_account_year",
    "fct_panel_quarter": "select * from marts.fct_panel_quarter",
    "fct_panel_year": "select * from marts.fct_panel_year",
    "rank_account_quarter": "select * from marts.rank_account_quarter",
    "rank_account_year": "select * from marts.rank_account_year",
    "fct_top_posts_quarter": "select * from marts.fct_top_posts_quarter",
    "fct_top_posts_year": "select * from marts.fct_top_posts_year",
    "fct_hashtags_quarter": "select * from marts.fct_hashtags_quarter",
}
ADVERSARIAL_RUN_DATE = "2025-08-15"  # mid 2025-Q3: 2025 is a year to date ending 2025-06-30
NEW_YORK = "America/New_York"
SHOWN_MISMATCHES = 8

pytestmark = pytest.mark.slow


# --- the adversarial landing -------------------------------------------------------------------------

ACCOUNTS_CSV = """\
panel,platform,handle,company,display_name,account_type,member_from,member_to
x_pharma,x,SanofiFR,Sanofi,Sanofi France,corporate,,
x_pharma,x,RocheFR,Roche,Roche France,corporate,2023-05-15,
x_pharma,x,pfizer_fr,Pfizer,Pfizer France,corporate,,2024-08-10
x_pharma,x,Zeta_Lab,Zeta,Zeta Lab,corporate,,
x_pharma,x,alpha_lab,Alpha,"Alpha Lab, Inc.",corporate,,
x_pharma,x,ipsen,Ipsen,Ipsen,corporate,2024-03-31,
x_pharma,x,silentco,Silent,Silent Co,corporate,,
x_pharma,x,novartis,Novartis,Novartis France,corporate,,2024-07-01
x_pharma,x,futureco,Future,Future Co,corporate,2026-01-01,
x_rse,x,NOVARTIS,Novartis,Novartis RSE,campaign,,
x_rse,x,sanofifr,Sanofi,Sanofi RSE,campaign,2024-01-01,
x_old,x,oldco,Old,Old Co,corporate,,2022-06-30
ig_brand,instagram,LeoPharma,LEO,LEO Pharma France,corporate,,
ig_brand,instagram,bayer_fr,Bayer,Bayer France,corporate,,
ig_brand,instagram,amgen.fr,Amgen,Amgen France,corporate,2024-02-10,
ig_brand,instagram,lilly_fr,Lilly,Lilly France,corporate,,2025-03-01
ig_solo,instagram,bayer_fr,Bayer,Bayer (solo),corporate,,2023-03-31
x_pharma,x,Pfizer_FR,Pfizer,Pfizer France (retour),corporate,2025-02-01,
x_pharma,x,novartis,Novartis,Novartis (retour),corporate,2024-09-01,2024-09-30
x_pharma,x,ZETA_LAB,Zeta,Zeta Lab,corporate,2024-01-01,2024-06-30
"""

# (platform, handle as written, date as written, followers, following)
SNAPSHOTS = {
    "followers/x_2023.csv": [
        ("x", "SanofiFR", "2022-12-31", 2000, 300),
        ("x", "sanofifr", "2023-06-30", 2000, 310),
        ("x", "sanofifr", "2023-09-15", 2100, 320),
        ("x", "RocheFR", "2023-02-01", 800, 100),
        ("x", "pfizer_fr", "2022-12-31", 0, 10),
        ("x", "pfizer_fr", "2023-02-01", 500, 12),
        ("x", "alpha_lab", "2022-12-31", 1000, 50),
        ("x", "zeta_lab", "2022-12-31", 1000, 50),
        ("x", "novartis", "2023-01-15", 1500, ""),
        ("x", "novartis", "2023-12-31", 1600, 90),
        ("x", "oldco", "2022-01-01", 50, 5),
    ],
    # the same rows again (one snapshot each), and some more, re-saved by a French spreadsheet
    "followers/copie/x_2023_2024_excel.csv": [
        ("x", "sanofifr", "31/12/2023", 2000, 330),
        ("x", "SANOFIFR", "30/06/2023", 2000, 310),
        ("x", "sanofifr", "31/03/2024", 2000, ""),
        ("x", "sanofifr", "15/06/2024", 2200, 340),
        ("x", "rochefr", "15/01/2024", 1000, 100),
        ("x", "alpha_lab", "01/01/2024", 1000, 50),
        ("x", "Zeta_Lab", "01/01/2024", 1000, 50),
        ("x", "ipsen", "01/02/2024", 700, 70),
        ("x", "pfizer_fr", "31/12/2024", 400, 12),
        ("x", "novartis", "31/12/2024", 1600, 90),
        ("x", "sanofifr", "01/03/2025", 2500, 350),
        ("x", "sanofifr", "01/07/2025", 9999, 999),
    ],
    "followers/instagram_utf16.csv": [
        ("instagram", "leopharma", "2022-12-31", 3000, 10),
        ("instagram", "LeoPharma", "2024-06-30", 3300, 11),
        ("instagram", "leopharma", "2025-06-30", 3600, 12),
        ("instagram", "bayer_fr", "2022-12-31", 0, 0),
        ("instagram", "bayer_fr", "2023-12-31", 1200, 20),
        ("instagram", "bayer_fr", "2024-12-31", 1500, 25),
        ("instagram", "amgen.fr", "2024-05-01", 400, 5),
        ("instagram", "lilly_fr", "2023-01-01", 900, 9),
    ],
}

TWEET_ACTIVITY_COLUMNS = [
    "Tweet id", "Tweet permalink", "Tweet text", "time", "impressions", "engagements", "engagement rate",
    "retweets", "replies", "likes", "user profile clicks", "url clicks", "hashtag clicks", "detail expands",
    "permalink clicks", "app opens", "app installs", "follows", "email tweet", "dial phone", "media views",
    "media engagements", "promoted impressions", "promoted engagements", "promoted engagement rate",
    "promoted retweets", "promoted replies", "promoted likes", "promoted user profile clicks", "promoted url clicks",
    "promoted hashtag clicks", "promoted detail expands", "promoted permalink clicks", "promoted app opens",
    "promoted app installs", "promoted follows", "promoted email tweet", "promoted dial phone",
    "promoted media views", "promoted media engagements",
]
X_CONTENT_COLUMNS = [
    "Post id", "Date", "Post text", "Post Link", "Impressions", "Likes", "Engagements", "Bookmarks", "Shares",
    "New follows", "Replies", "Reposts", "Profile visits", "Detail Expands", "URL Clicks", "Hashtag Clicks",
    "Permalink Clicks",
]
META_COLUMNS = [
    "Post ID", "Account ID", "Account username", "Account name", "Description", "Duration (sec)", "Publish time",
    "Permalink", "Post type", "Data comment", "Date", "Views", "Reach", "Likes", "Shares", "Follows", "Comments",
    "Saves",
]
CANONICAL_COLUMNS = ["platform", "handle", "post_id", "published_at", "post_type", "text", "likes", "comments",
                     "reposts", "quotes", "impressions", "permalink"]


def snowflake(instant: dt.datetime, sequence: int = 0) -> str:
    """An X post id whose Snowflake timestamp is `instant`."""
    milliseconds = round(instant.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
    return str((milliseconds << 22) | sequence)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


class AdversarialLanding:
    """Posts of every format, gathered per file, then written with each file's own encoding and layout."""

    def __init__(self):
        self.canonical: dict[str, list[dict]] = {}
        self.tweet_activity: dict[str, list[dict]] = {}
        self.x_content: dict[str, list[dict]] = {}
        self.meta: dict[str, list[dict]] = {}
        self.sequence = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    def post(self, file: str, platform: str, handle: str, published_at: str, post_type: str = "post", text: str = "",
             likes: int = 0, comments: int = 0, reposts: int = 0, quotes: int = 0, impressions: int | str = "",
             post_id: str | None = None, permalink: str = "") -> str:
        if post_id is None:
            post_id = (snowflake(dt.datetime.fromisoformat(published_at).astimezone(dt.timezone.utc),
                                 self.next_sequence())
                       if platform == "x" and "/" not in published_at and "+" in published_at
                       else str(17_900_000_000_000_000 + self.next_sequence()))
        self.canonical.setdefault(file, []).append(dict(
            platform=platform, handle=handle, post_id=post_id, published_at=published_at, post_type=post_type,
            text=text, likes=likes, comments=comments, reposts=reposts, quotes=quotes, impressions=impressions,
            permalink=permalink))
        return post_id

    def tweet(self, file: str, handle: str, instant: str, text: str, likes: int, replies: int = 0,
              retweets: int = 0, impressions: int = 100, post_id: str | None = None) -> str:
        """A tweet-activity row; `instant` is UTC, to the minute, as the export writes it."""
        post_id = post_id or snowflake(utc(instant), self.next_sequence())
        self.tweet_activity.setdefault(file, []).append(dict(
            id=post_id, handle=handle, text=text, time=utc(instant).strftime("%Y-%m-%d %H:%M +0000"),
            likes=likes, replies=replies, retweets=retweets, impressions=impressions))
        return post_id

    def content(self, file: str, handle: str, instant: str, text: str, likes: int, replies: int = 0,
                reposts: int = 0, impressions: int = 100) -> str:
        moment = utc(instant)
        post_id = snowflake(moment, self.next_sequence())
        self.x_content.setdefault(file, []).append(dict(
            id=post_id, date=f"{moment:%a}, {moment:%b} {moment.day}, {moment.year}", text=text, handle=handle,
            likes=likes, replies=replies, reposts=reposts, impressions=impressions))
        return post_id

    def instagram(self, file: str, handle: str, local_time: str, post_type: str, text: str, likes: int,
                  comments: int, views: int) -> str:
        """A Meta Business Suite row; `local_time` is MM/DD/YYYY HH:MM in the reporting timezone."""
        post_id = str(18_000_000_000_000_000 + self.next_sequence())
        self.meta.setdefault(file, []).append(dict(
            id=post_id, handle=handle, time=local_time, type=post_type, text=text, likes=likes, comments=comments,
            views=views))
        return post_id

    def write(self, root: Path, accounts: str = ACCOUNTS_CSV, snapshots: dict = SNAPSHOTS) -> Path:
        def put(relative: str, data: bytes) -> None:
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            assert not path.exists(), relative
            path.write_bytes(data)

        def csv_text(rows: list[list], delimiter: str = ",", crlf: bool = False, quote_all: bool = False) -> str:
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n",
                       quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
            return buffer.getvalue()

        put("accounts.csv", accounts.encode())
        for relative, rows in snapshots.items():
            header = ["platform", "handle", "date", "followers", "following"]
            if "excel" in relative:  # `;`, Windows-1252, CRLF, DD/MM/YYYY, no-break-space thousands
                rows = [[f"{value // 1000}\u00a0{value % 1000:03d}" if isinstance(value, int) and value >= 1000
                         else value for value in row] for row in rows]
                put(relative, csv_text([header, *rows], ";", crlf=True).encode("cp1252"))
            elif "utf16" in relative:
                put(relative, csv_text([header, *rows]).encode("utf-16"))
            else:
                put(relative, csv_text([header, *rows]).encode())
        for relative, posts in self.canonical.items():
            rows = [CANONICAL_COLUMNS] + [[post[column] for column in CANONICAL_COLUMNS] for post in posts]
            if "excel" in relative:  # French Excel: `;`, Windows-1252, CRLF, no-break space thousands
                for row in rows[1:]:
                    for index in range(6, 11):
                        if isinstance(row[index], int) and row[index] >= 1000:
                            row[index] = f"{row[index] // 1000}\u00a0{row[index] % 1000:03d}"
                put(relative, csv_text(rows, ";", crlf=True).encode("cp1252"))
            elif "reordered" in relative:  # columns in another order, and one more
                order = list(reversed(CANONICAL_COLUMNS)) + ["source"]
                put(relative, csv_text([order] + [[dict(zip(CANONICAL_COLUMNS, row)).get(column, "outil")
                                                   for column in order] for row in rows[1:]]).encode("utf-8-sig"))
            else:
                put(relative, csv_text(rows).encode())
        for relative, tweets in self.tweet_activity.items():
            columns = [("favorites" if "favorites" in relative and column == "likes" else column)
                       for column in TWEET_ACTIVITY_COLUMNS]
            rows = [columns]
            for tweet in tweets:
                engagements = tweet["likes"] + tweet["replies"] + tweet["retweets"]
                values = {"Tweet id": tweet["id"],
                          "Tweet permalink": f"https://twitter.com/{tweet['handle']}/status/{tweet['id']}",
                          "Tweet text": tweet["text"], "time": tweet["time"],
                          "impressions": f"{tweet['impressions']}.0", "engagements": f"{engagements}.0",
                          "engagement rate": str(engagements / tweet["impressions"]),
                          "retweets": f"{tweet['retweets']}.0", "replies": f"{tweet['replies']}.0",
                          "likes": f"{tweet['likes']}.0"}
                rows.append([values.get(column, "-" if column.startswith("promoted") else "0")
                             for column in TWEET_ACTIVITY_COLUMNS])
            put(relative, csv_text(rows, quote_all=True).encode())
        for relative, posts in self.x_content.items():
            rows = [X_CONTENT_COLUMNS]
            for post in posts:
                values = {"Post id": post["id"], "Date": post["date"], "Post text": post["text"],
                          "Post Link": f"https://x.com/{post['handle']}/status/{post['id']}",
                          "Impressions": post["impressions"], "Likes": post["likes"],
                          "Replies": post["replies"], "Reposts": post["reposts"]}
                rows.append([values.get(column, 0) for column in X_CONTENT_COLUMNS])
            put(relative, csv_text(rows).encode())
        for relative, posts in self.meta.items():
            columns = [("Impressions" if "older" in relative and column == "Views" else column)
                       for column in META_COLUMNS]
            rows = [columns]
            for post in posts:
                values = {"Post ID": post["id"], "Account ID": "17841400000000001", "Account username": post["handle"],
                          "Account name": post["handle"].title(), "Description": post["text"],
                          "Duration (sec)": "0", "Publish time": post["time"],
                          "Permalink": f"https://www.instagram.com/p/{post['id'][-8:]}/", "Post type": post["type"],
                          "Data comment": "", "Date": "Lifetime", "Views": f"{post['views']:,}", "Reach": "1,000",
                          "Likes": f"{post['likes']:,}", "Shares": "0", "Follows": "0",
                          "Comments": f"{post['comments']:,}", "Saves": "0"}
                rows.append([values[column] for column in META_COLUMNS])
            put(relative, csv_text(rows).encode("utf-8-sig"))
        return root


def bulk_posts(landing: AdversarialLanding) -> None:
    """Ordinary posts of every member in every quarter from 2023-Q1 to 2025-Q2, deterministic.

    They stay away from local midnight in both timezones (09:00 to 18:59 UTC)
    and their interaction stays under 0.1, below the hand-made top posts. The
    twins alpha_lab and zeta_lab publish identical posts at identical instants
    (every figure ties), under ids whose text order and numeric order differ.
    """
    rng = random.Random(20250815)
    x_accounts = {"SanofiFR": "exports/{year}/veille_x_{year}.csv", "rochefr": "exports/{year}/veille_x_{year}.csv",
                  "PFIZER_FR": "exports/{year}/reordered_x_{year}.csv", "ipsen": "exports/{year}/veille_x_{year}.csv",
                  "ghost": "exports/{year}/veille_x_{year}.csv"}
    twin_number = 0
    for label in [f"{year}-Q{number}" for year in (2023, 2024, 2025) for number in (1, 2, 3, 4)][:10]:
        period = quarter(label)
        span = (period.end - period.start).days

        def moment() -> dt.datetime:
            day = period.start + dt.timedelta(days=rng.randint(1, span - 1))
            return dt.datetime(day.year, day.month, day.day, rng.randint(9, 18), rng.randint(0, 59),
                               rng.randint(0, 59), tzinfo=dt.timezone.utc)

        for handle, file in x_accounts.items():
            for _ in range(rng.randint(0, 5)):
                post_type = rng.choice(["post", "post", "post", "reply", "quote", "repost"])
                landing.post(file.format(year=period.start.year), "x", handle, moment().isoformat(), post_type,
                             f"Actualité {label} #RSE" if rng.random() < 0.3 else f"Nouvelles de {label}",
                             likes=rng.randint(0, 25), comments=rng.randint(0, 4), reposts=rng.randint(0, 6),
                             quotes=rng.randint(0, 2), impressions=rng.randint(100, 5000))
        for _ in range(rng.randint(0, 3)):
            at = moment().replace(microsecond=0)
            landing.content("x/account_analytics_content_novartis.csv", rng.choice(["novartis", "Novartis"]),
                            at.strftime("%Y-%m-%d %H:%M:%S"), rng.choice(["Nos #RSE", "@MSD merci", "RT @x: vu"]),
                            likes=rng.randint(0, 30), replies=rng.randint(0, 3), reposts=rng.randint(0, 5))
        for _ in range(rng.randint(3, 6)):  # the twins publish most, so they share rank 1 of `posts`
            at = moment().isoformat()
            likes, comments, reposts = rng.randint(0, 20), rng.randint(0, 3), rng.randint(0, 5)
            twin_number += 1
            for handle, post_id in (("alpha_lab", str(10_000 + twin_number)), ("Zeta_Lab", str(900 + twin_number))):
                landing.post("twins/twins.csv", "x", handle, at, "post", "Même post #Jumeaux", likes, comments,
                             reposts, 0, 1000, post_id)
        for handle in ("bayer_fr", "lilly_fr", "amgen.fr", "novartis"):
            for _ in range(rng.randint(0, 4)):
                landing.post("instagram/posts_instagram.csv", "instagram", handle, moment().isoformat(),
                             rng.choice(["image", "carousel", "video", "reel", "story"]),
                             rng.choice(["#Santé au quotidien", "Nos équipes", "#santé #RSE"]),
                             likes=rng.randint(0, 60), comments=rng.randint(0, 15))
        for _ in range(rng.randint(1, 4)):
            at = moment()
            landing.instagram("instagram/meta/leopharma_posts.csv", "leopharma", at.strftime("%m/%d/%Y %H:%M"),
                              rng.choice(["IG image", "IG carousel", "IG reel", "IG video", "IG story"]),
                              "Prendre soin de la peau #dermatologie", likes=rng.randint(0, 250),
                              comments=rng.randint(0, 30), views=rng.randint(1000, 20000))


def edge_posts(landing: AdversarialLanding) -> None:
    """The hand-made posts: boundaries, duplicates, ties, hashtags (times in UTC unless said local)."""
    year_files = "exports/{}/veille_x_{}.csv"

    def x(at: str, **fields) -> str:
        return landing.post(year_files.format(at[:4], at[:4]), "x", fields.pop("handle", "sanofifr"), at, **fields)

    # Local midnight, quarter and year boundaries (Paris vs New York), DST days, a leap day.
    x("2022-12-31T23:30:00+00:00", text="Paris: 2023-01-01; New York: 2022-12-31", likes=12)
    x("2023-12-31T23:30:00+00:00", text="Paris: 2024-Q1; New York: 2023-Q4", likes=30, comments=3)
    x("2024-03-30T23:30:00+00:00", text="Paris 31 March 00:30, before DST", likes=20)
    x("2024-03-31T21:30:00+00:00", text="Paris 31 March 23:30, after DST", likes=60)
    x("2024-10-26T22:30:00+00:00", text="Paris 27 October 00:30, summer time", likes=8)
    x("2024-10-27T22:30:00+00:00", text="Paris 27 October 23:30, winter time", likes=4)
    x("2024-02-29T12:00:00+00:00", text="29 février", likes=29, post_type="quote", quotes=2)
    x("2024-06-15T12:00:00+00:00", text="The day a new snapshot says 2200", likes=40)
    x("2024-06-30T22:30:00+00:00", handle="ROCHEFR", text="Paris 2024-Q3, New York 2024-Q2", likes=150, comments=10)
    x("2025-01-01T03:00:00+00:00", text="Paris 2025, New York 2024", likes=15)
    x("2025-06-30T22:30:00+00:00", text="Paris 2025-07-01: not in the 2025 year to date; New York 2025-Q2",
      likes=33)
    x("2025-07-10T10:00:00+00:00", text="2025-Q3 is not complete on the run date", likes=99)
    landing.post("exports/local/naive.csv", "x", "pfizer_fr", "2024-12-31 23:30:00", text="local time, no offset",
                 likes=7, post_id="1874000000000000001")
    landing.post("exports/local/naive.csv", "instagram", "LeoPharma", "2024-12-31T23:59:59",
                 post_type="image", text="local time with a T", likes=70)
    landing.instagram("instagram/meta/leopharma_posts.csv", "LeoPharma", "12/31/2024 23:59", "IG carousel",
                      "Meta: local time, last minute of 2024", likes=1500, comments=100, views=30000)
    landing.instagram("instagram/meta/leopharma_posts.csv", "leopharma", "03/31/2024 02:30", "IG reel",
                      "Meta: 31 March 02:30 local", likes=10, comments=1, views=100)
    # Members: Roche joins 2023-05-15; its post of 2023-Q1 counts for the year 2023 only.
    x("2023-03-10T10:00:00+00:00", handle="RocheFR", text="Before joining #beforejoin", likes=900, comments=100)
    # Pfizer leaves 2024-08-10: its posts after that day still count for 2024-Q3 and 2024.
    x("2024-09-01T10:00:00+00:00", handle="pfizer_fr", text="After leaving, same quarter", likes=90, comments=10)
    x("2023-01-10T10:00:00+00:00", handle="pfizer_fr", text="0 followers that day", likes=50)
    # Novartis leaves x_pharma on 2024-07-01, the first day of 2024-Q3: still a member then.
    x("2024-07-20T10:00:00+00:00", handle="novartis", text="Novartis #RSE au T3", likes=280, comments=20)
    # Top posts of x_pharma 2024-Q3: interaction 0.2 three times (reactions 440, 200, 200, 100), then 0.15 twice
    # at the same instant with the same reactions, ids 1234 and 987 (text order and numeric order differ).
    x("2024-08-01T10:00:00+00:00", text="0.2 with 440 reactions", likes=400, comments=20, reposts=15, quotes=5)
    x("2024-08-02T10:00:00+00:00", handle="alpha_lab", text="0.2 with 200, later", likes=200)
    x("2024-08-01T09:00:00+00:00", handle="zeta_lab", text="0.2 with 200, earlier", likes=190, reposts=10)
    x("2024-08-05T12:00:00+00:00", handle="alpha_lab", text="0.15, id 1234", likes=150, post_id="1234")
    x("2024-08-05T12:00:00+00:00", handle="zeta_lab", text="0.15, id 987", likes=150, post_id="987")
    # Not counted, however many reactions: reposts, stories, accounts in no panel, the same handle elsewhere.
    x("2024-08-03T10:00:00+00:00", text="RT @someone: #repostonly", post_type="repost", likes=5000)
    x("2024-08-03T11:00:00+00:00", handle="ghost", text="in no panel #ghosttag", likes=5000)
    landing.post("instagram/posts_instagram.csv", "instagram", "LeoPharma", "2024-08-03T12:00:00+02:00",
                 post_type="story", text="#storyonly", likes=9000)
    landing.post("instagram/posts_instagram.csv", "instagram", "Novartis", "2024-08-03T12:00:00+02:00",
                 post_type="image", text="the Instagram novartis is in no panel #ignovartis", likes=9000)
    # Hashtags: case, accents, digits, `_`, letters before `#`, repeats, emoji, punctuation, scripts.
    x("2024-05-02T10:00:00+00:00", likes=3, text="Notre #RSE et #rse encore #Rse, voir https://example.com/page#section "
                                                  "et mail a#nope _#nope2 1#nope3 é#nope4")
    x("2024-05-03T10:00:00+00:00", likes=5, text="🌱#climat🌍 #énergie🔋 ##double (#paren) l'#apostrophe #l’été")
    x("2024-05-04T10:00:00+00:00", likes=7,
      text="#Santé #SANTÉ #sante #Ökologie #日本語 #Covid19 #2024 #_under_score #été2024 # seul #")
    x("2024-05-05T10:00:00+00:00", handle="NOVARTIS", likes=11, text="Ligne 1\nLigne 2 #RSE #multiligne")
    # Duplicates across files (LANDING.md 4): equal reactions and impressions, the path sorting last wins
    # ("alpha/" sorts after "Zeta/" in code point order); then impressions; then reactions.
    for folder, likes, comments, impressions, tag in (("Zeta", 8, 2, 100, "#zeta_copy"),
                                                       ("alpha", 5, 5, 100, "#alpha_copy")):
        landing.post(f"{folder}/export.csv", "x", "sanofifr", "2024-05-10T10:00:00+00:00", text=f"copie {tag}",
                     likes=likes, comments=comments, impressions=impressions, post_id="1788887000000000001")
    for folder, likes, impressions, tag in (("Zeta", 12, 300, "#imp_zeta"), ("alpha", 12, 200, "#imp_alpha")):
        landing.post(f"{folder}/export.csv", "x", "sanofifr", "2024-05-11T10:00:00+00:00", text=f"copie {tag}",
                     likes=likes, impressions=impressions, post_id="1788887000000000002")
    for folder, likes, tag in (("Zeta", 20, "#react_zeta"), ("alpha", 15, "#react_alpha")):
        landing.post(f"{folder}/export.csv", "x", "sanofifr", "2024-05-12T10:00:00+00:00", text=f"copie {tag}",
                     likes=likes, impressions=50, post_id="1788887000000000003")
    # The same tweet in a tweet-activity export (more reactions, time to the minute) and a canonical file.
    kept = landing.tweet("x/old/tweet_activity_metrics_SanofiFR_20231001_20231231_favorites.csv", "SanofiFR",
                         "2023-11-20 10:17:42", "Top du T4 #RSE", likes=450, replies=30, retweets=20)
    landing.post("exports/2023/veille_x_2023.csv", "x", "sanofifr", "2023-11-20T10:17:42+00:00",
                 text="Top du T4 (older export)", likes=300, post_id=kept)
    # Tweet activity: a reply (counted), a retweet (not counted), a post at 00:30 local on 1 April.
    activity = "x/tweet_activity_metrics_SanofiFR_20240301_20240531_en.csv"
    landing.tweet(activity, "SanofiFR", "2024-03-31 22:30:00", "Paris 1 April 00:30 #Avril", likes=35, retweets=5)
    landing.tweet(activity, "SanofiFR", "2024-04-12 09:00:00", "@Roche merci ! #Partenariat", likes=9, replies=2)
    landing.tweet(activity, "SanofiFR", "2024-04-13 09:00:00", "RT @Roche: #Partenariat", likes=900)
    # One observation kept whole: its type (a repost is never counted) and its publish time decide.
    kept_post = landing.tweet("x/tweet_activity_metrics_SanofiFR_20240301_20240531_en.csv", "SanofiFR",
                              "2024-04-20 09:00:00", "RT @Roche: gardé ? non, le canonique a plus", likes=5)
    landing.post("exports/2024/veille_x_2024.csv", "x", "sanofifr", "2024-04-20T09:00:00+00:00",
                 text="Le même post, compté #gardé", likes=50, post_id=kept_post)
    kept_repost = landing.tweet("x/tweet_activity_metrics_SanofiFR_20240301_20240531_en.csv", "SanofiFR",
                                "2024-04-21 09:00:00", "Compté ? non #perdu", likes=5)
    landing.post("exports/2024/veille_x_2024.csv", "x", "sanofifr", "2024-04-21T09:00:00+00:00",
                 post_type="repost", text="RT @Roche: #perdu", likes=50, post_id=kept_repost)
    # The same id on Instagram is another post.
    landing.post("instagram/posts_instagram.csv", "instagram", "bayer_fr", "2024-04-20T11:00:00+02:00",
                 post_type="image", text="même identifiant, autre plateforme", likes=44, post_id=kept_post)
    # Published at 00:30 in Paris on the day of a new snapshot (2200), still the day before in New York (2000).
    x("2024-06-14T22:30:00+00:00", text="minuit et nouveau relevé", likes=210, comments=10)
    # The last millisecond of 2024-Q3 in Paris (a Snowflake id is to the millisecond), then local midnight.
    landing.content("x/account_analytics_content_novartis.csv", "novartis", "2024-09-30 21:59:59.999",
                    "Dernière milliseconde du T3 #fin", likes=180, replies=12)
    x("2024-09-30T22:00:00+00:00", handle="novartis", text="Minuit pile, T4 à Paris #début", likes=390, comments=10)
    # One post twice in the same file: the row with more reactions is kept.
    twice = x("2024-11-05T10:00:00+00:00", text="deux lignes, un post #doublon", likes=3)
    x("2024-11-05T10:00:00+00:00", text="deux lignes, un post, compté #doublon2", likes=6, post_id=twice)
    # French Excel re-save (Windows-1252, `;`, CRLF, DD/MM/YYYY local times, no-break-space thousands).
    excel = "instagram/veille_excel.csv"
    landing.post(excel, "instagram", "Bayer_FR", "31/03/2024 23:45", post_type="reel",
                 text="Fin du T1, heure locale #Santé", likes=1200, comments=30)
    landing.post(excel, "instagram", "bayer_fr", "01/04/2024 00:15:30", post_type="image",
                 text="Début du T2\r\nsur deux lignes #Printemps", likes=640, comments=20)
    landing.post(excel, "instagram", "bayer_fr", "15/02/2023 10:00", post_type="carousel",
                 text="0 abonné ce jour-là", likes=100, comments=5)
    landing.post(excel, "instagram", "lilly_fr", "28/02/2025 18:00", post_type="video",
                 text="Juste avant le départ #Dernier", likes=450, comments=45, impressions=12345)
    # An older Meta export (Impressions, not Views) repeating a post with fewer reactions.
    repeated = landing.instagram("instagram/meta/older/leopharma_2024.csv", "leopharma", "05/05/2024 12:00",
                                 "IG image", "Mai #Peau", likes=100, comments=10, views=5000)
    landing.meta["instagram/meta/leopharma_posts.csv"].append(dict(
        id=repeated, handle="leopharma", time="05/05/2024 12:00", type="IG image", text="Mai #Peau (updated)",
        likes=130, comments=12, views=7000))


def write_adversarial_landing(root: Path) -> Path:
    landing = AdversarialLanding()
    bulk_posts(landing)
    edge_posts(landing)
    return landing.write(root)


def write_moved_duplicate_landing(root: Path) -> Path:
    """One post exported twice with different publish times: by a tool that wrote UTC without an offset
    (read as local time: 2024-03-31 23:30 in Paris, 2024-Q1), and by X's tweet-activity export, with more
    reactions (2024-03-31 23:30 UTC: 1 April 01:30 in Paris, 2024-Q2). LANDING.md 4 keeps the observation
    with the most reactions, whole: the post is a post of 2024-Q2 only.
    """
    landing = AdversarialLanding()
    landing.post("tool/veille.csv", "x", "acme", "2024-02-10T10:00:00+00:00", text="Q1 #hiver", likes=10)
    moved = landing.tweet("x/tweet_activity_metrics_acme_20240301_20240531_en.csv", "acme", "2024-03-31 23:30:00",
                          "Kept: the most reactions #printemps", likes=40, replies=2)
    landing.post("tool/veille.csv", "x", "acme", "2024-03-31 23:30:00", text="Older export #hiver", likes=20,
                 post_id=moved)
    landing.tweet("x/tweet_activity_metrics_acme_20240301_20240531_en.csv", "acme", "2024-05-02 10:00:00",
                  "Q2 #printemps", likes=5)
    return landing.write(root, accounts=ACCOUNTS_CSV.splitlines(keepends=True)[0] + "p,x,acme,Acme,Acme,corporate,,\n",
                         snapshots={"followers/acme.csv": [("x", "acme", "2023-12-31", 1000, 10)]})


# --- running the pipeline and comparing ----------------------------------------------------------------

def published_marts(analytics: Path) -> dict[str, list[dict]]:
    with duckdb.connect(str(analytics), read_only=True) as conn:
        conn.execute("set TimeZone = 'UTC'")
        marts = {}
        for table, query in MART_QUERIES.items():
            cursor = conn.execute(query)
            columns = [description[0] for description in cursor.description]
            marts[table] = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return marts


def bts_run_all(landing: Path, warehouse: Path, run_date: str, timezone: str | None) -> dict[str, list[dict]]:
    env = {**environment(landing, warehouse), "BTS_RUN_DATE": run_date}
    if timezone:
        env["BTS_TIMEZONE"] = timezone
    completed = subprocess.run([str(BTS), "run", "--all"], cwd=REPO, env=env, capture_output=True, text=True,
                               timeout=900)
    assert completed.returncode == 0, completed.stderr[-6000:]
    return published_marts(warehouse / "analytics.duckdb")


def mismatches(table: str, expected: list[dict], got: list[dict]) -> tuple[list[str], int]:
    """Lines naming table, key, column, expected and got; and how many values were compared."""
    spec = TABLES[table]
    key_of = lambda row: tuple(row[column] for column in spec["key"])  # noqa: E731
    lines = []
    got_rows: dict[tuple, dict] = {}
    for row in got:
        missing_columns = [column for column in spec["columns"] if column not in row]
        if missing_columns:
            return [f"{table}: no column {missing_columns}"], 0
        if key_of(row) in got_rows:
            lines.append(f"{table} {dict(zip(spec['key'], key_of(row)))}: the key appears twice")
        got_rows[key_of(row)] = row
    expected_rows = {key_of(row): row for row in expected}
    assert len(expected_rows) == len(expected), f"the reference repeats a key of {table}"
    for key in sorted(expected_rows.keys() - got_rows.keys(), key=repr):
        lines.append(f"{table} {dict(zip(spec['key'], key))}: expected row missing: {expected_rows[key]}")
    for key in sorted(got_rows.keys() - expected_rows.keys(), key=repr):
        lines.append(f"{table} {dict(zip(spec['key'], key))}: unexpected row: "
                     f"{ {column: got_rows[key][column] for column in spec['columns']} }")
    compared = 0
    for key in sorted(expected_rows.keys() & got_rows.keys(), key=repr):
        for column in spec["columns"]:
            compared += 1
            want, found = expected_rows[key][column], got_rows[key][column]
            if not same_value(want, found):
                lines.append(f"{table} {dict(zip(spec['key'], key))} column {column}: expected {want!r}, got {found!r}")
    return lines, compared


DATASETS = {
    "demo": dict(run_date=RUN_DATE, timezone=None),
    "adversarial_paris": dict(run_date=ADVERSARIAL_RUN_DATE, timezone=None),
    "adversarial_new_york": dict(run_date=ADVERSARIAL_RUN_DATE, timezone=NEW_YORK),
}


@pytest.fixture(scope="module")
def landings(tmp_path_factory) -> dict[str, Path]:
    demo = tmp_path_factory.mktemp("reference-demo") / "landing"
    write_demo_landing(demo)
    adversarial = write_adversarial_landing(tmp_path_factory.mktemp("reference-adversarial") / "landing")
    return {"demo": demo, "adversarial_paris": adversarial, "adversarial_new_york": adversarial}


@pytest.fixture(scope="module")
def runs(landings, tmp_path_factory):
    """Per dataset, on first use: (reference marts, published marts); one `bts run --all` each."""
    cache = {}

    def get(dataset: str) -> tuple[dict, dict]:
        if dataset not in cache:
            settings = DATASETS[dataset]
            timezone = settings["timezone"] or "Europe/Paris"
            expected = reference_marts(landings[dataset], dt.date.fromisoformat(settings["run_date"]),
                                       timezone=timezone)
            got = bts_run_all(landings[dataset], tmp_path_factory.mktemp(f"warehouse-{dataset}"),
                              settings["run_date"], settings["timezone"])
            cache[dataset] = (expected, got)
        return cache[dataset]

    return get


# --- the reference itself, and what the adversarial landing reaches ----------------------------------------

def test_the_reference_reads_hashtags_as_metrics_md_defines_them():
    assert hashtags_of("Notre #RSE et #rse, https://example.com/page#section a#b _#c 1#d é#e") == {"#rse"}
    assert hashtags_of("🌱#climat🌍 ##double (#paren) l'#apo #l’été #Santé #日本語 #2024 #_x # #") == {
        "#climat", "#double", "#paren", "#apo", "#l", "#santé", "#日本語", "#2024", "#_x"}


def test_the_adversarial_landing_reaches_the_edges_it_is_written_for(landings):
    """Without this, a change of the landing writer could quietly drop the cases the comparison exists for."""
    landing = read_landing(landings["adversarial_paris"])
    paris = reference_marts(landings["adversarial_paris"], dt.date.fromisoformat(ADVERSARIAL_RUN_DATE))
    new_york = reference_marts(landings["adversarial_paris"], dt.date.fromisoformat(ADVERSARIAL_RUN_DATE),
                               timezone=NEW_YORK)
    # Periods: New York sees a post of 2022-Q4; 2025 is a year to date of 181 days; 2024 has 366.
    assert quarters_with_posts(landing, dt.date(2025, 8, 15))[0] == "2023-Q1"
    assert {row["quarter"] for row in new_york["fct_account_quarter"]} >= {"2022-Q4", "2025-Q2"}
    days = {row["year"]: (row["period_end"] - row["period_start"]).days + 1 for row in paris["fct_account_year"]}
    assert days == {2023: 365, 2024: 366, 2025: 181}
    accounts = {(row["quarter"], row["panel"], row["handle"]): row for row in paris["fct_account_quarter"]}
    assert ("2023-Q1", "x_pharma", "rochefr") not in accounts and ("2023-Q2", "x_pharma", "rochefr") in accounts
    assert ("2024-Q1", "x_pharma", "ipsen") in accounts and ("2024-Q3", "x_pharma", "novartis") in accounts
    assert ("2024-Q4", "x_pharma", "novartis") not in accounts and ("2024-Q3", "x_rse", "novartis") in accounts
    # Listed again after leaving (a second line): back in 2025, and back for September within 2024-Q3,
    # where the line of the latest membership gives the name
    assert ("2024-Q4", "x_pharma", "pfizer_fr") not in accounts
    assert accounts[("2025-Q1", "x_pharma", "pfizer_fr")]["display_name"] == "Pfizer France (retour)"
    assert accounts[("2024-Q3", "x_pharma", "novartis")]["display_name"] == "Novartis (retour)"
    assert accounts[("2024-Q2", "x_pharma", "novartis")]["display_name"] == "Novartis France"
    # Listed twice alike for overlapping memberships (the first half of 2024): one member, not two
    assert [row["handle"] for row in paris["fct_account_quarter"] if row["quarter"] == "2024-Q1"].count("zeta_lab") == 1
    assert not any(row["panel"] == "x_old" for row in paris["fct_account_quarter"] + paris["fct_panel_quarter"])
    assert {row["quarter"] for row in paris["fct_panel_quarter"] if row["panel"] == "ig_solo"} == {"2023-Q1"}
    assert not any(row["handle"] == "futureco" for row in paris["fct_account_year"])
    pfizer = accounts[("2023-Q1", "x_pharma", "pfizer_fr")]
    assert pfizer["followers_start"] == 0 and pfizer["followers_growth_pct"] is None
    assert accounts[("2024-Q1", "x_pharma", "sanofifr")]["following_end"] is None
    assert accounts[("2024-Q1", "x_pharma", "sanofifr")]["followers_end"] == 2000
    assert accounts[("2023-Q1", "x_pharma", "novartis")]["followers_start"] is None
    growth = {(row["quarter"], row["panel"]): row for row in paris["fct_panel_quarter"]
              if row["metric"] == "followers_growth_pct"}
    assert growth[("2023-Q1", "ig_solo")]["pooled"] is None and growth[("2023-Q1", "ig_solo")]["accounts"] == 0
    assert growth[("2023-Q1", "ig_brand")]["pooled"] is not None  # Bayer's start of 0 is in the sums
    # Ranks: 1, 1, 3; previous ranks across Q1 and across years; none for a newcomer.
    ranks = Counter((row["quarter"], row["panel"], row["metric"], row["rank"]) for row in paris["rank_account_quarter"])
    assert any(count == 2 and (quarter_, panel, metric, 2) not in ranks and (quarter_, panel, metric, 3) in ranks
               for (quarter_, panel, metric, rank), count in ranks.items() if rank == 1)
    previous = {(row["quarter"], row["handle"], row["metric"]): row["previous_rank"]
                for row in paris["rank_account_quarter"] if row["panel"] == "x_pharma"}
    assert previous[("2024-Q1", "sanofifr", "posts")] is not None
    assert previous[("2023-Q2", "rochefr", "posts")] is None
    assert previous[("2024-Q2", "ipsen", "followers_end")] is not None
    assert any(row["previous_rank"] is not None for row in paris["rank_account_year"] if row["year"] == 2024)
    # Top posts: the ties of 2024-Q3, the text order of post ids, the kept duplicate's minute.
    top = [(row["handle"], row["post_id"]) for row in paris["fct_top_posts_quarter"]
           if row["quarter"] == "2024-Q3" and row["panel"] == "x_pharma"]
    assert top[:3] == [("sanofifr", top[0][1]), ("zeta_lab", top[1][1]), ("alpha_lab", top[2][1])]
    assert ("alpha_lab", "1234") in top and top.index(("alpha_lab", "1234")) + 1 == top.index(("zeta_lab", "987"))
    assert len(top) == 10
    q4 = [row for row in paris["fct_top_posts_quarter"] if row["quarter"] == "2023-Q4" and row["panel"] == "x_pharma"]
    assert q4[0]["text"] == "Top du T4 #RSE" and q4[0]["published_at"].second == 0
    # Hashtags: the kept copies' tags only; nothing from reposts, stories, non-members or before joining.
    tags = {(row["quarter"], row["panel"], row["hashtag"]): row for row in paris["fct_hashtags_quarter"]}
    assert ("2024-Q2", "x_pharma", "#alpha_copy") in tags and ("2024-Q2", "x_pharma", "#zeta_copy") not in tags
    assert ("2024-Q2", "x_pharma", "#imp_zeta") in tags and ("2024-Q2", "x_pharma", "#react_zeta") in tags
    assert tags[("2024-Q2", "x_rse", "#rse")]["accounts"] == 2
    assert {"#santé", "#sante", "#日本語", "#été2024", "#l", "#multiligne"} <= {tag for _, _, tag in tags}
    assert not {"#repostonly", "#storyonly", "#ghosttag", "#ignovartis", "#beforejoin", "#section", "#nope"} & {
        tag for _, _, tag in tags}
    assert ("2024-Q4", "x_rse", "#doublon2") in tags and not any(tag == "#doublon" for _, _, tag in tags)
    last_millisecond = [row["published_at"] for row in paris["fct_top_posts_quarter"]
                        if row["quarter"] == "2024-Q3" and row["panel"] == "x_rse" and "#fin" in row["text"]]
    assert [instant.microsecond for instant in last_millisecond] == [999_000]
    assert ("2024-Q4", "x_rse", "#début") in tags
    assert ("2024-Q2", "x_pharma", "#gardé") in tags and not any(tag == "#perdu" for _, _, tag in tags)
    assert paris["fct_top_posts_year"] != new_york["fct_top_posts_year"]
    midnight = [row["followers_at_publish"] for marts in (paris, new_york) for row in marts["fct_top_posts_year"]
                if row["text"] == "minuit et nouveau relevé" and row["panel"] == "x_rse"]
    assert midnight == [2200, 2000]


# --- the pipeline against the reference ----------------------------------------------------------------

@pytest.mark.parametrize("dataset", list(DATASETS))
def test_bts_run_all_publishes_the_periods_of_the_spec(runs, dataset):
    expected, got = runs(dataset)
    for table, spec in TABLES.items():
        period = spec["key"][0]
        assert {row[period] for row in got[table]} == {row[period] for row in expected[table]}, table


@pytest.mark.parametrize("table", list(TABLES))
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_every_value_of_the_mart_is_the_reference_value(runs, dataset, table):
    expected, got = runs(dataset)
    lines, compared = mismatches(table, expected[table], got[table])
    assert not lines, (f"{dataset}: {len(lines)} mismatches in {table} ({compared} values compared); first ones:\n"
                       + "\n".join(lines[:SHOWN_MISMATCHES]))
    assert compared > 0


def test_a_post_whose_kept_observation_is_in_another_quarter_is_published_in_that_quarter(tmp_path):
    landing = write_moved_duplicate_landing(tmp_path / "landing")
    expected = reference_marts(landing, dt.date.fromisoformat(RUN_DATE))
    completed = subprocess.run([str(BTS), "run", "--all"], cwd=REPO, env=environment(landing, tmp_path / "warehouse"),
                               capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, ("LANDING.md 4 keeps the observation with the most reactions (2024-Q2); "
                                       "the run refused to publish:\n" + completed.stderr[-3000:])
    got = published_marts(tmp_path / "warehouse" / "analytics.duckdb")
    lines = [line for table in TABLES for line in mismatches(table, expected[table], got[table])[0]]
    assert not lines, "\n".join(lines[:SHOWN_MISMATCHES])


def write_randomised_findings_landing(root: Path) -> Path:
    """Three disagreements a randomised comparison with the reference found (fifteenth session).

    - Equal post_interaction_rates computed from different days: a mean of daily
      rates rounds differently as a double (0.030000000000000002 and 0.03;
      0.20000000000000004 and 0.2), and "equal values share a rank".
    - Hashtag digits are decimal digits: `#x²`, `#a½`, `#①`, `#Ⅻ` end before the
      number sign, `#٣` (Arabic-Indic three) is one.
    - The same bytes under two paths and a third file tied with them: the path
      that sorts last is a copy, whose text wins (LANDING.md 4).
    """
    root.mkdir(parents=True)
    (root / "accounts.csv").write_text(
        "panel,platform,handle,company,display_name,account_type,member_from,member_to\n"
        "p1,x,aaa,A,A,corporate,,\np1,x,bbb,B,B,corporate,,\np2,x,ccc,C,C,corporate,,\np2,x,ddd,D,D,corporate,,\n"
        "p3,x,eee,E,E,corporate,,\n")
    (root / "followers.csv").write_text("platform,handle,date,followers,following\n" + "".join(
        f"x,{handle},2024-12-31,100,1\n" for handle in ("aaa", "bbb", "ccc", "ddd", "eee")))
    header = "platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink\n"
    rows = [f"x,aaa,{10 + day},2025-02-{10 + day}T10:00:00+00:00,post,a,{likes},0,0,0,,"
            for day, likes in enumerate((2, 2, 4, 2, 3, 3, 5))]  # daily rates 0.02 .. 0.05, mean 3/100
    rows += ["x,bbb,20,2025-02-10T10:00:00+00:00,post,b,3,0,0,0,,"]  # 3/100
    rows += [f"x,ccc,{30 + day},2025-02-{10 + day}T10:00:00+00:00,post,c,{likes},0,0,0,,"
             for day, likes in enumerate((10, 20, 30))]  # mean 0.2
    rows += ["x,ddd,40,2025-02-10T10:00:00+00:00,post,\"#Ⅻ #x² #a½ #① #co2 #٣ #CO²\",20,0,0,0,,"]  # 0.2
    (root / "posts.csv").write_text(header + "".join(row + "\n" for row in rows))
    copy = header + "x,eee,50,2025-03-01T10:00:00+00:00,post,copy #copy,7,0,0,0,100,\n"
    for folder, content in (("a", copy), ("m", copy.replace("copy", "middle")), ("z", copy)):
        (root / folder).mkdir()
        (root / folder / "export.csv").write_text(content)
    return root


def bts_run_all_agreeing_with_the_reference(landing: Path, warehouse: Path) -> dict[str, list[dict]]:
    """`bts run --all` as of ADVERSARIAL_RUN_DATE; every mart equals the reference's; the published marts."""
    expected = reference_marts(landing, dt.date.fromisoformat(ADVERSARIAL_RUN_DATE))
    got = bts_run_all(landing, warehouse, ADVERSARIAL_RUN_DATE, None)
    lines = [line for table in TABLES for line in mismatches(table, expected[table], got[table])[0]]
    assert not lines, "\n".join(lines[:SHOWN_MISMATCHES])
    return got


def test_what_a_randomised_comparison_found_agrees_with_the_reference(tmp_path):
    got = bts_run_all_agreeing_with_the_reference(write_randomised_findings_landing(tmp_path / "landing"),
                                                  tmp_path / "warehouse")
    ranks = {(row["panel"], row["handle"]): row["rank"] for row in got["rank_account_quarter"]
             if row["metric"] == "post_interaction_rate"}
    assert ranks == {("p1", "aaa"): 1, ("p1", "bbb"): 1, ("p2", "ccc"): 1, ("p2", "ddd"): 1, ("p3", "eee"): 1}
    assert sorted(row["hashtag"] for row in got["fct_hashtags_quarter"] if row["panel"] == "p2") == [
        "#a", "#co", "#co2", "#x", "#٣"]
    assert [row["text"] for row in got["fct_top_posts_quarter"] if row["panel"] == "p3"] == ["copy #copy"]


def write_near_ties_landing(root: Path) -> Path:
    """Values that differ by less than 13 significant digits (nineteenth session, from an audit).

    Ranks compared values rounded to 13 significant digits, so that equal rates whose
    doubles differ in the last bit share a rank; that rounding also tied values that
    really differ:

    - p1, followers_growth_pct: 100 × 9999999 / 20000001 = 49.999992500000374... and
      100 × 10000000 / 20000003 = 49.99999250000113...: two doubles equal on 13 digits.
    - p2, followers_growth_pct: 100 × 500000001 / 1000000000 and 100 × 500000002 /
      1000000002 differ by 2e-16, below a double's precision. Reading (the reference's
      too): a value that is one division of whole numbers is its correctly rounded
      double, the same in every implementation, so these two share rank 1.
    - p3, post_interaction_rate: one reaction a day over two days, at N − 1 and N + 1
      followers (mean N / (N² − 1)) against N followers both days (1 / N), N = 10⁸:
      the first is higher by 1e-16 of the value. A mean's double depends on the order
      of its sum, so rates are compared exactly (as the reference does).
    """
    root.mkdir(parents=True)
    handles = {"p1": ("g1", "g2"), "p2": ("h1", "h2"), "p3": ("r1", "r2")}
    (root / "accounts.csv").write_text(
        "panel,platform,handle,company,display_name,account_type,member_from,member_to\n" + "".join(
            f"{panel},x,{handle},{handle},{handle},corporate,,\n"
            for panel, pair in handles.items() for handle in pair))
    n = 10**8
    snapshots = [("g1", "2024-12-31", 20000001), ("g1", "2025-03-31", 30000000),
                 ("g2", "2024-12-31", 20000003), ("g2", "2025-03-31", 30000003),
                 ("h1", "2024-12-31", 1000000000), ("h1", "2025-03-31", 1500000001),
                 ("h2", "2024-12-31", 1000000002), ("h2", "2025-03-31", 1500000004),
                 ("r1", "2025-02-10", n - 1), ("r1", "2025-02-11", n + 1),
                 ("r2", "2025-02-10", n), ("r2", "2025-02-11", n)]
    (root / "followers.csv").write_text("platform,handle,date,followers,following\n" + "".join(
        f"x,{handle},{date},{followers},1\n" for handle, date, followers in snapshots))
    (root / "posts.csv").write_text(
        "platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink\n"
        + "".join(f"x,{handle},{handle}{day},2025-02-{day}T10:00:00+00:00,post,t,1,0,0,0,,\n"
                  for handle in ("r1", "r2") for day in (10, 11)))
    return root


def test_values_closer_than_13_digits_rank_apart_and_agree_with_the_reference(tmp_path):
    got = bts_run_all_agreeing_with_the_reference(write_near_ties_landing(tmp_path / "landing"), tmp_path / "warehouse")
    ranks = {(row["handle"], row["metric"]): row["rank"] for row in got["rank_account_quarter"]
             if row["quarter"] == "2025-Q1" and row["metric"] in ("followers_growth_pct", "post_interaction_rate")}
    assert ranks == {("g2", "followers_growth_pct"): 1, ("g1", "followers_growth_pct"): 2,
                     ("h1", "followers_growth_pct"): 1, ("h2", "followers_growth_pct"): 1,
                     ("r1", "post_interaction_rate"): 1, ("r2", "post_interaction_rate"): 2}
    values = {row["handle"]: row["value"] for row in got["rank_account_quarter"]
              if row["quarter"] == "2025-Q1" and row["metric"] == "followers_growth_pct"}
    assert values["h1"] == values["h2"] == 50.0000001
