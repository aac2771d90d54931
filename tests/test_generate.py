"""The landing generators: the demo's layouts, bytes and figures, and the scale generator's counts.

The demo's 2023 figures are recomputed here from the written files, with a
small reader of LANDING.md and the definitions of METRICS.md written out
again, independently of the generator's own arithmetic.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import statistics
from bisect import bisect_right
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dagster_project.generate import write_demo_landing, write_incremental_file, write_scale_landing

REPO_ROOT = Path(__file__).resolve().parents[1]
PARIS = ZoneInfo("Europe/Paris")
UTC = dt.timezone.utc

TWEET_ACTIVITY_HEADER_LINE = (
    '"Tweet id","Tweet permalink","Tweet text","time","impressions","engagements","engagement rate","retweets",'
    '"replies","likes","user profile clicks","url clicks","hashtag clicks","detail expands","permalink clicks",'
    '"app opens","app installs","follows","email tweet","dial phone","media views","media engagements",'
    '"promoted impressions","promoted engagements","promoted engagement rate","promoted retweets",'
    '"promoted replies","promoted likes","promoted user profile clicks","promoted url clicks",'
    '"promoted hashtag clicks","promoted detail expands","promoted permalink clicks","promoted app opens",'
    '"promoted app installs","promoted follows","promoted email tweet","promoted dial phone",'
    '"promoted media views","promoted media engagements"'
)
X_CONTENT_HEADER_LINE = (
    "Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,Replies,"
    "Reposts,Profile visits,Detail Expands,URL Clicks,Hashtag Clicks,Permalink Clicks"
)
CANONICAL_HEADER_LINE = (
    "platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink"
)
ACCOUNTS_HEADER_LINE = "panel,platform,handle,company,display_name,account_type,member_from,member_to"
SNAPSHOTS_HEADER_LINE = "platform,handle,date,followers,following"
INSTAGRAM_TYPES = {"IG image": "image", "IG carousel": "carousel", "IG reel": "reel", "IG video": "video",
                   "IG story": "story"}


# --- an independent reader of LANDING.md ------------------------------------------------------

def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding) by the rules of LANDING.md section 2d."""
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16"), "utf-16"
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def read_table(path: Path) -> tuple[list[str], list[list[str]], dict]:
    text, encoding = decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows[0], rows[1:], {"encoding": encoding, "delimiter": delimiter, "crlf": "\r\n" in text,
                               "first_line": first_line.rstrip("\r")}


def layout_of(header: list[str]) -> str:
    names = set(header)
    if {"Tweet id", "Tweet permalink", "time"} <= names:
        return "x_tweet_activity"
    if {"Post id", "Date", "Post Link"} <= names:
        return "x_content"
    if {"Post ID", "Account username", "Publish time", "Post type"} <= names:
        return "instagram_posts"
    if header == CANONICAL_HEADER_LINE.split(","):
        return "canonical_posts"
    if header == SNAPSHOTS_HEADER_LINE.split(","):
        return "follower_snapshots"
    if header == ACCOUNTS_HEADER_LINE.split(","):
        return "accounts"
    raise AssertionError(f"unrecognised header {header}")


def count(value: str) -> int:
    value = re.sub(r"[ ,\u00a0\u202f]", "", value)
    if value in ("", "-"):
        return 0
    number = float(value)
    assert number >= 0 and number == int(number), value
    return int(number)


def canonical_instant(value: str) -> dt.datetime:
    if "/" in value:
        layout = "%d/%m/%Y %H:%M:%S" if value.count(":") == 2 else "%d/%m/%Y %H:%M"
        return dt.datetime.strptime(value, layout).replace(tzinfo=PARIS).astimezone(UTC)
    parsed = dt.datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=PARIS)).astimezone(UTC)


def type_from_text(text: str) -> str:
    return "repost" if text.startswith("RT @") else "reply" if text.startswith("@") else "post"


