"""Writes the demo records (demo.py) as the files of a landing directory, one layout per file.

Which posts go to which file is decided in demo.py (`DemoPost.file_key`); this
module decides how each file looks: its layout (LANDING.md section 2), its
encoding, delimiter, line ends, date and number formats.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from dagster_project.generate import layouts
from dagster_project.generate.demo import TIMEZONE, DemoLanding, DemoPost, DemoSnapshot, build_demo

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- how dates and counts are spelt ---------------------------------------------------------

def _iso_utc(post: DemoPost) -> str:
    return post.published_at.isoformat()  # 2022-12-31T23:30:00+00:00


def _iso_with_paris_offset(post: DemoPost) -> str:
    return post.published_at.astimezone(TIMEZONE).isoformat()  # 2022-01-01T00:30:00+01:00


def _local_without_offset(post: DemoPost) -> str:
    return post.published_at.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")


def _french_excel(post: DemoPost) -> str:
    return post.published_at.astimezone(TIMEZONE).strftime("%d/%m/%Y %H:%M")


def _french_excel_seconds(post: DemoPost) -> str:
    return post.published_at.astimezone(TIMEZONE).strftime("%d/%m/%Y %H:%M:%S")


def _x_content_date(post: DemoPost) -> str:
    """`Tue, Jul 14, 2026`, in UTC like the id it comes with; English whatever the machine's locale."""
    day = post.published_at.date()
    return f"{_WEEKDAYS[day.weekday()]}, {_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _plain(count: int) -> str:
    return str(count)


def _thousands(separator: str) -> Callable[[int], str]:
    return lambda count: layouts.with_thousands(count, separator)


# --- layouts -----------------------------------------------------------------------------------

def _canonical_rows(posts: list[DemoPost], published_at: Callable[[DemoPost], str],
                    count: Callable[[int], str] = _plain, impressions: bool = True,
                    handle: Callable[[DemoPost], str] = lambda post: post.handle) -> list[list[str]]:
    return [
        [post.platform, handle(post), str(post.post_id), published_at(post), post.post_type, post.text,
         count(post.likes), count(post.comments), count(post.reposts), count(post.quotes),
         count(post.impressions) if impressions else "", post.permalink]
        for post in posts
    ]


