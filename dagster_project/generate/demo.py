"""The bundled demo landing directory (DEMO.md): three panels, 2022-Q1 to 2023-Q4.

The published 2023 figures of DEMO.md are hit by construction, not by luck:

- x_pharma_fr: each account's likes and reposts per post are drawn from a
  skewed distribution whose mean and median are DEMO.md's; each quarter's
  totals are then allocated over the quarter's posts, so a quarter's mean of
  accounts is the published one. Follower counts are free on X, so they are
  solved from the posts: an account's follower level is the one that gives it
  its drawn post_interaction_rate (METRICS.md), and 2022's reactions are
  scaled to give 2022's rate.
- ig_corporate_fr: follower counts are DEMO.md's; each post's reactions are
  its account's rate times the followers on its day, times a factor per
  quarter that makes the pooled reactions per post the published one.
- ig_campaigns_fr: post counts and rates are set; the follower scale is solved
  so that the panel's 2023 reactions are the published total.

`build_demo` returns the records; `write_demo_landing` writes them in the
file formats of LANDING.md, spread so that every format and variant occurs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
import statistics
from bisect import bisect_right
from collections import defaultdict
from zoneinfo import ZoneInfo

from dagster_project.generate import layouts, texts
from dagster_project.quarters import Quarter, quarter_range

TIMEZONE = ZoneInfo("Europe/Paris")
UTC = dt.timezone.utc
QUARTERS = tuple(quarter_range(Quarter(2022, 1), Quarter(2023, 4)))
FIRST_SNAPSHOT = dt.date(2021, 12, 31)  # so that posts of the first days of 2022 have a follower count

# DEMO.md targets.
X_LIKES_PER_POST = {"year": 3.2, "median": 1.6, 2: 3.0, 3: 3.4, 4: 2.7}
X_REPOSTS_PER_POST = {"year": 0.9, "median": 0.3, 2: 0.84, 3: 0.9, 4: 0.7}
X_INTERACTION_RATE = {2022: 0.0024, 2023: 0.0006}
IG_CORPORATE_POSTS_PER_DAY = {1: 0.22, 2: 0.28, 3: 0.25, 4: 0.45}
IG_CORPORATE_REACTIONS_PER_POST = {1: 27, 2: 32, 3: 28, 4: 32}
IG_CORPORATE_REACTIONS_PER_POST_2022 = 25
IG_CORPORATE_INTERACTION_RATE = 0.031
IG_CAMPAIGNS_POSTS_2023 = 91  # mean of accounts
IG_CAMPAIGNS_REACTIONS_2023 = 92_000  # DEMO.md: "over 89,000"

# Boundary posts: local instants that sit in a different quarter or year in UTC, or close to the edge.
FORCED_LOCAL_TIMES = {
    ("x", "janssenfrance", "2022-Q1"): dt.datetime(2022, 1, 1, 0, 30),    # 2021-12-31 23:30 UTC
    ("x", "sanofi", "2023-Q1"): dt.datetime(2023, 1, 1, 0, 30),           # 2022-12-31 23:30 UTC
    ("x", "pfizerfrance", "2023-Q3"): dt.datetime(2023, 7, 1, 0, 15),     # 2023-06-30 22:15 UTC
    ("x", "rochefrance", "2023-Q4"): dt.datetime(2023, 12, 31, 23, 59),
    ("instagram", "lachainerose", "2023-Q4"): dt.datetime(2023, 12, 31, 23, 45),
    ("instagram", "bayerfrance", "2022-Q1"): dt.datetime(2022, 3, 31, 23, 50),
}


@dataclasses.dataclass(frozen=True)
class DemoAccount:
    panel: str | None  # None: loaded, but in no panel
    platform: str
    handle: str
    company: str
    display_name: str
    account_type: str
    member_from: dt.date | None = None
    member_to: dt.date | None = None
    link_handle: str = ""  # the handle as the platform spells it in links (X keeps the user's case)

    def is_member(self, start: dt.date, end: dt.date) -> bool:
        return (
            self.panel is not None
            and (self.member_from is None or self.member_from <= end)
            and (self.member_to is None or self.member_to >= start)
        )


@dataclasses.dataclass
class DemoPost:
    platform: str
    handle: str
    post_id: int
    published_at: dt.datetime  # UTC
    post_type: str
    text: str
    likes: int = 0
    comments: int = 0
    reposts: int = 0
    quotes: int = 0
    impressions: int = 0
    permalink: str = ""
    file_key: str = ""
    weight: float = 1.0  # relative appeal within its account and quarter

    @property
    def local_date(self) -> dt.date:
        return self.published_at.astimezone(TIMEZONE).date()

    @property
    def quarter(self) -> Quarter:
        return Quarter.containing(self.local_date)

    @property
    def is_counted(self) -> bool:
        return self.post_type not in ("repost", "story")

    @property
    def reactions(self) -> int:
        return self.likes + self.comments + self.reposts + self.quotes


@dataclasses.dataclass(frozen=True)
class DemoSnapshot:
    platform: str
    handle: str
    date: dt.date
    followers: int
    following: int


@dataclasses.dataclass
class DemoLanding:
    accounts: list[DemoAccount]
    posts: list[DemoPost]  # final observations, one per post
    early_observations: list[DemoPost]  # the same posts exported earlier, with smaller counts
    snapshots: list[DemoSnapshot]


# --- the panels ---------------------------------------------------------------------------------

# X accounts, from the most to the least engaging; (handle, link handle, company, display name,
# counted posts per quarter).
_X_ACCOUNTS = (
    ("sanofi", "sanofi", "Sanofi", "Sanofi", 50),
    ("pfizerfrance", "PfizerFrance", "Pfizer", "Pfizer France", 38),
    ("novartisfrance", "NovartisFrance", "Novartis", "Novartis France", 28),
    ("rochefrance", "RocheFrance", "Roche", "Roche France", 32),
    ("janssenfrance", "JanssenFrance", "Janssen", "Janssen France", 28),
    ("astrazenecafr", "AstraZenecaFR", "AstraZeneca", "AstraZeneca France", 26),
    ("msdfrance", "MSDFrance", "MSD", "MSD France", 24),
    ("gskfrance", "GSKFrance", "GSK", "GSK France", 20),
    ("bayerfrance", "BayerFrance", "Bayer", "Bayer France", 28),
    ("servier", "Servier", "Servier", "Servier", 22),
    ("amgenfrance", "AmgenFrance", "Amgen", "Amgen France", 24),
    ("lillyfrance", "LillyFrance", "Lilly", "Lilly France", 18),
    ("pierrefabre", "PierreFabre", "Pierre Fabre", "Pierre Fabre", 20),
    ("bmsfrance", "BMSFrance", "BMS", "BMS France", 15),
    ("abbviefrance", "AbbVieFrance", "AbbVie", "AbbVie France", 16),
    ("ipsen", "Ipsen", "Ipsen", "Ipsen", 18),
    ("takedafrance", "TakedaFrance", "Takeda", "Takeda France", 14),
    ("novonordiskfr", "NovoNordiskFR", "Novo Nordisk", "Novo Nordisk France", 12),
    ("boehringerfr", "BoehringerFR", "Boehringer Ingelheim", "Boehringer Ingelheim France", 14),
    ("leopharmafr", "LEOPharmaFR", "LEO Pharma", "LEO Pharma France", 10),
)
# Membership exceptions, to exercise LANDING.md section 1: one account joined the panel late, one left it,
# and one account is loaded but in no panel.
_X_MEMBER_FROM = {"novonordiskfr": dt.date(2022, 4, 1)}
_X_FORMER_MEMBER = ("ucbfrance", "UCBFrance", "UCB", "UCB France", 12, dt.date(2022, 9, 30))
_X_OUTSIDER = ("leem_media", "leem_media", "Leem", "Leem", 20)

# Instagram corporate accounts: follower anchors (DEMO.md figures at end 2022, end Q3 and end 2023),
# post_interaction_rate, counted posts per quarter 2022-Q1 .. 2023-Q4. The first rate is solved.
_IG_CORPORATE = (
    ("sanofifrance", "Sanofi", "Sanofi France",
     {dt.date(2021, 12, 31): 7050, dt.date(2022, 12, 31): 8264, dt.date(2023, 9, 30): 9552,
      dt.date(2023, 12, 31): 10000}, None, (5, 5, 4, 6, 4, 5, 5, 8)),
    ("bayerfrance", "Bayer", "Bayer France",
     {dt.date(2021, 12, 31): 1281, dt.date(2022, 12, 31): 1354, dt.date(2023, 9, 30): 1390,
      dt.date(2023, 12, 31): 1408}, 0.022, (4, 4, 4, 5, 4, 5, 4, 7)),
    ("amgenfrance", "Amgen", "Amgen France",
     {dt.date(2023, 2, 1): 164, dt.date(2023, 9, 30): 977, dt.date(2023, 12, 31): 1201}, 0.036,
     (0, 0, 0, 0, 3, 5, 5, 9)),
    ("lillyfrance", "Lilly", "Lilly France",
     {dt.date(2021, 12, 31): 611, dt.date(2022, 12, 31): 818, dt.date(2023, 9, 30): 1079,
      dt.date(2023, 12, 31): 1161}, 0.031, (3, 4, 3, 4, 3, 4, 3, 6)),
    ("bmsfrance", "BMS", "BMS France",
     {dt.date(2021, 12, 31): 702, dt.date(2022, 12, 31): 834, dt.date(2023, 9, 30): 913,
      dt.date(2023, 12, 31): 992}, 0.032, (3, 3, 3, 4, 3, 3, 3, 6)),
    ("leopharmafrance", "LEO Pharma", "LEO Pharma France",
     {dt.date(2021, 12, 31): 83, dt.date(2022, 12, 31): 144, dt.date(2023, 9, 30): 304,
      dt.date(2023, 12, 31): 366}, 0.060, (3, 3, 3, 3, 3, 3, 3, 5)),
)
_AMGEN_INSTAGRAM_FROM = dt.date(2023, 2, 1)

# Campaign accounts: relative audience at end 2023, audience growth in 2023, post_interaction_rate,
# counted posts per quarter of 2023 (mean of accounts: 91, DEMO.md).
_IG_CAMPAIGNS = (
    ("boxonslasep", "Merck", "Boxons la SEP", 1.0, 1.25, 0.024, (22, 20, 18, 25)),
    ("parlonsdepression", "Lundbeck", "Parlons Dépression", 0.7, 1.40, 0.045, (24, 22, 18, 26)),
    ("lachainerose", "Roche", "La Chaîne Rose", 2.5, 1.30, 0.028, (18, 16, 20, 76)),
    ("contrelecanceronfaitequipe", "Biogaran", "Contre le cancer, on fait équipe", 0.9, 1.20, 0.019,
     (15, 14, 12, 19)),
    ("lasanteaufeminin", "Organon", "La santé au féminin", 1.3, 1.50, 0.036, (25, 26, 22, 29)),
    ("voixdespatients", "Roche", "Voix des patients", 0.5, 1.15, 0.027, (20, 20, 18, 20)),
    ("lumieresurlasep", "Roche", "Lumière sur la SEP", 0.6, 1.20, 0.038, (22, 22, 20, 28)),
)


def demo_accounts() -> list[DemoAccount]:
    accounts = [
        DemoAccount("x_pharma_fr", "x", handle, company, display_name, "corporate",
                    member_from=_X_MEMBER_FROM.get(handle), link_handle=link)
        for handle, link, company, display_name, _ in _X_ACCOUNTS
    ]
    handle, link, company, display_name, _, member_to = _X_FORMER_MEMBER
    accounts.append(DemoAccount("x_pharma_fr", "x", handle, company, display_name, "corporate",
                                member_to=member_to, link_handle=link))
    handle, link, company, display_name, _ = _X_OUTSIDER
    accounts.append(DemoAccount(None, "x", handle, company, display_name, "corporate", link_handle=link))
    for handle, company, display_name, *_ in _IG_CORPORATE:
        member_from = _AMGEN_INSTAGRAM_FROM if handle == "amgenfrance" else None
        accounts.append(DemoAccount("ig_corporate_fr", "instagram", handle, company, display_name, "corporate",
                                    member_from=member_from, link_handle=handle))
    for handle, company, display_name, *_ in _IG_CAMPAIGNS:
        accounts.append(DemoAccount("ig_campaigns_fr", "instagram", handle, company, display_name, "campaign",
                                    link_handle=handle))
    return accounts


# --- small deterministic helpers ----------------------------------------------------------------

def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split a non-negative integer total in proportion to weights (largest remainder, ties by position)."""
    if not weights:
        return []
    weight_sum = sum(weights)
    shares = [total * weight / weight_sum for weight in weights]
    counts = [math.floor(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda index: (counts[index] - shares[index], index))
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _skewed_values(count: int, mean: float, median: float) -> list[float]:
    """`count` values, ascending, with exactly this mean and median: log-normal quantiles, the upper half
    stretched to reach the mean."""
    sigma = math.sqrt(2 * math.log(mean / median))
    normal = statistics.NormalDist()
    values = [median * math.exp(sigma * normal.inv_cdf((index + 0.5) / count)) for index in range(count)]
    middle = statistics.median(values)
    values = [value * median / middle for value in values]
    upper = count // 2 + 1  # values from this index up do not touch the median
    stretch = (mean * count - sum(values[:upper])) / sum(values[upper:])
    if stretch < 1:
        raise ValueError("mean too close to the median for this many values")
    return values[:upper] + [value * stretch for value in values[upper:]]


def _solve(function, low: float, high: float) -> float:
    """The root of a monotonic function between low and high, by bisection."""
    rising = function(high) > function(low)
    if (function(low) > 0) == (function(high) > 0):
        raise ValueError(f"no root between {low} and {high}")
    for _ in range(60):
        middle = (low + high) / 2
        if (function(middle) > 0) == rising:
            high = middle
        else:
            low = middle
    return (low + high) / 2


def _month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    ends, year, month = [], first.year, first.month
    while True:
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end > last:
            return ends
        if end >= first:
            ends.append(end)
        year, month = following.year, following.month


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def _pick_days(rng: random.Random, days: list[dt.date], count: int, distinct: bool) -> list[dt.date]:
    """Posting days, weekdays five times likelier than weekends."""
    weights = [1.0 if day.weekday() < 5 else 0.2 for day in days]
    if not distinct:
        return sorted(rng.choices(days, weights=weights, k=count))
    keyed = sorted(zip(days, weights), key=lambda pair: -(rng.random() ** (1 / pair[1])))
    return sorted(day for day, _ in keyed[:count])


def _local_instant(rng: random.Random, day: dt.date, with_seconds: bool) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, rng.randint(8, 19), rng.randrange(60),
                        rng.randrange(60) if with_seconds else 0, tzinfo=TIMEZONE)
    return local.astimezone(UTC)