def read_posts(path: Path, header: list[str], rows: list[list[str]]) -> list[dict]:
    layout = layout_of(header)
    posts = []
    for row in rows:
        field = dict(zip(header, row))
        if layout == "x_tweet_activity":
            likes = field["likes"] if "likes" in field else field["favorites"]
            posts.append(dict(
                platform="x", handle=field["Tweet permalink"].split("/")[3].lower(), post_id=field["Tweet id"],
                published_at=dt.datetime.strptime(field["time"], "%Y-%m-%d %H:%M %z"),
                post_type=type_from_text(field["Tweet text"]), text=field["Tweet text"], likes=count(likes),
                comments=count(field["replies"]), reposts=count(field["retweets"]), quotes=0,
                impressions=count(field["impressions"])))
        elif layout == "x_content":
            milliseconds = (int(field["Post id"]) >> 22) + 1288834974657
            posts.append(dict(
                platform="x", handle=field["Post Link"].split("/")[3].lower(), post_id=field["Post id"],
                published_at=dt.datetime.fromtimestamp(milliseconds / 1000, UTC),
                post_type=type_from_text(field["Post text"]), text=field["Post text"], likes=count(field["Likes"]),
                comments=count(field["Replies"]), reposts=count(field["Reposts"]), quotes=0,
                impressions=count(field["Impressions"])))
        elif layout == "instagram_posts":
            views = field["Views"] if "Views" in field else field["Impressions"]
            posts.append(dict(
                platform="instagram", handle=field["Account username"].lower(), post_id=field["Post ID"],
                published_at=dt.datetime.strptime(field["Publish time"], "%m/%d/%Y %H:%M")
                .replace(tzinfo=PARIS).astimezone(UTC),
                post_type=INSTAGRAM_TYPES[field["Post type"]], text=field["Description"],
                likes=count(field["Likes"]), comments=count(field["Comments"]), reposts=0, quotes=0,
                impressions=count(views)))
        else:
            posts.append(dict(
                platform=field["platform"], handle=field["handle"].lower(), post_id=field["post_id"],
                published_at=canonical_instant(field["published_at"]), post_type=field["post_type"],
                text=field["text"], likes=count(field["likes"]), comments=count(field["comments"]),
                reposts=count(field["reposts"]), quotes=count(field["quotes"]),
                impressions=count(field["impressions"])))
    for post in posts:
        post["path"] = str(path)
        post["reactions"] = post["likes"] + post["comments"] + post["reposts"] + post["quotes"]
    return posts


def read_landing(landing: Path) -> dict:
    accounts, observations, snapshots, layouts = [], [], {}, defaultdict(list)
    for path in sorted(landing.rglob("*.csv")):
        header, rows, variant = read_table(path)
        layout = layout_of(header)
        layouts[layout].append((path, variant))
        if layout == "accounts":
            accounts = [dict(zip(header, row)) for row in rows]
        elif layout == "follower_snapshots":
            for platform, handle, day, followers, following in rows:
                date = (dt.datetime.strptime(day, "%d/%m/%Y").date() if "/" in day
                        else dt.date.fromisoformat(day))
                key = (platform, handle.lower(), date)
                assert snapshots.get(key, (count(followers), count(following))) == (count(followers),
                                                                                    count(following)), key
                snapshots[key] = (count(followers), count(following))
        else:
            observations.extend(read_posts(path, header, rows))
    posts = {}
    for observation in observations:  # LANDING.md section 4
        key = (observation["platform"], observation["post_id"])
        kept = posts.get(key)
        if kept is not None:
            assert kept["handle"] == observation["handle"], f"post {key} under two handles"
        rank = (observation["reactions"], observation["impressions"], observation["path"])
        if kept is None or rank > (kept["reactions"], kept["impressions"], kept["path"]):
            posts[key] = observation
    return {"accounts": accounts, "observations": observations, "posts": list(posts.values()),
            "snapshots": snapshots, "layouts": layouts}


# --- METRICS.md, written out again ------------------------------------------------------------

