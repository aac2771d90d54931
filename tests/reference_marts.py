"""An independent reference implementation of the eleven marts of MARTS.md.

Written from the text of LANDING.md (what a landing directory holds) and
METRICS.md (what every figure means) only, in plain Python, without looking
at the pipeline's dbt models or SQL: the point is a second implementation of
the contract, so that tests can compare the pipeline with it value by value
(tests/test_reference_marts.py).

Where the spec leaves a choice open, the reading taken is said next to the
code (search for "Reading:").
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import statistics
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
DEFAULT_TIMEZONE = "Europe/Paris"
SNOWFLAKE_EPOCH_MS = 1288834974657

ACCOUNT_COLUMNS = ("panel", "platform", "handle", "company", "display_name", "account_type", "member_from",
                   "member_to")
CANONICAL_COLUMNS = ("platform", "handle", "post_id", "published_at", "post_type", "text", "likes", "comments",
                     "reposts", "quotes", "impressions", "permalink")
SNAPSHOT_COLUMNS = ("platform", "handle", "date", "followers", "following")
INSTAGRAM_TYPES = {"IG image": "image", "IG carousel": "carousel", "IG reel": "reel", "IG video": "video",
                   "IG story": "story"}
COUNTED_TYPES = {"x": {"post", "reply", "quote"}, "instagram": {"image", "carousel", "video", "reel"}}
PANEL_METRICS = ("posts", "likes_per_post", "comments_per_post", "reposts_per_post", "reactions_per_post",
                 "posts_per_day", "post_interaction_rate", "followers_end", "followers_growth_pct", "following_end")
PER_POST_PARTS = {"likes_per_post": "likes", "comments_per_post": "comments", "reposts_per_post": "reposts",
                  "reactions_per_post": "reactions"}

# The columns of MARTS.md, in its order; the first one or more are each table's key.
ACCOUNT_TABLE_COLUMNS = (
    "period_start", "period_end", "panel", "platform", "handle", "company", "display_name", "account_type",
    "posts", "likes", "comments", "reposts", "quotes", "reactions",
    "likes_per_post", "comments_per_post", "reposts_per_post", "reactions_per_post",
    "posts_per_day", "post_interaction_rate",
    "followers_start", "followers_end", "followers_growth_pct", "following_end",
)
PANEL_TABLE_COLUMNS = ("panel", "platform", "metric", "accounts", "mean_of_accounts", "median_of_accounts", "pooled")
RANK_TABLE_COLUMNS = ("panel", "metric", "handle", "display_name", "value", "rank", "previous_rank")
TOP_POSTS_TABLE_COLUMNS = (
    "panel", "rank", "handle", "display_name", "post_id", "published_at", "post_type", "text", "permalink",
    "likes", "comments", "reposts", "quotes", "reactions", "followers_at_publish", "post_interaction",
)
HASHTAG_TABLE_COLUMNS = ("panel", "hashtag", "posts", "accounts", "reactions")


def _table(period_column: str, columns: tuple[str, ...], key: tuple[str, ...]) -> dict:
    return {"columns": (period_column, *columns), "key": (period_column, *key)}


TABLES = {
    "fct_account_quarter": _table("quarter", ACCOUNT_TABLE_COLUMNS, ("panel", "handle")),
    "fct_account_year": _table("year", ACCOUNT_TABLE_COLUMNS, ("panel", "handle")),
    "fct_panel_quarter": _table("quarter", PANEL_TABLE_COLUMNS, ("panel", "metric")),
    "fct_panel_year": _table("year", PANEL_TABLE_COLUMNS, ("panel", "metric")),
    "rank_account_quarter": _table("quarter", RANK_TABLE_COLUMNS, ("panel", "metric", "handle")),
    "rank_account_year": _table("year", RANK_TABLE_COLUMNS, ("panel", "metric", "handle")),
    "fct_top_posts_quarter": _table("quarter", TOP_POSTS_TABLE_COLUMNS, ("panel", "rank")),
    "fct_top_posts_year": _table("year", TOP_POSTS_TABLE_COLUMNS, ("panel", "rank")),
    "fct_hashtags_quarter": _table("quarter", HASHTAG_TABLE_COLUMNS, ("panel", "hashtag")),
}


# --- reading a landing directory (LANDING.md) -------------------------------------------------------

def decode(raw: bytes) -> str:
    """LANDING.md 2d: UTF-16 with BOM, UTF-8 with or without BOM, else Windows-1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows (by column name) of a CSV file, delimiter `,` or `;` told by its header line."""
    text = decode(path.read_bytes())
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row]
    header = [name.strip() for name in rows[0]]
    return header, [dict(zip(header, row)) for row in rows[1:]]


def layout_of(header: list[str]) -> str:
    """LANDING.md 2: a file's format comes from its header row, columns matched by name, in any order."""
    names = set(header)
    if {"Tweet id", "Tweet permalink", "Tweet text", "time"} <= names:
        return "x_tweet_activity"
    if {"Post id", "Date", "Post text", "Post Link"} <= names:
        return "x_content"
    if {"Post ID", "Account username", "Publish time", "Post type"} <= names:
        return "instagram_posts"
    if set(CANONICAL_COLUMNS) <= names:
        return "canonical_posts"
    if set(SNAPSHOT_COLUMNS) <= names:
        return "follower_snapshots"
    if set(ACCOUNT_COLUMNS) <= names:
        return "accounts"
    raise ValueError(f"unrecognised header {header}")