def _forced_instant(platform: str, handle: str, quarter: Quarter) -> dt.datetime | None:
    local = FORCED_LOCAL_TIMES.get((platform, handle, quarter.label))
    return local.replace(tzinfo=TIMEZONE).astimezone(UTC) if local else None


class _Ids:
    """Unique post ids: X Snowflake ids from the publish instant, Instagram media ids."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[int] = set()

    def x(self, published_at: dt.datetime) -> int:
        while True:
            post_id = layouts.snowflake_id(published_at, self.rng.getrandbits(22))
            if post_id not in self.used:
                self.used.add(post_id)
                return post_id

    def instagram(self) -> int:
        while True:
            post_id = self.rng.randrange(17_900_000_000_000_000, 18_000_000_000_000_000)
            if post_id not in self.used:
                self.used.add(post_id)
                return post_id


_SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _instagram_permalink(rng: random.Random, post_type: str, handle: str, post_id: int) -> str:
    if post_type == "story":
        return f"https://www.instagram.com/stories/{handle}/{post_id}/"
    shortcode = "".join(rng.choice(_SHORTCODE_ALPHABET) for _ in range(11))
    return f"https://www.instagram.com/{'reel' if post_type == 'reel' else 'p'}/{shortcode}/"


class _Followers:
    """Follower count on a day: the latest snapshot on or before it (LANDING.md section 3)."""

    def __init__(self, snapshots: dict[dt.date, float]):
        self.dates = sorted(snapshots)
        self.values = [snapshots[day] for day in self.dates]

    def on(self, day: dt.date) -> float | None:
        index = bisect_right(self.dates, day) - 1
        return self.values[index] if index >= 0 else None


def _daily_interaction_rate(posts: list[DemoPost], followers: _Followers,
                            reactions: dict[int, float] | None = None) -> float:
    """METRICS.md post_interaction_rate of these posts; `reactions` overrides the posts' own counts."""
    by_day: dict[dt.date, list[float]] = defaultdict(list)
    for post in posts:
        by_day[post.local_date].append(reactions[post.post_id] if reactions is not None else post.reactions)
    rates = []
    for day, values in sorted(by_day.items()):
        count = followers.on(day)
        if count:
            rates.append(sum(values) / len(values) / count)
    return statistics.fmean(rates)


# --- X: x_pharma_fr -----------------------------------------------------------------------------

@dataclasses.dataclass
class _XAccountPlan:
    account: DemoAccount
    volume: int
    likes_per_post: float  # 2023 level, before the quarter's factor
    reposts_per_post: float
    rate_2022: float
    rate_2023: float
    growth_2022: float  # followers at the end of the year / at its start
    growth_2023: float  # 2023 is the year many accounts lost followers on X


def _x_plans(rng: random.Random, accounts: list[DemoAccount]) -> list[_XAccountPlan]:
    x_accounts = [account for account in accounts if account.platform == "x"]
    members_2023 = [account for account in x_accounts if account.is_member(dt.date(2023, 1, 1), dt.date(2023, 12, 31))]
    members_2022 = [account for account in x_accounts if account.is_member(dt.date(2022, 1, 1), dt.date(2022, 12, 31))]
    volumes = {row[0]: row[4] for row in (*_X_ACCOUNTS, _X_FORMER_MEMBER[:5], _X_OUTSIDER)}

    # Values for the 2023 members, most engaging account first; the others get values near the median.
    likes = sorted(_skewed_values(len(members_2023), X_LIKES_PER_POST["year"], X_LIKES_PER_POST["median"]),
                   reverse=True)
    reposts = sorted(_skewed_values(len(members_2023), X_REPOSTS_PER_POST["year"], X_REPOSTS_PER_POST["median"]),
                     reverse=True)
    # Neighbours in the engagement order swap now and then, so the two rankings are alike, not equal.
    order = list(range(len(members_2023)))
    for index in range(len(order) - 1):
        if rng.random() < 0.3:
            order[index], order[index + 1] = order[index + 1], order[index]
    level = {account.handle: (likes[index], reposts[order[index]]) for index, account in enumerate(members_2023)}

    def normalised_rates(draws: dict[str, float], members: list[DemoAccount], mean: float) -> dict[str, float]:
        member_mean = statistics.fmean(draws[account.handle] for account in members)
        return {handle: mean * draw / member_mean for handle, draw in draws.items()}

    # An account's 2022 rate follows its 2023 one: engagement fell on X for everyone, not at random.
    draws_2023 = {account.handle: math.exp(rng.gauss(0, 0.5)) for account in x_accounts}
    draws_2022 = {handle: draw * math.exp(rng.gauss(0, 0.15)) for handle, draw in draws_2023.items()}
    rates_2023 = normalised_rates(draws_2023, members_2023, X_INTERACTION_RATE[2023])
    rates_2022 = normalised_rates(draws_2022, members_2022, X_INTERACTION_RATE[2022])
    plans = []
    for account in x_accounts:
        median_levels = (X_LIKES_PER_POST["median"], X_REPOSTS_PER_POST["median"])
        likes_level, reposts_level = level.get(account.handle, median_levels)
        plans.append(_XAccountPlan(
            account, volumes[account.handle], likes_level, reposts_level,
            rates_2022[account.handle], rates_2023[account.handle],
            growth_2022=rng.uniform(1.0, 1.12), growth_2023=rng.uniform(0.93, 1.03),
        ))
    return plans


def _x_quarter_factors() -> dict[str, tuple[float, float]]:
    """Per quarter of 2023, the factor on each account's likes and reposts per post. Q1 is not published:
    it is what makes the four quarters average to the year's figure."""
    likes = {q: X_LIKES_PER_POST[q] / X_LIKES_PER_POST["year"] for q in (2, 3, 4)}
    reposts = {q: X_REPOSTS_PER_POST[q] / X_REPOSTS_PER_POST["year"] for q in (2, 3, 4)}
    likes[1], reposts[1] = 4 - sum(likes.values()), 4 - sum(reposts.values())
    return {f"2023-Q{q}": (likes[q], reposts[q]) for q in (1, 2, 3, 4)}


def _x_skeleton(rng: random.Random, ids: _Ids, plan: _XAccountPlan, quarter: Quarter,
                others: tuple[str, ...]) -> list[DemoPost]:
    """The posts of one account in one quarter, with texts and weights but no counts yet."""
    account = plan.account
    counted = max(3, round(plan.volume * rng.uniform(0.75, 1.25)))
    reposts = round(counted * rng.uniform(0.05, 0.2))
    replies = round(counted * rng.uniform(0.05, 0.2))
    days = _pick_days(rng, _days(quarter.start, quarter.end), counted + reposts, distinct=False)
    instants = [_local_instant(rng, day, with_seconds=True) for day in days]
    forced = _forced_instant("x", account.handle, quarter)
    if forced:
        instants[0] = forced
    kinds = ["reply"] * replies + ["repost"] * reposts + ["post"] * (counted - replies)
    rng.shuffle(kinds)
    if forced:  # the boundary post is an original, counted post
        swap = kinds.index("post")
        kinds[0], kinds[swap] = kinds[swap], kinds[0]
    posts = []
    for instant, kind in zip(instants, kinds):
        post_id = ids.x(instant)
        post = DemoPost("x", account.handle, post_id, instant, kind, "",
                        permalink=f"https://x.com/{account.link_handle}/status/{post_id}",
                        weight=math.exp(rng.gauss(0, 0.9)) * (0.3 if kind == "reply" else 1.0))
        post.file_key = _file_key(post)
        plain = post.file_key in CP1252_FILE_KEYS
        if kind == "post":
            post.text = texts.x_post_text(rng, account.company, quarter.year, quarter.number, plain)
            if post.file_key.startswith("x_canonical") and rng.random() < 0.05:
                post.post_type = "quote"  # only the canonical layout can say so
        elif kind == "reply":
            post.text = texts.x_reply_text(rng, plain, others)
        else:
            post.text = texts.x_repost_text(rng, plain, others)
        posts.append(post)
    return posts


def _x_counts(posts: list[DemoPost], likes_per_post: float, reposts_per_post: float, rng: random.Random) -> None:
    """Give a quarter's counted posts of one account exactly these likes and reposts per post."""
    counted = [post for post in posts if post.is_counted]
    n = len(counted)
    weights = [post.weight for post in counted]
    likes = _allocate(round(likes_per_post * n), weights)
    reposts = _allocate(round(reposts_per_post * n), [weight ** 1.2 for weight in weights])
    comments = _allocate(round(0.15 * likes_per_post * n), [weight ** 0.7 for weight in weights])
    quotes = _allocate(round(0.03 * likes_per_post * n), weights)
    for post, like, repost, comment, quote in zip(counted, likes, reposts, comments, quotes):
        post.likes, post.reposts, post.comments = like, repost, comment
        # Only the canonical layout has a quote count; the native X exports have none.
        post.quotes = quote if post.file_key.startswith("x_canonical") and post.post_type != "reply" else 0
    for post in posts:
        if post.post_type == "repost":  # a plain retweet: never counted, its counts are the original's
            post.likes, post.reposts, post.comments = rng.randint(0, 30), rng.randint(0, 12), rng.randint(0, 3)


def _x_follower_shape(rng: random.Random, plan: _XAccountPlan) -> dict[dt.date, float]:
    """Followers at month ends relative to end 2023: log-linear growth with a little noise."""
    shape = {}
    for day in _month_ends(FIRST_SNAPSHOT, dt.date(2023, 12, 31)):
        years_before_end = (dt.date(2023, 12, 31) - day).days / 365
        if years_before_end <= 1:
            log_level = -years_before_end * math.log(plan.growth_2023)
        else:
            log_level = -math.log(plan.growth_2023) - (years_before_end - 1) * math.log(plan.growth_2022)
        noise = 1.0 if day in (dt.date(2022, 12, 31), dt.date(2023, 12, 31)) else 1 + rng.gauss(0, 0.004)
        shape[day] = math.exp(log_level) * noise
    return shape


def _build_x(rng: random.Random, ids: _Ids, accounts: list[DemoAccount]) -> tuple[list[DemoPost], list[DemoSnapshot]]:
    plans = _x_plans(rng, accounts)
    factors = _x_quarter_factors()
    others = tuple(plan.account.link_handle for plan in plans)
    posts: list[DemoPost] = []
    snapshots: list[DemoSnapshot] = []
    for plan in plans:
        handle = plan.account.handle
        by_quarter = {quarter.label: _x_skeleton(rng, ids, plan, quarter, others) for quarter in QUARTERS}
        # 2023: the quarter's factor applied to the account's level.
        for label in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"):
            likes_factor, reposts_factor = factors[label]
            _x_counts(by_quarter[label], plan.likes_per_post * likes_factor,
                      plan.reposts_per_post * reposts_factor, rng)
        # Followers: the level that gives the account its 2023 rate.
        shape = _x_follower_shape(rng, plan)
        counted_2023 = [post for label in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4")
                        for post in by_quarter[label] if post.is_counted]
        level = _daily_interaction_rate(counted_2023, _Followers(shape)) / plan.rate_2023
        followers = {day: max(1, round(level * relative)) for day, relative in shape.items()}
        # 2022: provisional counts at the 2023 level, then scaled to the 2022 rate on these followers.
        labels_2022 = ("2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4")
        for label in labels_2022:
            _x_counts(by_quarter[label], plan.likes_per_post, plan.reposts_per_post, rng)
        counted_2022 = [post for label in labels_2022 for post in by_quarter[label] if post.is_counted]
        scale = plan.rate_2022 / _daily_interaction_rate(counted_2022, _Followers(followers))
        for label in labels_2022:
            _x_counts(by_quarter[label], plan.likes_per_post * scale, plan.reposts_per_post * scale, rng)
        lookup = _Followers(followers)
        following = rng.randint(150, 1800)
        for day, count in followers.items():
            following += rng.randint(-3, 8)
            snapshots.append(DemoSnapshot("x", handle, day, count, following))
        for quarter_posts in by_quarter.values():
            for post in quarter_posts:
                reach = lookup.on(post.local_date) or followers[FIRST_SNAPSHOT]
                post.impressions = max(
                    post.reactions + 1,
                    round(reach * rng.uniform(0.08, 0.35) + post.reactions * rng.uniform(20, 60)),
                )
            posts.extend(quarter_posts)
    return posts, snapshots


# --- Instagram --------------------------------------------------------------------------------

def _interpolated_followers(rng: random.Random, anchors: dict[dt.date, float],
                            days: list[dt.date]) -> dict[dt.date, float]:
    """Followers on these days: geometric interpolation between anchors, a little noise off the anchors."""
    points = sorted(anchors.items())
    values = {}
    for day in days:
        if day in anchors:
            values[day] = anchors[day]
            continue
        after = next(index for index, (anchor_day, _) in enumerate(points) if anchor_day > day)
        (day_0, value_0), (day_1, value_1) = points[after - 1], points[after]
        position = (day - day_0).days / (day_1 - day_0).days
        values[day] = value_0 * (value_1 / value_0) ** position * (1 + rng.gauss(0, 0.006))
    return values


def _ig_skeleton(rng: random.Random, ids: _Ids, account: DemoAccount, quarter: Quarter, counted: int,
                 stories: int, campaign: bool) -> list[DemoPost]:
    first_day = quarter.start
    if account.member_from and account.member_from > first_day:
        first_day = account.member_from + dt.timedelta(days=1)  # after its first follower snapshot
    days = _days(first_day, quarter.end)
    forced = _forced_instant("instagram", account.handle, quarter)
    if forced:
        forced_day = forced.astimezone(TIMEZONE).date()
        days = [day for day in days if day != forced_day]
    post_days = _pick_days(rng, days, counted - (1 if forced else 0), distinct=True)
    instants = [_local_instant(rng, day, with_seconds=False) for day in post_days]
    if forced:
        instants.append(forced)
    instants.sort()
    story_days = _pick_days(rng, days, stories, distinct=True)
    posts = []
    for instant in instants:
        post_type = rng.choices(("image", "carousel", "reel", "video"), weights=(45, 30, 20, 5))[0]
        post_id = ids.instagram()
        post = DemoPost("instagram", account.handle, post_id, instant, post_type, "",
                        permalink=_instagram_permalink(rng, post_type, account.handle, post_id),
                        weight=math.exp(rng.gauss(0, 0.55)))
        post.file_key = _file_key(post)
        post.text = texts.instagram_caption(rng, account.company, account.handle, quarter.year, quarter.number,
                                            campaign, plain=post.file_key in CP1252_FILE_KEYS)
        posts.append(post)
    for day in story_days:
        post_id = ids.instagram()
        story = DemoPost("instagram", account.handle, post_id, _local_instant(rng, day, with_seconds=False),
                         "story", texts.instagram_story_caption(rng),
                         permalink=_instagram_permalink(rng, "story", account.handle, post_id))
        story.file_key = _file_key(story)
        story.likes, story.comments = rng.randint(0, 15), 0
        posts.append(story)
    # Counted posts' appeal averages 1, so an account's rate is its own (one counted post a day at most).
    counted_posts = [post for post in posts if post.is_counted]
    mean_weight = statistics.fmean(post.weight for post in counted_posts) if counted_posts else 1
    for post in counted_posts:
        post.weight /= mean_weight
    return posts


def _ig_reactions(post: DemoPost, rate: float, followers: _Followers, rng: random.Random) -> None:
    reactions = max(0, round(rate * followers.on(post.local_date) * post.weight))
    post.comments = round(reactions * rng.uniform(0.01, 0.07))
    post.likes = reactions - post.comments