class Followers:
    def __init__(self, snapshots: dict):
        self.by_account = defaultdict(list)
        for (platform, handle, date), (followers, _) in sorted(snapshots.items()):
            self.by_account[(platform, handle)].append((date, followers))

    def on(self, platform: str, handle: str, day: dt.date) -> int | None:
        series = self.by_account[(platform, handle)]
        index = bisect_right([date for date, _ in series], day) - 1
        return series[index][1] if index >= 0 else None


def period(label: str) -> tuple[dt.date, dt.date]:
    if "-Q" in label:
        year, quarter = int(label[:4]), int(label[-1])
        start = dt.date(year, 3 * quarter - 2, 1)
        end = (dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)) - dt.timedelta(days=1)
        return start, end
    return dt.date(int(label), 1, 1), dt.date(int(label), 12, 31)


def account_figures(landing: dict, panel: str, label: str) -> list[dict]:
    start, end = period(label)
    followers = Followers(landing["snapshots"])
    members = [account for account in landing["accounts"] if account["panel"] == panel
               and (not account["member_from"] or dt.date.fromisoformat(account["member_from"]) <= end)
               and (not account["member_to"] or dt.date.fromisoformat(account["member_to"]) >= start)]
    figures = []
    for account in members:
        platform, handle = account["platform"], account["handle"].lower()
        counted = [post for post in landing["posts"]
                   if post["platform"] == platform and post["handle"] == handle
                   and post["post_type"] not in ("repost", "story")
                   and start <= post["published_at"].astimezone(PARIS).date() <= end]
        n = len(counted)
        by_day = defaultdict(list)
        for post in counted:
            by_day[post["published_at"].astimezone(PARIS).date()].append(post["reactions"])
        daily_rates = []
        for day, reactions in by_day.items():
            audience = followers.on(platform, handle, day)
            if audience:
                daily_rates.append(sum(reactions) / len(reactions) / audience)
        followers_start = followers.on(platform, handle, start - dt.timedelta(days=1))
        followers_end = followers.on(platform, handle, end)
        figures.append(dict(
            handle=handle, posts=n, reactions=sum(post["reactions"] for post in counted),
            likes_per_post=sum(post["likes"] for post in counted) / n if n else None,
            reposts_per_post=sum(post["reposts"] for post in counted) / n if n else None,
            post_interaction_rate=statistics.fmean(daily_rates) if daily_rates else None,
            followers_end=followers_end,
            followers_growth_pct=(100 * (followers_end - followers_start) / followers_start
                                  if followers_start and followers_end is not None else None),
            days=(end - start).days + 1,
        ))
    return figures


def mean_of_accounts(figures: list[dict], metric: str) -> float:
    return statistics.fmean(row[metric] for row in figures if row[metric] is not None)


def median_of_accounts(figures: list[dict], metric: str) -> float:
    return statistics.median(row[metric] for row in figures if row[metric] is not None)


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("demo") / "landing"
    write_demo_landing(landing)
    return landing


@pytest.fixture(scope="module")
def demo(demo_dir) -> dict:
    return read_landing(demo_dir)


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file()}


# --- the demo -----------------------------------------------------------------------------------

def test_the_demo_is_the_same_bytes_every_time(demo_dir, tmp_path):
    again = tmp_path / "landing"
    write_demo_landing(again)
    assert tree_bytes(again) == tree_bytes(demo_dir)


def test_the_committed_demo_data_is_what_the_generator_writes(demo_dir):
    committed = REPO_ROOT / "data" / "landing"
    assert tree_bytes(committed) == tree_bytes(demo_dir), "regenerate it: write_demo_landing(data/landing)"


def test_the_demo_is_small_enough_to_commit(demo_dir):
    assert sum(len(data) for data in tree_bytes(demo_dir).values()) < 5_000_000


def test_the_demo_refuses_a_directory_holding_other_files(tmp_path):
    (tmp_path / "mine.csv").write_text("a,b\n")
    with pytest.raises(FileExistsError, match="mine.csv"):
        write_demo_landing(tmp_path)
    assert (tmp_path / "mine.csv").read_text() == "a,b\n"


def test_every_layout_is_in_the_demo_with_its_exact_header(demo):
    layouts = demo["layouts"]
    assert set(layouts) == {"accounts", "follower_snapshots", "x_tweet_activity", "x_content", "instagram_posts",
                            "canonical_posts"}
    assert [path.name for path, _ in layouts["accounts"]] == ["accounts.csv"]
    assert layouts["accounts"][0][1]["first_line"] == ACCOUNTS_HEADER_LINE
    headers = {variant["first_line"] for _, variant in layouts["x_tweet_activity"]}
    assert headers == {TWEET_ACTIVITY_HEADER_LINE,
                       TWEET_ACTIVITY_HEADER_LINE.replace('"likes"', '"favorites"')
                       .replace('"promoted likes"', '"promoted favorites"')}
    assert {variant["first_line"] for _, variant in layouts["x_content"]} == {X_CONTENT_HEADER_LINE}
    instagram_headers = {variant["first_line"] for _, variant in layouts["instagram_posts"]}
    assert any(",Views," in header for header in instagram_headers)
    assert any(",Impressions," in header for header in instagram_headers)
    for path, variant in layouts["canonical_posts"]:
        assert variant["first_line"] == CANONICAL_HEADER_LINE.replace(",", variant["delimiter"]), path
    for path, variant in layouts["follower_snapshots"]:
        assert variant["first_line"] == SNAPSHOTS_HEADER_LINE, path


def test_the_tweet_activity_export_is_quoted_like_the_real_one(demo_dir):
    for path in demo_dir.rglob("tweet_activity_metrics_*.csv"):
        header, rows, variant = read_table(path)
        assert len(header) == 40 and variant["encoding"] == "utf-8" and not variant["crlf"]
        every_field_quoted = io.StringIO()
        csv.writer(every_field_quoted, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([header, *rows])
        assert path.read_text(encoding="utf-8") == every_field_quoted.getvalue()
        for row in rows:
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d \+0000", row[3])
            assert re.fullmatch(r"\d+\.0", row[4]) and re.fullmatch(r"\d+\.0", row[9])
            assert row[22:] == ["-"] * 18
            assert row[1] == f"https://twitter.com/{row[1].split('/')[3]}/status/{row[0]}"


def test_the_spreadsheet_variants_are_encoded_as_declared(demo):
    variants = [variant for files in demo["layouts"].values() for _, variant in files]
    assert any(v["encoding"] == "utf-16" for v in variants)
    assert any(v["encoding"] == "utf-8-sig" for v in variants)
    french = [(path, v) for path, v in demo["layouts"]["canonical_posts"] if v["delimiter"] == ";"]
    assert {v["encoding"] for _, v in french} == {"cp1252", "utf-8"}
    for path, variant in french:
        assert variant["crlf"], path
        body = decode(path.read_bytes())[0]
        assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", body), path
        separators = "\u00a0 " if variant["encoding"] == "cp1252" else "\u202f"
        assert re.search(rf";\d{{1,3}}[{separators}]\d{{3}};", body), f"{path}: no thousands separator"
    cp1252_path = next(path for path, v in french if v["encoding"] == "cp1252")
    with pytest.raises(UnicodeDecodeError):
        cp1252_path.read_bytes().decode("utf-8")
    meta = demo["layouts"]["instagram_posts"][0][0].read_text(encoding="utf-8-sig")
    assert re.search(r'"\d{1,3},\d{3}"', meta)
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d,", meta)


def test_x_ids_are_snowflakes_of_their_publish_instant_and_never_shared(demo):
    for post in demo["observations"]:
        if post["platform"] != "x":
            continue
        instant = dt.datetime.fromtimestamp(((int(post["post_id"]) >> 22) + 1288834974657) / 1000, UTC)
        assert abs(instant - post["published_at"]) < dt.timedelta(minutes=1), post
    ids = defaultdict(set)
    for post in demo["observations"]:
        ids[post["post_id"]].add((post["platform"], post["handle"]))
    assert all(len(owners) == 1 for owners in ids.values())


def test_overlapping_exports_repeat_posts_with_grown_counts(demo):
    seen = defaultdict(list)
    for observation in demo["observations"]:
        seen[(observation["platform"], observation["post_id"])].append(observation)
    repeated = [observations for observations in seen.values() if len(observations) > 1]
    assert {observations[0]["platform"] for observations in repeated} == {"x", "instagram"}
    for observations in repeated:
        first, last = sorted(observations, key=lambda observation: observation["path"])
        assert first["reactions"] <= last["reactions"] and first["impressions"] < last["impressions"]


def test_the_demo_has_boundary_posts_replies_reposts_stories_and_hashtags(demo):
    posts = demo["posts"]
    local_times = {post["published_at"].astimezone(PARIS).replace(tzinfo=None) for post in posts}
    assert dt.datetime(2023, 1, 1, 0, 30) in local_times  # 2022-12-31 23:30 UTC: a 2023 post
    assert dt.datetime(2023, 12, 31, 23, 45) in local_times
    assert {"reply", "repost", "story", "quote"} <= {post["post_type"] for post in posts}
    hashtags = {tag.lower() for post in posts for tag in re.findall(r"(?<![\w])#\w+", post["text"])}
    assert {"#rse", "#commited4good", "#embraceequity", "#ecogestes", "#santé"} <= hashtags
    assert any("\n" in post["text"] for post in posts)
    assert all(dt.date(2006, 3, 21) <= post["published_at"].date() <= dt.date(2023, 12, 31) for post in posts)


def test_amgen_joined_instagram_in_2023_with_no_earlier_snapshot(demo):
    amgen = [date for (platform, handle, date) in demo["snapshots"]
             if (platform, handle) == ("instagram", "amgenfrance")]
    assert min(amgen).year == 2023
    row = next(account for account in demo["accounts"]
               if (account["panel"], account["handle"]) == ("ig_corporate_fr", "amgenfrance"))
    assert row["member_from"].startswith("2023-")


# --- the demo's figures, against DEMO.md ----------------------------------------------------------

def test_x_pharma_fr_2023_figures_are_demo_md_within_15_percent(demo):
    expected = {
        ("2023-Q2", "likes_per_post"): 3.0, ("2023-Q3", "likes_per_post"): 3.4, ("2023-Q4", "likes_per_post"): 2.7,
        ("2023", "likes_per_post"): 3.2,
        ("2023-Q2", "reposts_per_post"): 0.84, ("2023-Q3", "reposts_per_post"): 0.9,
        ("2023-Q4", "reposts_per_post"): 0.7, ("2023", "reposts_per_post"): 0.9,
        ("2023", "post_interaction_rate"): 0.0006, ("2022", "post_interaction_rate"): 0.0024,
    }
    for (label, metric), target in expected.items():
        figures = account_figures(demo, "x_pharma_fr", label)
        assert mean_of_accounts(figures, metric) == pytest.approx(target, rel=0.15), (label, metric)
    year = account_figures(demo, "x_pharma_fr", "2023")
    assert len(year) == 20
    assert median_of_accounts(year, "likes_per_post") == pytest.approx(1.6, rel=0.15)
    assert median_of_accounts(year, "reposts_per_post") == pytest.approx(0.3, rel=0.15)


def test_ig_corporate_fr_2023_figures_are_demo_md_within_15_percent(demo):
    year_end = account_figures(demo, "ig_corporate_fr", "2023-Q4")
    ranked = sorted(year_end, key=lambda row: -row["followers_end"])
    assert [row["followers_end"] for row in ranked] == [10_000, 1_408, 1_201, 1_161, 992, 366]
    growth = {row["handle"]: row["followers_growth_pct"] for row in account_figures(demo, "ig_corporate_fr", "2023")}
    assert growth["amgenfrance"] is None
    assert sorted(round(value) for value in growth.values() if value is not None) == [4, 19, 21, 42, 154]
    third = account_figures(demo, "ig_corporate_fr", "2023-Q3")
    assert sorted((row["followers_end"] for row in third), reverse=True) == [9_552, 1_390, 1_079, 977, 913, 304]

    def pooled(label: str) -> tuple[float, float]:
        figures = account_figures(demo, "ig_corporate_fr", label)
        posts = sum(row["posts"] for row in figures)
        return posts / figures[0]["days"], sum(row["reactions"] for row in figures) / posts

    for label, posts_per_day in (("2023-Q2", 0.28), ("2023-Q3", 0.25), ("2023-Q4", 0.45)):
        assert pooled(label)[0] == pytest.approx(posts_per_day, rel=0.15), label
    for label, reactions_per_post in (("2023-Q1", 27), ("2023-Q2", 32), ("2023-Q3", 28), ("2023-Q4", 32),
                                      ("2023", 31)):
        assert pooled(label)[1] == pytest.approx(reactions_per_post, rel=0.15), label
    year = account_figures(demo, "ig_corporate_fr", "2023")
    assert mean_of_accounts(year, "post_interaction_rate") == pytest.approx(0.031, rel=0.15)


def test_ig_campaigns_fr_2023_figures_are_demo_md_within_15_percent(demo):
    year = account_figures(demo, "ig_campaigns_fr", "2023")
    assert len(year) == 7
    assert mean_of_accounts(year, "posts") == pytest.approx(91, rel=0.15)
    assert 89_000 < sum(row["reactions"] for row in year) < 89_000 * 1.15
    assert mean_of_accounts(year, "post_interaction_rate") == pytest.approx(0.031, rel=0.15)


# --- the scale generator ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scale_dir(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("scale") / "landing"
    summary = write_scale_landing(landing, posts=20_000, accounts=30)
    return landing, summary


def test_the_scale_landing_holds_exactly_the_posts_asked_for(scale_dir):
    landing, summary = scale_dir
    read = read_landing(landing)
    assert len(read["observations"]) == 20_000 == len(read["posts"]) == summary["posts"]
    assert sum(summary["posts_by_format"].values()) == 20_000
    assert set(read["layouts"]) == {"accounts", "follower_snapshots", "x_tweet_activity", "x_content",
                                    "instagram_posts", "canonical_posts"}
    handles = {(account["platform"], account["handle"]) for account in read["accounts"]}
    assert len(handles) == summary["accounts"] == 30
    assert {(post["platform"], post["handle"]) for post in read["posts"]} <= handles
    quarters = {(post["published_at"].astimezone(PARIS).year, post["published_at"].astimezone(PARIS).month)
                for post in read["posts"]}
    assert min(quarters) == (2022, 1) and max(quarters) == (2023, 12)
    encodings = {variant["encoding"] for path, variant in read["layouts"]["canonical_posts"]
                 if variant["delimiter"] == ";"}
    assert encodings == {"cp1252", "utf-8"}
    for post in read["posts"]:
        if post["platform"] == "x":
            instant = dt.datetime.fromtimestamp(((int(post["post_id"]) >> 22) + 1288834974657) / 1000, UTC)
            assert abs(instant - post["published_at"]) < dt.timedelta(minutes=1)


def test_the_scale_landing_is_the_same_bytes_every_time(scale_dir, tmp_path):
    landing, _ = scale_dir
    write_scale_landing(tmp_path / "again", posts=20_000, accounts=30)
    assert tree_bytes(tmp_path / "again") == tree_bytes(landing)


def test_an_incremental_file_adds_new_posts_by_members(scale_dir, tmp_path):
    landing, _ = scale_dir
    copy = tmp_path / "landing"
    for relative, data in tree_bytes(landing).items():
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        (copy / relative).write_bytes(data)
    path = write_incremental_file(copy, "2023-Q2", posts=1_000)
    header, rows, _ = read_table(path)
    added = read_posts(path, header, rows)
    assert len(added) == 1_000
    assert {post["published_at"].astimezone(PARIS).month for post in added} <= {4, 5, 6}
    existing = {(post["platform"], post["post_id"]) for post in read_landing(landing)["observations"]}
    assert not existing & {(post["platform"], post["post_id"]) for post in added}
    assert len({post["post_id"] for post in added}) == 1_000