def count(value: str) -> int:
    """A count: thousands separators `,`, space, U+00A0, U+202F; `1777.0`; empty (or `-`, unused promoted) is 0."""
    value = re.sub(r"[ ,\u00a0\u202f]", "", value.strip())
    if value in ("", "-"):
        return 0
    number = float(value)
    if number < 0 or number != int(number):
        raise ValueError(f"not a non-negative integer: {value!r}")
    return int(number)


def handle_from_link(link: str) -> str:
    """`https://x.com/<handle>/status/<id>` (or twitter.com): the handle, lowercase."""
    return link.split("://", 1)[-1].split("/")[1].lower()


def type_from_text(text: str) -> str:
    return "repost" if text.startswith("RT @") else "reply" if text.startswith("@") else "post"


def canonical_instant(value: str, zone: ZoneInfo) -> dt.datetime:
    """ISO 8601 with or without offset, or DD/MM/YYYY HH:MM[:SS]; without an offset, local time in `zone`."""
    value = value.strip()
    french = re.fullmatch(r"(\d\d)/(\d\d)/(\d{4}) (\d\d):(\d\d)(?::(\d\d))?", value)
    if french:
        day, month, year, hour, minute, second = french.groups()
        parsed = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    else:
        parsed = dt.datetime.fromisoformat(value)
    return local_instant(parsed, zone)


def local_instant(parsed: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)


def snowflake_instant(post_id: str) -> dt.datetime:
    milliseconds = (int(post_id) >> 22) + SNOWFLAKE_EPOCH_MS
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=milliseconds)


def snapshot_date(value: str) -> dt.date:
    value = value.strip()
    if "/" in value:
        return dt.datetime.strptime(value, "%d/%m/%Y").date()
    return dt.date.fromisoformat(value)


def empty_to_none(value: str | None) -> str | None:
    return value if value not in (None, "") else None


def read_post(layout: str, row: dict[str, str], zone: ZoneInfo) -> dict:
    if layout == "x_tweet_activity":
        text = row["Tweet text"]
        return dict(platform="x", handle=handle_from_link(row["Tweet permalink"]), post_id=row["Tweet id"].strip(),
                    published_at=dt.datetime.strptime(row["time"].strip(), "%Y-%m-%d %H:%M %z").astimezone(UTC),
                    post_type=type_from_text(text), text=text,
                    likes=count(row["likes"] if "likes" in row else row["favorites"]),
                    comments=count(row["replies"]), reposts=count(row["retweets"]), quotes=0,
                    impressions=count(row["impressions"]), permalink=empty_to_none(row["Tweet permalink"]))
    if layout == "x_content":
        text = row["Post text"]
        return dict(platform="x", handle=handle_from_link(row["Post Link"]), post_id=row["Post id"].strip(),
                    published_at=snowflake_instant(row["Post id"].strip()), post_type=type_from_text(text),
                    text=text, likes=count(row["Likes"]), comments=count(row["Replies"]),
                    reposts=count(row["Reposts"]), quotes=0, impressions=count(row["Impressions"]),
                    permalink=empty_to_none(row["Post Link"]))
    if layout == "instagram_posts":
        views = row["Views"] if "Views" in row else row["Impressions"]
        return dict(platform="instagram", handle=row["Account username"].strip().lower(),
                    post_id=row["Post ID"].strip(),
                    published_at=local_instant(dt.datetime.strptime(row["Publish time"].strip(), "%m/%d/%Y %H:%M"),
                                               zone),
                    post_type=INSTAGRAM_TYPES[row["Post type"].strip()], text=row["Description"],
                    likes=count(row["Likes"]), comments=count(row["Comments"]), reposts=0, quotes=0,
                    impressions=count(views), permalink=empty_to_none(row["Permalink"]))
    # canonical posts
    # Reading: an empty `permalink` is no permalink (NULL), like an empty `following`.
    return dict(platform=row["platform"].strip(), handle=row["handle"].strip().lower(), post_id=row["post_id"].strip(),
                published_at=canonical_instant(row["published_at"], zone), post_type=row["post_type"].strip(),
                text=row["text"], likes=count(row["likes"]), comments=count(row["comments"]),
                reposts=count(row["reposts"]), quotes=count(row["quotes"]), impressions=count(row["impressions"]),
                permalink=empty_to_none(row["permalink"]))


@dataclass
class Landing:
    """What a landing directory says: the panels' rows, the posts (one observation each), the snapshots."""

    accounts: list[dict]
    posts: list[dict]
    observations: list[dict]
    snapshots: dict[tuple[str, str], list[tuple[dt.date, int, int | None]]]
    zone: ZoneInfo

    def follower_snapshot(self, platform: str, handle: str, day: dt.date) -> tuple[dt.date, int, int | None] | None:
        """LANDING.md 3: the latest snapshot dated on or before `day` (carried forward without age limit)."""
        series = self.snapshots.get((platform, handle), [])
        index = bisect_right([date for date, _, _ in series], day) - 1
        return series[index] if index >= 0 else None

    def followers_on(self, platform: str, handle: str, day: dt.date) -> int | None:
        snapshot = self.follower_snapshot(platform, handle, day)
        return snapshot[1] if snapshot else None

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.zone).date()


def read_landing(landing: Path, timezone: str = DEFAULT_TIMEZONE) -> Landing:
    zone = ZoneInfo(timezone)
    accounts, observations, snapshots = [], [], {}
    for path in sorted(landing.rglob("*")):
        if not path.is_file() or path.suffix.lower() != ".csv":
            continue
        relative = path.relative_to(landing).as_posix()
        header, rows = read_csv(path)
        if relative == "accounts.csv":
            for row in rows:
                accounts.append(dict(
                    panel=row["panel"].strip(), platform=row["platform"].strip(),
                    handle=row["handle"].strip().lower(), company=row["company"], display_name=row["display_name"],
                    account_type=row["account_type"].strip(),
                    member_from=dt.date.fromisoformat(row["member_from"]) if row["member_from"].strip() else None,
                    member_to=dt.date.fromisoformat(row["member_to"]) if row["member_to"].strip() else None,
                ))
            continue
        layout = layout_of(header)
        if layout == "accounts":
            raise ValueError(f"{relative}: the panels are read from accounts.csv at the landing root only")
        if layout == "follower_snapshots":
            for row in rows:
                key = (row["platform"].strip(), row["handle"].strip().lower(), snapshot_date(row["date"]))
                following = row["following"].strip()
                value = (count(row["followers"]), count(following) if following else None)
                if snapshots.setdefault(key, value) != value:
                    raise ValueError(f"conflicting snapshots for {key}: {snapshots[key]} and {value} ({relative})")
        else:
            for row in rows:
                post = read_post(layout, row, zone)
                post["path"] = relative
                post["reactions"] = post["likes"] + post["comments"] + post["reposts"] + post["quotes"]
                observations.append(post)
    kept: dict[tuple[str, str], dict] = {}
    for observation in observations:  # LANDING.md 4
        key = (observation["platform"], observation["post_id"])
        previous = kept.get(key)
        if previous is not None and previous["handle"] != observation["handle"]:
            raise ValueError(f"post {key} under two handles")
        rank = (observation["reactions"], observation["impressions"], observation["path"])
        if previous is None or rank > (previous["reactions"], previous["impressions"], previous["path"]):
            kept[key] = observation
    series = defaultdict(list)
    for (platform, handle, date), (followers, following) in sorted(snapshots.items()):
        series[(platform, handle)].append((date, followers, following))
    return Landing(accounts=accounts, posts=list(kept.values()), observations=observations,
                   snapshots=dict(series), zone=zone)


# --- periods (METRICS.md) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    label: str | int  # "2023-Q4" for a quarter, 2023 for a year
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_quarter(self) -> bool:
        return isinstance(self.label, str)


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter(label: str) -> Period:
    year, number = int(label[:4]), int(label[-1])
    start = dt.date(year, 3 * number - 2, 1)
    end = dt.date(year + (number == 4), (3 * number) % 12 + 1, 1) - dt.timedelta(days=1)
    return Period(label, start, end)


def previous_quarter_label(label: str) -> str:
    year, number = int(label[:4]), int(label[-1])
    return f"{year - 1}-Q4" if number == 1 else f"{year}-Q{number - 1}"


def last_complete_quarter(run_date: dt.date) -> Period:
    """The quarter before the one holding the run date: a quarter is complete once its last day has passed."""
    return quarter(previous_quarter_label(quarter_of(run_date)))


def year(number: int, run_date: dt.date) -> Period:
    """METRICS.md: the calendar year, except the current year, whose period ends with its last complete quarter."""
    end = dt.date(number, 12, 31)
    if number == run_date.year:
        end = last_complete_quarter(run_date).end
    return Period(number, dt.date(number, 1, 1), end)


def quarters_with_posts(landing: Landing, run_date: dt.date) -> list[str]:
    """`bts run --all` (MARTS.md): every quarter that has data; only complete quarters can run.

    Reading: the quarters from the first to the last complete one in which a post (of any account and
    type) was published, including quarters between them without posts (their members, follower counts
    and ranks are data too).
    """
    last = last_complete_quarter(run_date).end
    days = [landing.local_date(post["published_at"]) for post in landing.observations]
    days = [day for day in days if day <= last]
    if not days:
        return []
    labels, label = [], quarter_of(min(days))
    while label <= quarter_of(max(days)):
        labels.append(label)
        year_, number = int(label[:4]), int(label[-1])
        label = f"{year_ + 1}-Q1" if number == 4 else f"{year_}-Q{number + 1}"
    return labels


# --- the figures (METRICS.md) -----------------------------------------------------------------------

def is_member(account: dict, period: Period) -> bool:
    """LANDING.md 1: member_from <= period end and (member_to empty or member_to >= period start)."""
    return ((account["member_from"] is None or account["member_from"] <= period.end)
            and (account["member_to"] is None or account["member_to"] >= period.start))


def period_members(accounts: list[dict], period: Period) -> list[dict]:
    """The members of every panel in the period, one line each, in the order of accounts.csv.

    Reading: an account listed again in a panel it left (a line per membership, which LANDING.md 1 does
    not forbid) is one member of the panel for a period when any of its lines makes it one; the line of
    its latest membership (latest member_from, an empty one earliest; then the later line) gives its name.
    """
    chosen: dict[tuple, tuple] = {}
    for line, account in enumerate(accounts):
        if is_member(account, period):
            key = (account["panel"], account["platform"], account["handle"])
            latest = (account["member_from"] or dt.date.min, line)
            if key not in chosen or latest > chosen[key][0]:
                chosen[key] = (latest, account)
    return [account for _, account in chosen.values()]


def is_counted(post: dict) -> bool:
    return post["post_type"] in COUNTED_TYPES.get(post["platform"], set())


def is_hashtag_character(character: str) -> bool:
    category = unicodedata.category(character)
    return character == "_" or category.startswith("L") or category == "Nd"


def hashtags_of(text: str) -> set[str]:
    """`#` then one or more Unicode letters, digits or `_`, not preceded by one of those; lowercase."""
    found = set()
    for index, character in enumerate(text):
        if character != "#" or (index > 0 and is_hashtag_character(text[index - 1])):
            continue
        end = index + 1
        while end < len(text) and is_hashtag_character(text[end]):
            end += 1
        if end > index + 1:
            found.add(text[index:end].lower())
    return found


def ratio(numerator, denominator) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Reference:
    """The marts of a landing directory for the quarters a run covers (and the years of those quarters)."""

    landing: Landing
    run_date: dt.date
    _accounts: dict = field(default_factory=dict)
    _ranks: dict = field(default_factory=dict)
    _counted: dict | None = None

    def period_posts(self, platform: str, handle: str, period: Period) -> list[dict]:
        if self._counted is None:  # (platform, handle) -> [(local date, post)], in landing order: only for speed
            self._counted = defaultdict(list)
            for post in self.landing.posts:
                if is_counted(post):
                    self._counted[(post["platform"], post["handle"])].append(
                        (self.landing.local_date(post["published_at"]), post))
        return [post for day, post in self._counted.get((platform, handle), ())
                if period.start <= day <= period.end]

    def account_rows(self, period: Period) -> list[dict]:
        """fct_account_*: one row per member of every panel in the period."""
        if period in self._accounts:
            return self._accounts[period]
        rows = []
        for account in period_members(self.landing.accounts, period):
            platform, handle = account["platform"], account["handle"]
            posts = self.period_posts(platform, handle, period)
            n = len(posts)
            sums = {part: sum(post[part] for post in posts)
                    for part in ("likes", "comments", "reposts", "quotes", "reactions")}
            by_day = defaultdict(list)
            for post in posts:
                by_day[self.landing.local_date(post["published_at"])].append(post["reactions"])
            daily_rates, exact_rates = [], []
            for day, reactions in by_day.items():
                followers = self.landing.followers_on(platform, handle, day)
                if followers:  # known and above 0
                    daily_rates.append(sum(reactions) / len(reactions) / followers)
                    exact_rates.append(Fraction(sum(reactions), len(reactions)) / followers)
            followers_start = self.landing.followers_on(platform, handle, period.start - dt.timedelta(days=1))
            end_snapshot = self.landing.follower_snapshot(platform, handle, period.end)
            followers_end = end_snapshot[1] if end_snapshot else None
            rows.append(dict(
                period_start=period.start, period_end=period.end, panel=account["panel"], platform=platform,
                handle=handle, company=account["company"], display_name=account["display_name"],
                account_type=account["account_type"], posts=n, **sums,
                likes_per_post=ratio(sums["likes"], n), comments_per_post=ratio(sums["comments"], n),
                reposts_per_post=ratio(sums["reposts"], n), reactions_per_post=ratio(sums["reactions"], n),
                # Reading: "calendar days in the period", so 181 for a year to date ending with Q2.
                posts_per_day=n / period.days,
                post_interaction_rate=statistics.fmean(daily_rates) if daily_rates else None,
                # Reading: "equal values share a rank" means equal numbers; two means of
                # daily rates can be equal and round differently as doubles, so ranks use these.
                exact_post_interaction_rate=sum(exact_rates) / len(exact_rates) if exact_rates else None,
                followers_start=followers_start, followers_end=followers_end,
                followers_growth_pct=(100 * (followers_end - followers_start) / followers_start
                                      if followers_start and followers_end is not None else None),
                following_end=end_snapshot[2] if end_snapshot else None,
            ))
        self._accounts[period] = rows
        return rows

    def panel_rows(self, period: Period) -> list[dict]:
        """fct_panel_*: one row per (panel, metric) of every panel in the period.

        Reading: "every panel in the period" (METRICS.md, per account) is a panel with at least one member
        in the period; a panel of accounts.csv whose members all joined later or left earlier has no row
        (rather than rows of 0 accounts and NULL figures).
        """
        members = defaultdict(list)
        for row in self.account_rows(period):
            members[row["panel"]].append(row)
        rows = []
        for panel, accounts in sorted(members.items()):
            platform = accounts[0]["platform"]
            for metric in PANEL_METRICS:
                values = [row[metric] for row in accounts if row[metric] is not None]
                rows.append(dict(
                    panel=panel, platform=platform, metric=metric, accounts=len(values),
                    mean_of_accounts=statistics.fmean(values) if values else None,
                    median_of_accounts=float(statistics.median(values)) if values else None,
                    pooled=self.pooled(metric, accounts, period),
                ))
        return rows

    @staticmethod
    def pooled(metric: str, accounts: list[dict], period: Period) -> float | None:
        posts = sum(row["posts"] for row in accounts)
        if metric == "posts":
            return float(posts)
        if metric in PER_POST_PARTS:
            return ratio(sum(row[PER_POST_PARTS[metric]] for row in accounts), posts)
        if metric == "posts_per_day":
            return posts / period.days
        if metric == "followers_end":
            known = [row["followers_end"] for row in accounts if row["followers_end"] is not None]
            return float(sum(known)) if known else None
        if metric == "followers_growth_pct":
            both = [row for row in accounts if row["followers_start"] is not None and row["followers_end"] is not None]
            start = sum(row["followers_start"] for row in both)
            end = sum(row["followers_end"] for row in both)
            return 100 * (end - start) / start if start else None
        return None

    def ranks(self, period: Period) -> dict[tuple[str, str, str], tuple[float, int]]:
        """(panel, metric, handle) -> (value, RANK() by value descending) for every non-NULL value."""
        if period in self._ranks:
            return self._ranks[period]
        values = defaultdict(list)
        for row in self.account_rows(period):
            for metric in PANEL_METRICS:
                if row[metric] is not None:
                    exact = row["exact_post_interaction_rate"] if metric == "post_interaction_rate" else row[metric]
                    values[(row["panel"], metric)].append((row["handle"], row[metric], exact))
        ranks = {}
        for (panel, metric), members in values.items():
            for handle, value, exact in members:
                rank = 1 + sum(1 for _, _, other in members if other > exact)
                ranks[(panel, metric, handle)] = (value, rank)
        self._ranks[period] = ranks
        return ranks

    def previous(self, period: Period) -> Period:
        if period.is_quarter:
            return quarter(previous_quarter_label(period.label))
        return year(period.label - 1, self.run_date)

    def rank_rows(self, period: Period) -> list[dict]:
        """rank_account_*: ranks, and the previous period's rank of the same member, panel and metric.

        Reading: the previous period's ranks are those its marts would hold, computed from the landing
        data whether or not that period was itself run.
        """
        names = {(row["panel"], row["handle"]): row["display_name"] for row in self.account_rows(period)}
        previous = self.ranks(self.previous(period))
        rows = []
        for (panel, metric, handle), (value, rank) in sorted(self.ranks(period).items()):
            before = previous.get((panel, metric, handle))
            rows.append(dict(panel=panel, metric=metric, handle=handle, display_name=names[(panel, handle)],
                             value=float(value), rank=rank, previous_rank=before[1] if before else None))
        return rows

    def top_post_rows(self, period: Period) -> list[dict]:
        """fct_top_posts_*: the first 10 counted posts by members with a known post_interaction, per panel."""
        rows = []
        by_panel = defaultdict(list)
        for member in self.account_rows(period):
            for post in self.period_posts(member["platform"], member["handle"], period):
                followers = self.landing.followers_on(post["platform"], post["handle"],
                                                      self.landing.local_date(post["published_at"]))
                if followers:
                    by_panel[member["panel"]].append((post, member, followers, post["reactions"] / followers))
        for panel, candidates in sorted(by_panel.items()):
            # Reading: post_id is VARCHAR in the marts, so "post_id ascending" is text order.
            candidates.sort(key=lambda item: (-item[3], -item[0]["reactions"], item[0]["published_at"],
                                              item[0]["post_id"]))
            for rank, (post, member, followers, interaction) in enumerate(candidates[:10], start=1):
                rows.append(dict(
                    panel=panel, rank=rank, handle=post["handle"], display_name=member["display_name"],
                    post_id=post["post_id"], published_at=post["published_at"], post_type=post["post_type"],
                    text=post["text"], permalink=post["permalink"], likes=post["likes"], comments=post["comments"],
                    reposts=post["reposts"], quotes=post["quotes"], reactions=post["reactions"],
                    followers_at_publish=followers, post_interaction=interaction,
                ))
        return rows

    def hashtag_rows(self, period: Period) -> list[dict]:
        """fct_hashtags_quarter: per (panel, hashtag), distinct posts, distinct members and their reactions."""
        found = defaultdict(dict)
        for member in self.account_rows(period):
            for post in self.period_posts(member["platform"], member["handle"], period):
                for hashtag in hashtags_of(post["text"]):
                    found[(member["panel"], hashtag)][(post["platform"], post["post_id"])] = post
        rows = []
        for (panel, hashtag), posts in sorted(found.items()):
            rows.append(dict(panel=panel, hashtag=hashtag, posts=len(posts),
                             accounts=len({(post["platform"], post["handle"]) for post in posts.values()}),
                             reactions=sum(post["reactions"] for post in posts.values())))
        return rows

    def marts(self, quarters: list[str]) -> dict[str, list[dict]]:
        """Every table of MARTS.md for these quarters and their years, as lists of rows by column name."""
        quarter_periods = [quarter(label) for label in sorted(set(quarters))]
        year_periods = [year(number, self.run_date) for number in sorted({period.start.year
                                                                          for period in quarter_periods})]
        builders = {"fct_account": self.account_rows, "fct_panel": self.panel_rows, "rank_account": self.rank_rows,
                    "fct_top_posts": self.top_post_rows, "fct_hashtags": self.hashtag_rows}
        marts = {}
        for name, table in TABLES.items():
            prefix, grain = name.rsplit("_", 1)
            periods = quarter_periods if grain == "quarter" else year_periods
            rows = []
            for period in periods:
                for row in builders[prefix](period):
                    rows.append({table["columns"][0]: period.label, **row})
            marts[name] = [{column: row[column] for column in table["columns"]} for row in rows]
        return marts


def reference_marts(landing: Path, run_date: dt.date, quarters: list[str] | None = None,
                    timezone: str = DEFAULT_TIMEZONE) -> dict[str, list[dict]]:
    """The marts a run of `quarters` (default: `--all`) should publish from this landing directory."""
    read = read_landing(landing, timezone)
    reference = Reference(read, run_date)
    return reference.marts(quarters if quarters is not None else quarters_with_posts(read, run_date))


def same_value(expected, got) -> bool:
    """Texts and integers exactly, doubles to 1e-9 relative, NULL as NULL, timestamps as instants."""
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, float):
        return (isinstance(got, float) and not math.isnan(got)
                and math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-15))
    if isinstance(expected, bool) or isinstance(got, bool):
        return False
    if isinstance(expected, int):
        return isinstance(got, int) and got == expected
    if isinstance(expected, dt.datetime):
        return isinstance(got, dt.datetime) and got.tzinfo is not None and got == expected
    return type(got) is type(expected) and got == expected