def _ig_impressions(post: DemoPost, followers: _Followers, rng: random.Random) -> None:
    audience = followers.on(post.local_date) or 100
    boost = {"reel": 3.5, "video": 2.0, "story": 0.4}.get(post.post_type, 1.4)
    post.impressions = max(post.reactions + 1, round(audience * boost * rng.uniform(0.7, 1.4)))


def _ig_following(rng: random.Random, days: list[dt.date]) -> list[int]:
    following, values = rng.randint(40, 400), []
    for _ in days:
        following += rng.randint(-1, 4)
        values.append(following)
    return values


def _build_ig_corporate(rng: random.Random, ids: _Ids,
                        accounts: dict[tuple[str, str], DemoAccount]) -> tuple[list[DemoPost], list[DemoSnapshot]]:
    posts_by_account: dict[str, list[DemoPost]] = {}
    followers: dict[str, _Followers] = {}
    snapshots = []
    for handle, _, _, anchors, _, per_quarter in _IG_CORPORATE:
        account = accounts[("instagram", handle)]
        first = min(anchors)
        days = sorted({first, *_month_ends(first, dt.date(2023, 12, 31))})
        values = _interpolated_followers(rng, anchors, days)
        counts = {day: round(value) for day, value in values.items()}
        followers[handle] = _Followers(counts)
        for day, following in zip(days, _ig_following(rng, days)):
            snapshots.append(DemoSnapshot("instagram", handle, day, counts[day], following))
        stories = 3 if handle in ("sanofifrance", "amgenfrance") else 0
        posts_by_account[handle] = [
            post
            for quarter, counted in zip(QUARTERS, per_quarter)
            if counted
            for post in _ig_skeleton(rng, ids, account, quarter, counted, stories, campaign=False)
        ]

    def counted_in(handle: str, label: str) -> list[DemoPost]:
        return [post for post in posts_by_account[handle] if post.is_counted and post.quarter.label == label]

    def quarter_factors(rates: dict[str, float]) -> dict[str, float]:
        """The factor per quarter that makes pooled reactions per post the published one."""
        factors = {}
        for quarter in QUARTERS:
            target = (IG_CORPORATE_REACTIONS_PER_POST[quarter.number] if quarter.year == 2023
                      else IG_CORPORATE_REACTIONS_PER_POST_2022)
            posts = [(handle, post) for handle in posts_by_account for post in counted_in(handle, quarter.label)]
            expected = sum(rates[handle] * followers[handle].on(post.local_date) * post.weight
                           for handle, post in posts)
            factors[quarter.label] = target * len(posts) / expected
        return factors

    def mean_rate_2023(rates: dict[str, float]) -> float:
        factors = quarter_factors(rates)
        account_rates = []
        for handle in posts_by_account:
            days = [factors[post.quarter.label] for label in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4")
                    for post in counted_in(handle, label)]
            account_rates.append(rates[handle] * statistics.fmean(days))
        return statistics.fmean(account_rates)

    # The largest account's rate is the one free parameter: it moves the pooled figures far more than the
    # mean of rates, so solving for it reconciles the two published figures.
    rates = {row[0]: row[4] for row in _IG_CORPORATE}

    def miss(sanofi_rate: float) -> float:
        return mean_rate_2023({**rates, "sanofifrance": sanofi_rate}) - IG_CORPORATE_INTERACTION_RATE

    rates["sanofifrance"] = _solve(miss, 0.0005, 0.05)
    factors = quarter_factors(rates)
    posts = []
    for handle, account_posts in posts_by_account.items():
        for post in account_posts:
            if post.is_counted:
                _ig_reactions(post, rates[handle] * factors[post.quarter.label], followers[handle], rng)
            _ig_impressions(post, followers[handle], rng)
            posts.append(post)
    return posts, snapshots


def _build_ig_campaigns(rng: random.Random, ids: _Ids,
                        accounts: dict[tuple[str, str], DemoAccount]) -> tuple[list[DemoPost], list[DemoSnapshot]]:
    month_ends = _month_ends(FIRST_SNAPSHOT, dt.date(2023, 12, 31))
    shapes, posts_by_account = {}, {}
    for handle, _, _, size, growth, _, per_quarter_2023 in _IG_CAMPAIGNS:
        account = accounts[("instagram", handle)]
        anchors = {dt.date(2021, 12, 31): size / growth / (growth * 0.9),
                   dt.date(2022, 12, 31): size / growth, dt.date(2023, 12, 31): size}
        shapes[handle] = _interpolated_followers(rng, anchors, month_ends)
        per_quarter_2022 = tuple(round(count * 0.85) for count in per_quarter_2023)
        posts_by_account[handle] = [
            post
            for quarter, counted in zip(QUARTERS, per_quarter_2022 + per_quarter_2023)
            for post in _ig_skeleton(rng, ids, account, quarter, counted, stories=rng.randint(0, 3), campaign=True)
        ]
    rates = {row[0]: row[5] for row in _IG_CAMPAIGNS}
    expected_2023 = sum(
        rates[handle] * _Followers(shapes[handle]).on(post.local_date) * post.weight
        for handle, account_posts in posts_by_account.items()
        for post in account_posts
        if post.is_counted and post.local_date.year == 2023
    )
    scale = IG_CAMPAIGNS_REACTIONS_2023 / expected_2023
    posts, snapshots = [], []
    for handle, account_posts in posts_by_account.items():
        counts = {day: round(scale * value) for day, value in shapes[handle].items()}
        followers = _Followers(counts)
        for day, following in zip(month_ends, _ig_following(rng, month_ends)):
            snapshots.append(DemoSnapshot("instagram", handle, day, counts[day], following))
        for post in account_posts:
            if post.is_counted:
                rate = rates[handle] * (1.1 if post.local_date.year == 2022 else 1.0)
                _ig_reactions(post, rate, followers, rng)
            _ig_impressions(post, followers, rng)
            posts.append(post)
    return posts, snapshots


# --- where each post is written ---------------------------------------------------------------

CP1252_FILE_KEYS = ("ig_excel_campaigns_2023q4",)

def _file_key(post: DemoPost) -> str:
    label = post.quarter.label
    if post.platform == "x":
        if post.handle == "amgenfrance" and label == "2023-Q4":
            return "x_activity_amgen_2023q4"
        if post.handle == "janssenfrance" and label == "2022-Q1":
            return "x_activity_janssen_2022q1"
        if post.handle == "pfizerfrance" and label == "2023-Q3":
            return "x_content_pfizer_2023q3"
        if post.handle == "bayerfrance" and label == "2023-Q4":
            return "x_content_bayer_2023q4"
        if post.handle == "sanofi" and label in ("2022-Q3", "2022-Q4"):
            return "x_utf16_sanofi_2022h2"
        if post.handle == "rochefrance" and post.quarter.year == 2023:
            return "x_excel_roche_2023"
        return f"x_canonical_{label}"
    if post.handle in ("sanofifrance", "amgenfrance") and post.quarter.year == 2023:
        return f"ig_meta_{post.handle}_2023"
    if post.handle == "bayerfrance" and post.quarter.year == 2022:
        return "ig_meta_bayerfrance_2022"
    campaign = post.handle in {row[0] for row in _IG_CAMPAIGNS}
    if campaign and label == "2023-Q4":
        return "ig_excel_campaigns_2023q4"
    return f"ig_canonical_{post.quarter.year}"


def _early_observations(rng: random.Random, posts: list[DemoPost]) -> list[DemoPost]:
    """The overlapping exports of LANDING.md section 4: the same posts exported before their counts had
    finished growing. Amgen's X 2023-Q4 posts of November are in both of its 61-day exports; the
    campaigns' 2023-Q4 posts up to 14 December were exported once mid-December."""
    early = []
    for post in posts:
        utc_day = post.published_at.date()
        amgen_november = post.file_key == "x_activity_amgen_2023q4" and utc_day >= dt.date(2023, 11, 1)
        campaigns_early = (post.file_key == "ig_excel_campaigns_2023q4"
                           and post.local_date < dt.date(2023, 12, 15))
        if not (amgen_november or campaigns_early):
            continue
        share = rng.uniform(0.55, 0.9)
        copy = dataclasses.replace(
            post,
            likes=math.floor(post.likes * share), comments=math.floor(post.comments * share),
            reposts=math.floor(post.reposts * share), quotes=math.floor(post.quotes * share),
            impressions=min(post.impressions - 1, math.floor(post.impressions * share)),
            file_key=post.file_key + "_early",
        )
        early.append(copy)
    return early


def _check_post_counts() -> None:
    """The post counts of the tables above are DEMO.md's: a table edited out of line fails loudly."""
    for index, quarter in enumerate(QUARTERS[4:], start=4):
        planned = sum(row[5][index] for row in _IG_CORPORATE)
        published = round(IG_CORPORATE_POSTS_PER_DAY[quarter.number] * quarter.days)
        if planned != published:
            raise AssertionError(f"ig_corporate_fr plans {planned} posts in {quarter}, DEMO.md {published}")
    planned = sum(sum(row[6]) for row in _IG_CAMPAIGNS) / len(_IG_CAMPAIGNS)
    if planned != IG_CAMPAIGNS_POSTS_2023:
        raise AssertionError(f"ig_campaigns_fr plans {planned} posts per account in 2023, DEMO.md 91")


def build_demo(seed: int = 2023) -> DemoLanding:
    """The demo's records in memory: accounts, final posts, earlier observations, follower snapshots."""
    _check_post_counts()
    accounts = demo_accounts()
    by_key = {(account.platform, account.handle): account for account in accounts}
    ids = _Ids(random.Random(f"{seed}-ids"))
    x_posts, x_snapshots = _build_x(random.Random(f"{seed}-x"), ids, accounts)
    corporate_posts, corporate_snapshots = _build_ig_corporate(random.Random(f"{seed}-ig-corporate"), ids, by_key)
    campaign_posts, campaign_snapshots = _build_ig_campaigns(random.Random(f"{seed}-ig-campaigns"), ids, by_key)
    posts = sorted(x_posts + corporate_posts + campaign_posts,
                   key=lambda post: (post.published_at, post.platform, post.post_id))
    early = _early_observations(random.Random(f"{seed}-early"), posts)
    return DemoLanding(accounts, posts, early, x_snapshots + corporate_snapshots + campaign_snapshots)