def _tweet_activity_rows(posts: list[DemoPost], link_handle: str, rng: random.Random) -> list[list[str]]:
    rows = []
    for post in posts:
        profile_clicks = rng.randint(0, 1 + post.impressions // 400)
        url_clicks = rng.randint(0, post.impressions // 150)
        hashtag_clicks = rng.randint(0, 1) if "#" in post.text else 0
        detail_expands = rng.randint(0, 1 + post.impressions // 120)
        media_engagements = rng.choice((0, 0, rng.randint(1, 1 + post.impressions // 100)))
        engagements = (post.reposts + post.comments + post.likes + profile_clicks + url_clicks + hashtag_clicks
                       + detail_expands + media_engagements)
        floats = [post.impressions, engagements]
        rows.append(
            [str(post.post_id), f"https://twitter.com/{link_handle}/status/{post.post_id}", post.text,
             post.published_at.strftime("%Y-%m-%d %H:%M +0000")]
            + [f"{value}.0" for value in floats]
            + [layouts.java_double(engagements / post.impressions)]
            + [f"{value}.0" for value in (post.reposts, post.comments, post.likes, profile_clicks, url_clicks,
                                          hashtag_clicks, detail_expands, 0)]
            + ["0", "0", "0", "0", "0", str(media_engagements + rng.randint(0, 5) if media_engagements else 0),
               str(media_engagements)]
            + ["-"] * layouts.X_TWEET_ACTIVITY_PROMOTED_COLUMNS
        )
    return rows


def _x_content_rows(posts: list[DemoPost], link_handle: str, rng: random.Random) -> list[list[str]]:
    rows = []
    for post in posts:
        bookmarks = rng.randint(0, 1 + post.likes // 5)
        profile_visits = rng.randint(0, 1 + post.impressions // 300)
        detail_expands = rng.randint(0, 1 + post.impressions // 120)
        url_clicks = rng.randint(0, post.impressions // 150)
        hashtag_clicks = rng.randint(0, 1) if "#" in post.text else 0
        permalink_clicks = rng.randint(0, 1)
        new_follows = rng.choice((0, 0, 0, 1))
        engagements = (post.likes + post.comments + post.reposts + bookmarks + profile_visits + detail_expands
                       + url_clicks + hashtag_clicks + permalink_clicks)
        rows.append([
            str(post.post_id), _x_content_date(post), post.text,
            f"https://x.com/{link_handle}/status/{post.post_id}",
            str(post.impressions), str(post.likes), str(engagements), str(bookmarks), "0", str(new_follows),
            str(post.comments), str(post.reposts), str(profile_visits), str(detail_expands), str(url_clicks),
            str(hashtag_clicks), str(permalink_clicks),
        ])
    return rows


def _instagram_rows(posts: list[DemoPost], account_id: int, account_name: str,
                    rng: random.Random) -> list[list[str]]:
    number = _thousands(",")
    rows = []
    for post in posts:
        reach = round(post.impressions * rng.uniform(0.6, 0.85))
        duration = str(rng.randint(12, 90)) if post.post_type in ("reel", "video") else "0"
        rows.append([
            str(post.post_id), str(account_id), post.handle, account_name, post.text, duration,
            post.published_at.astimezone(TIMEZONE).strftime("%m/%d/%Y %H:%M"), post.permalink,
            layouts.INSTAGRAM_POST_TYPES[post.post_type], "", "Lifetime", number(post.impressions),
            number(reach), number(post.likes), number(rng.randint(0, 1 + post.likes // 12)),
            number(rng.choice((0, 0, 1))), number(post.comments), number(rng.randint(0, 1 + post.likes // 8)),
        ])
    return rows


def _snapshot_rows(snapshots: list[DemoSnapshot], date_format: str = "%Y-%m-%d") -> list[list[str]]:
    return [[snapshot.platform, snapshot.handle, snapshot.date.strftime(date_format), str(snapshot.followers),
             str(snapshot.following)] for snapshot in snapshots]


# --- the files ---------------------------------------------------------------------------------

def _newest_first(posts: list[DemoPost]) -> list[DemoPost]:
    return sorted(posts, key=lambda post: (post.published_at, post.post_id), reverse=True)


def demo_files(landing: DemoLanding, seed: int) -> dict[str, bytes]:
    """Every file of the demo landing directory: relative path -> bytes."""
    by_key: dict[str, list[DemoPost]] = defaultdict(list)
    for post in landing.posts + landing.early_observations:
        by_key[post.file_key].append(post)
    accounts = {(account.platform, account.handle): account for account in landing.accounts}

    def link(platform: str, handle: str) -> str:
        return accounts[(platform, handle)].link_handle

    def rng_for(path: str) -> random.Random:
        return random.Random(f"{seed}-{path}")

    taken: set[str] = set()

    def take(file_key: str) -> list[DemoPost]:
        taken.add(file_key)
        if not by_key.get(file_key):
            raise AssertionError(f"no posts for {file_key}: a header-only file is not a valid export")
        return by_key[file_key]

    files: dict[str, bytes] = {}

    def add(path: str, header, rows, **options) -> None:
        text = layouts.csv_text(header, rows, delimiter=options.get("delimiter", ","),
                                line_end=options.get("line_end", "\n"), quote_all=options.get("quote_all", False))
        files[path] = layouts.encode_text(text, options.get("encoding", "utf-8"))

    add("accounts.csv", layouts.ACCOUNTS_HEADER, [
        [account.panel, account.platform, account.handle, account.company, account.display_name,
         account.account_type, account.member_from.isoformat() if account.member_from else "",
         account.member_to.isoformat() if account.member_to else ""]
        for account in landing.accounts if account.panel is not None
    ])

    # Follower snapshots; the last file repeats the Instagram snapshots of 2023-Q4 with identical numbers,
    # as a second export of the same days would.
    x_snapshots = [snapshot for snapshot in landing.snapshots if snapshot.platform == "x"]
    instagram_snapshots = [snapshot for snapshot in landing.snapshots if snapshot.platform == "instagram"]
    add("followers/abonnes_x_2022.csv", layouts.FOLLOWER_SNAPSHOTS_HEADER,
        _snapshot_rows([snapshot for snapshot in x_snapshots if snapshot.date.year <= 2022]))
    add("followers/abonnes_x_2023.csv", layouts.FOLLOWER_SNAPSHOTS_HEADER,
        _snapshot_rows([snapshot for snapshot in x_snapshots if snapshot.date.year == 2023]))
    add("followers/abonnes_instagram.csv", layouts.FOLLOWER_SNAPSHOTS_HEADER, _snapshot_rows(instagram_snapshots))
    add("followers/abonnes_instagram_T4_2023_copie.csv", layouts.FOLLOWER_SNAPSHOTS_HEADER,
        _snapshot_rows([snapshot for snapshot in instagram_snapshots if snapshot.date >= dt.date(2023, 10, 1)],
                       date_format="%d/%m/%Y"))

    # X, legacy tweet activity exports (2a): Janssen's of early 2022 says "favorites"; Amgen's 2023-Q4 takes
    # two exports of 61 days that overlap in November, the first one taken before November's counts had
    # finished growing.
    path = "x/tweet_activity_metrics_JanssenFrance_20211231_20220331_en.csv"
    add(path, layouts.X_TWEET_ACTIVITY_HEADER_FAVORITES,
        _tweet_activity_rows(_newest_first(take("x_activity_janssen_2022q1")), link("x", "janssenfrance"),
                             rng_for(path)), quote_all=True)
    amgen_final = take("x_activity_amgen_2023q4")
    amgen_first_export = [post for post in amgen_final if post.published_at.month == 10]
    amgen_first_export += take("x_activity_amgen_2023q4_early")
    path = "x/tweet_activity_metrics_AmgenFrance_20231001_20231201_en.csv"
    add(path, layouts.X_TWEET_ACTIVITY_HEADER,
        _tweet_activity_rows(_newest_first(amgen_first_export), link("x", "amgenfrance"), rng_for(path)),
        quote_all=True)
    path = "x/tweet_activity_metrics_AmgenFrance_20231101_20240101_en.csv"
    add(path, layouts.X_TWEET_ACTIVITY_HEADER,
        _tweet_activity_rows(_newest_first([post for post in amgen_final if post.published_at.month >= 11]),
                             link("x", "amgenfrance"), rng_for(path)), quote_all=True)

    # X Premium content exports (2b).
    for key, handle, window in (("x_content_pfizer_2023q3", "pfizerfrance", "2023-07-01_2023-09-30"),
                                ("x_content_bayer_2023q4", "bayerfrance", "2023-10-01_2023-12-31")):
        path = f"x/account_analytics_content_{link('x', handle)}_{window}.csv"
        add(path, layouts.X_CONTENT_HEADER, _x_content_rows(_newest_first(take(key)), link("x", handle),
                                                            rng_for(path)))

    # Canonical posts (2d), as monitoring tools export them: one file a quarter, each spelling dates its own
    # way. Competitors' impressions are unknown to a monitoring tool, so 2022's files leave them empty.
    for year, quarter in ((2022, 1), (2022, 2), (2022, 3), (2022, 4), (2023, 1), (2023, 2), (2023, 3), (2023, 4)):
        label = f"{year}-Q{quarter}"
        posts = take(f"x_canonical_{label}")
        if year == 2022:
            rows = _canonical_rows(posts, _iso_with_paris_offset, impressions=False)
        elif quarter == 1:
            rows = _canonical_rows(posts, _iso_utc)
        else:
            rows = _canonical_rows(posts, _local_without_offset)
        add(f"x/posts_x_{label}.csv", layouts.CANONICAL_POSTS_HEADER, rows,
            encoding="utf-8-sig" if label == "2023-Q2" else "utf-8")
    # The same layout re-saved by spreadsheets: UTF-16 with a BOM; and French Excel's UTF-8 CSV with `;`,
    # DD/MM/YYYY dates, narrow no-break spaces between thousands and CRLF line ends.
    add("x/veille/export_veille_sanofi_2022-S2.csv", layouts.CANONICAL_POSTS_HEADER,
        _canonical_rows(take("x_utf16_sanofi_2022h2"), _iso_utc), encoding="utf-16", line_end="\r\n")
    add("x/veille/RocheFrance_2023_excel.csv", layouts.CANONICAL_POSTS_HEADER,
        _canonical_rows(take("x_excel_roche_2023"), _french_excel_seconds,
                        count=_thousands(layouts.NARROW_NO_BREAK_SPACE),
                        handle=lambda post: link("x", post.handle)),
        delimiter=";", line_end="\r\n")

    # Instagram, Meta Business Suite exports (2c), UTF-8 with a BOM; 2022's says "Impressions".
    for key, handle, year in (("ig_meta_sanofifrance_2023", "sanofifrance", 2023),
                              ("ig_meta_amgenfrance_2023", "amgenfrance", 2023),
                              ("ig_meta_bayerfrance_2022", "bayerfrance", 2022)):
        path = f"instagram/meta/{handle}_posts_{year}.csv"
        account_id = 17841400000000000 + random.Random(f"{seed}-{handle}").randrange(10**9)
        header = layouts.INSTAGRAM_POSTS_HEADER if year == 2023 else layouts.INSTAGRAM_POSTS_HEADER_IMPRESSIONS
        add(path, header, _instagram_rows(_newest_first(take(key)), account_id,
                                          accounts[("instagram", handle)].display_name, rng_for(path)),
            encoding="utf-8-sig")

    # Instagram, canonical; 2022's file writes thousands the English way ("1,234").
    add("instagram/posts_instagram_2022.csv", layouts.CANONICAL_POSTS_HEADER,
        _canonical_rows(take("ig_canonical_2022"), _iso_with_paris_offset, count=_thousands(",")))
    add("instagram/posts_instagram_2023.csv", layouts.CANONICAL_POSTS_HEADER,
        _canonical_rows(take("ig_canonical_2023"), _iso_with_paris_offset))
    # The campaigns' 2023-Q4, exported twice: mid-December (UTF-8), then in January from French Excel
    # (Windows-1252, `;`, DD/MM/YYYY, spaces and no-break spaces between thousands, CRLF).
    add("instagram/campagnes/campagnes_T4_2023_export_2023-12-15.csv", layouts.CANONICAL_POSTS_HEADER,
        _canonical_rows(take("ig_excel_campaigns_2023q4_early"), _iso_with_paris_offset))
    separators = (" ", layouts.NO_BREAK_SPACE)
    final = take("ig_excel_campaigns_2023q4")
    rows = [
        _canonical_rows([post], _french_excel, count=_thousands(separators[index % 2]))[0]
        for index, post in enumerate(final)
    ]
    add("instagram/campagnes/campagnes_T4_2023_export_2024-01-08.csv", layouts.CANONICAL_POSTS_HEADER, rows,
        delimiter=";", encoding="cp1252", line_end="\r\n")

    if set(by_key) - taken:  # a file key no file takes would silently drop its posts
        raise AssertionError(f"posts of {sorted(set(by_key) - taken)} are in no file")
    return files


def write_demo_landing(out_dir: Path, seed: int = 2023) -> list[Path]:
    """Write the demo landing directory of DEMO.md (2022-Q1 .. 2023-Q4, Europe/Paris) into `out_dir`.

    `out_dir` must be empty, missing, or hold only files this function writes: they are overwritten, and
    anything else is left alone and refused, since landing files belong to the user."""
    files = demo_files(build_demo(seed), seed)
    out_dir = Path(out_dir)
    if out_dir.exists():
        foreign = sorted(
            str(path.relative_to(out_dir)) for path in out_dir.rglob("*")
            if path.is_file() and path.relative_to(out_dir).as_posix() not in files
        )
        if foreign:
            raise FileExistsError(
                f"{out_dir} holds files the demo generator did not write: {', '.join(foreign[:5])}"
                f"{' ...' if len(foreign) > 5 else ''}; write the demo into an empty directory"
            )
    paths = []
    for relative, data in sorted(files.items()):
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths
