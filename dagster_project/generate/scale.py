"""Large landing directories for benchmarks, written by DuckDB.

Python would spend minutes formatting ten million rows; DuckDB's CSV writer
does it in seconds and streams, so memory stays flat. Every column is a pure
function of the post's index and the seed (`hash(i, seed)`), so the bytes do
not depend on threads or on the run.

Post `i` of a quarter with `n` posts is published at `start + i * span / n`,
so instants never decrease with `i`; an X id is that instant's Snowflake id
with `i` in its low bits, hence unique. Within each quarter, posts are dealt
to the layouts by `i % 20` (`_SLOTS`), so every file covers a whole quarter.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from dagster_project.generate import layouts
from dagster_project.quarters import Quarter, quarter_range

TIMEZONE = "Europe/Paris"
MAX_ROWS_PER_FILE = 1_000_000
FIRST_ALLOWED_DAY = dt.date(2006, 3, 21)

# Of every 20 consecutive posts of a quarter, which go to which layout.
_SLOTS = {
    "canonical": tuple(range(0, 11)),
    "x_tweet_activity": (11, 12, 13),
    "x_content": (14, 15),
    "instagram_posts": (16, 17),
    "canonical_french": (18, 19),
}
_PLATFORM_OF_LAYOUT = {"canonical": None, "x_tweet_activity": "x", "x_content": "x", "instagram_posts": "instagram",
                       "canonical_french": None}

_X_LOW_BITS = 1 << 21  # the scale files use the low 21 bits of an X id; write_incremental_file sets bit 21
_INSTAGRAM_ID_BASE = 17_900_000_000_000_000
_INCREMENTAL_INSTAGRAM_ID_BASE = 18_000_000_000_000_000

# Texts encodable in Windows-1252, with the awkward characters of real exports: quotes, `;`, `,`, line breaks.
_TEXTS = (
    "Réduire notre empreinte carbone : objectif -30 % d'émissions d'ici 2030. #RSE #environnement",
    "Nos équipes étaient mobilisées pour la course Odysséa.\n\nMerci à toutes et à tous ! #RSE #commited4good",
    "Retrouvez-nous au congrès #ESMO2023 : stand n°42, symposium jeudi à 12h30. #santé #innovation",
    "Journée internationale des droits des femmes #EmbraceEquity : 48 % de femmes au comité de direction.",
    "#Ecogestes Éteindre son écran à la pause déjeuner, c'est jusqu'à 40 kWh économisés par an.",
    "Notre engagement \"innover pour les patients\" ; découvrez notre rapport RSE 2023. #RSE",
    "Nous recrutons ! 12 postes en CDI à Lyon, Lille et Bordeaux. #recrutement #emploi",
    "Octobre Rose : dépistage, accompagnement, recherche. Parlons-en. #OctobreRose #cancerdusein",
    "Vous n'êtes pas seul·e.\nFatigue, douleurs, moral : parlez-en à votre médecin. #SEP #santé",
    "Le saviez-vous ? 1 Français sur 5 sera touché par la dépression au cours de sa vie. #santémentale",
)
_EMOJI_TEXTS = tuple(f"{text} {emoji}" for text, emoji in zip(_TEXTS, "🌱💪🔬✨🚲💊🤝🎗💙👏"))


@dataclasses.dataclass(frozen=True)
class _Accounts:
    x: int
    instagram: int
    width: int

    @property
    def total(self) -> int:
        return self.x + self.instagram

    def handle_sql(self, platform: str, index_sql: str) -> str:
        prefix = "x_acct_" if platform == "x" else "ig_acct_"
        return f"'{prefix}' || lpad(({index_sql})::varchar, {self.width}, '0')"


def _accounts(count: int) -> _Accounts:
    if count < 2:
        raise ValueError("a scale landing needs at least 2 accounts (one on X, one on Instagram)")
    x = max(1, min(count - 1, round(count * 0.6)))
    return _Accounts(x=x, instagram=count - x, width=max(5, len(str(count))))


def _epoch_ms(day: dt.date) -> int:
    """Milliseconds since the Unix epoch at local midnight starting this day."""
    local = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(TIMEZONE))
    return round(local.timestamp() * 1000)


def _connect() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    connection.execute("set preserve_insertion_order = true")  # rows in index order: the same bytes every run
    return connection


def _sql_text_list(texts: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + text.replace("'", "''") + "'" for text in texts) + "]"


@dataclasses.dataclass(frozen=True)
class _Authors:
    """SQL expressions, over the hash `h1`, for a post's platform, handle and the handle it mentions."""
    platform: str
    handle: str
    mention: str


def _scale_authors(accounts: _Accounts, platform: str | None) -> _Authors:
    mention = accounts.handle_sql("x", f"(h1 >> 20) % {accounts.x}")
    if platform is None:  # any account, either platform
        index = f"h1 % {accounts.total}"
        return _Authors(
            platform=f"case when {index} < {accounts.x} then 'x' else 'instagram' end",
            handle=(f"case when {index} < {accounts.x} then {accounts.handle_sql('x', index)} "
                    f"else {accounts.handle_sql('instagram', f'{index} - {accounts.x}')} end"),
            mention=mention,
        )
    size = accounts.x if platform == "x" else accounts.instagram
    return _Authors(platform=f"'{platform}'", handle=accounts.handle_sql(platform, f"h1 % {size}"), mention=mention)


def _member_authors(members: list[tuple[str, str]]) -> _Authors:
    platforms = "[" + ", ".join(f"'{platform}'" for platform, _ in members) + "]"
    handles = "[" + ", ".join("'" + handle.replace("'", "''") + "'" for _, handle in members) + "]"
    x_handles = [handle for platform, handle in members if platform == "x"] or ["Sante_Gouv"]
    mentions = "[" + ", ".join("'" + handle.replace("'", "''") + "'" for handle in x_handles) + "]"
    return _Authors(
        platform=f"list_element({platforms}, 1 + (h1 % {len(members)})::integer)",
        handle=f"list_element({handles}, 1 + (h1 % {len(members)})::integer)",
        mention=f"list_element({mentions}, 1 + ((h1 >> 20) % {len(x_handles)})::integer)",
    )


def _posts_sql(*, first: int, stop: int, quarter_first: int, quarter_count: int, start_ms: int, span_ms: int,
               slots: tuple[int, ...] | None, authors: _Authors, seed: int, plain_texts: bool,
               x_low_bits: str = f"i % {_X_LOW_BITS}", instagram_id: str = f"{_INSTAGRAM_ID_BASE} + i") -> str:
    """One row per post `i` in [first, stop) (only those of `slots`, unless None): the typed columns every
    layout picks from."""
    texts = _sql_text_list(_TEXTS if plain_texts else _EMOJI_TEXTS)
    where = f"where (i - {quarter_first}) % 20 in ({', '.join(map(str, slots))})" if slots is not None else ""
    return f"""
        with indexed as (
            select
                i,
                {start_ms} + ((i - {quarter_first}) * {span_ms}) // {quarter_count} as published_ms,
                hash(i, {seed}) as h1,
                hash(i, {seed} + 1) as h2,
                hash(i, {seed} + 2) as h3
            from range({first}, {stop}) as posts(i)
            {where}
        ),
        typed as (
            select
                *,
                {authors.platform} as platform,
                {authors.handle} as handle,
                make_timestamp(published_ms * 1000) as published_utc,
                timezone('{TIMEZONE}', make_timestamp(published_ms * 1000)::timestamptz) as published_local,
                h2 % 100 as type_draw,
                list_element({texts}, 1 + ((h2 >> 8) % {len(_TEXTS)})::integer) as body
            from indexed
        ),
        posts as (
            select
                *,
                case
                    when platform = 'x' and type_draw < 8 then 'repost'
                    when platform = 'x' and type_draw < 20 then 'reply'
                    when platform = 'x' and type_draw < 24 then 'quote'
                    when platform = 'x' then 'post'
                    when type_draw < 8 then 'story'
                    when type_draw < 40 then 'carousel'
                    when type_draw < 55 then 'reel'
                    when type_draw < 60 then 'video'
                    else 'image'
                end as post_type,
                case
                    when platform = 'x' then (((published_ms - {layouts.SNOWFLAKE_EPOCH_MS}) << 22) | ({x_low_bits}))
                    else {instagram_id}
                end::varchar as post_id,
                (pow((h3 % 1000) / 1000.0, 4) * 800)::bigint as likes,
                (pow(((h3 >> 10) % 1000) / 1000.0, 4) * 60)::bigint as comments,
                case when platform = 'x' then (pow(((h3 >> 20) % 1000) / 1000.0, 4) * 150)::bigint else 0 end
                    as reposts,
                case when platform = 'x' and (h3 >> 30) % 50 = 0 then 1 + (h3 >> 36) % 3 else 0 end as quotes,
                900 + ((h3 >> 40) % 40000)::bigint as impressions,
                {authors.mention} as mentioned
            from typed
        )
        select
            *,
            case post_type
                when 'repost' then 'RT @' || mentioned || ': ' || body
                when 'reply' then '@' || mentioned || ' ' || body
                else body
            end as text,
            case
                when platform = 'x' then 'https://x.com/' || handle || '/status/' || post_id
                when post_type = 'story' then 'https://www.instagram.com/stories/' || handle || '/' || post_id || '/'
                else 'https://www.instagram.com/p/' || upper(printf('%x', h2 >> 20)) || '/'
            end as permalink
        from posts
    """


def _canonical_select(posts_sql: str) -> str:
    return f"""
        select
            platform, handle, post_id,
            strftime(published_utc, '%Y-%m-%dT%H:%M:%S') || '+00:00' as published_at,
            post_type, text, likes, comments, reposts,
            case when post_type = 'quote' then quotes else 0 end as quotes,
            impressions, permalink
        from ({posts_sql})
    """


def _canonical_french_select(posts_sql: str, separator: str) -> str:
    def grouped(column: str) -> str:
        return f"replace(format('{{:,}}', {column}), ',', '{separator}') as {column}"

    return f"""
        select
            platform, handle, post_id,
            strftime(published_local, '%d/%m/%Y %H:%M') as published_at,
            post_type, text,
            {grouped('likes')}, {grouped('comments')}, {grouped('reposts')},
            case when post_type = 'quote' then quotes else 0 end as quotes,
            {grouped('impressions')}, permalink
        from ({posts_sql})
    """


def _x_tweet_activity_select(posts_sql: str) -> str:
    promoted = ", ".join(f"'-' as \"{name}\"" for name in layouts.X_TWEET_ACTIVITY_HEADER[22:])
    return f"""
        with activity as (
            select
                *,
                (h3 >> 50) % 7 as url_clicks,
                (h3 >> 53) % 5 as detail_expands,
                (h2 >> 40) % 3 as profile_clicks
            from ({posts_sql})
        ),
        engaged as (
            select *, likes + comments + reposts + url_clicks + detail_expands + profile_clicks as engagements
            from activity
        )
        select
            post_id as "Tweet id",
            'https://twitter.com/' || handle || '/status/' || post_id as "Tweet permalink",
            text as "Tweet text",
            strftime(published_utc, '%Y-%m-%d %H:%M') || ' +0000' as "time",
            impressions::double::varchar as "impressions",
            engagements::double::varchar as "engagements",
            (engagements / impressions)::double::varchar as "engagement rate",
            reposts::double::varchar as "retweets",
            comments::double::varchar as "replies",
            likes::double::varchar as "likes",
            profile_clicks::double::varchar as "user profile clicks",
            url_clicks::double::varchar as "url clicks",
            '0.0' as "hashtag clicks",
            detail_expands::double::varchar as "detail expands",
            '0.0' as "permalink clicks",
            '0' as "app opens", '0' as "app installs", '0' as "follows", '0' as "email tweet",
            '0' as "dial phone", '0' as "media views", '0' as "media engagements",
            {promoted}
        from engaged
    """


def _x_content_select(posts_sql: str) -> str:
    return f"""
        select
            post_id as "Post id",
            strftime(published_utc, '%a, %b %-d, %Y') as "Date",
            text as "Post text",
            permalink as "Post Link",
            impressions as "Impressions",
            likes as "Likes",
            likes + comments + reposts + (h2 >> 40) % 9 as "Engagements",
            (h2 >> 44) % 4 as "Bookmarks",
            0 as "Shares",
            (h2 >> 48) % 2 as "New follows",
            comments as "Replies",
            reposts as "Reposts",
            (h2 >> 40) % 5 as "Profile visits",
            (h2 >> 50) % 9 as "Detail Expands",
            (h2 >> 54) % 6 as "URL Clicks",
            0 as "Hashtag Clicks",
            0 as "Permalink Clicks"
        from ({posts_sql})
    """


def _instagram_select(posts_sql: str) -> str:
    def grouped(expression: str, name: str) -> str:
        return f"format('{{:,}}', ({expression})::bigint) as \"{name}\""

    return f"""
        select
            post_id as "Post ID",
            (17841400000000000 + hash(handle) % 1000000000)::varchar as "Account ID",
            handle as "Account username",
            upper(handle) as "Account name",
            text as "Description",
            case when post_type in ('reel', 'video') then 15 + (h2 >> 40) % 60 else 0 end as "Duration (sec)",
            strftime(published_local, '%m/%d/%Y %H:%M') as "Publish time",
            permalink as "Permalink",
            'IG ' || post_type as "Post type",
            '' as "Data comment",
            'Lifetime' as "Date",
            {grouped('impressions', 'Views')},
            {grouped('impressions * 0.7', 'Reach')},
            {grouped('likes', 'Likes')},
            {grouped('(h2 >> 40) % 20', 'Shares')},
            {grouped('(h2 >> 45) % 3', 'Follows')},
            {grouped('comments', 'Comments')},
            {grouped('(h2 >> 50) % 30', 'Saves')}
        from ({posts_sql})
    """


def _copy(connection: duckdb.DuckDBPyConnection, select_sql: str, path: Path, options: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    target = str(path).replace("'", "''")
    connection.execute(f"copy ({select_sql}) to '{target}' (format csv, header true{options})")


def _transcode_to_cp1252(path: Path) -> None:
    """Re-encode a UTF-8 file as Windows-1252 in chunks, so memory stays flat whatever its size."""
    target = path.with_suffix(".cp1252.tmp")
    with path.open("r", encoding="utf-8", newline="") as source, \
            target.open("w", encoding="cp1252", newline="") as sink:
        while chunk := source.read(1 << 22):
            sink.write(chunk)
    target.replace(path)


def _slot_count(first: int, stop: int, quarter_first: int, slots: tuple[int, ...]) -> int:
    """How many i in [first, stop) have (i - quarter_first) % 20 in slots."""
    def below(limit: int) -> int:  # count in [quarter_first, limit)
        full, rest = divmod(limit - quarter_first, 20)
        return full * len(slots) + sum(1 for slot in slots if slot < rest)

    return below(stop) - below(first)


def _check_quarters(quarters: tuple[str, str]) -> list[Quarter]:
    first, last = Quarter.parse(quarters[0]), Quarter.parse(quarters[1])
    if first.start < FIRST_ALLOWED_DAY:
        raise ValueError(f"{first} starts before X existed (2006-03-21); choose 2006-Q2 or later")
    if last.end >= dt.date.today():
        raise ValueError(f"{last} has not ended yet: the pipeline rejects posts dated after its run")
    return quarter_range(first, last)


def _require_empty(out_dir: Path) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty: a scale landing is written into an empty directory")


def _write_accounts(connection: duckdb.DuckDBPyConnection, out_dir: Path, accounts: _Accounts) -> int:
    """accounts.csv: X accounts in two panels (the first three in both), Instagram in corporate and campaign
    panels."""
    x_handle = accounts.handle_sql("x", "i")
    instagram_handle = accounts.handle_sql("instagram", "i")
    select_sql = f"""
        select * from (
            select
                case when i % 2 = 0 then 'x_scale_a' else 'x_scale_b' end as panel,
                'x' as platform, {x_handle} as handle, 'Company ' || i as company,
                'Company ' || i || ' on X' as display_name, 'corporate' as account_type,
                null as member_from, null as member_to, 0 as part, i
            from range({accounts.x}) as x_accounts(i)
            union all
            select
                'x_scale_b', 'x', {x_handle}, 'Company ' || i, 'Company ' || i || ' on X', 'corporate',
                null, null, 1, i
            from range(least(3, {accounts.x})) as both_panels(i)
            where i % 2 = 0
            union all
            select
                case when i % 3 = 0 then 'ig_scale_campaigns' else 'ig_scale_corporate' end,
                'instagram', {instagram_handle}, 'Company ' || i, 'Company ' || i || ' on Instagram',
                case when i % 3 = 0 then 'campaign' else 'corporate' end,
                null, null, 2, i
            from range({accounts.instagram}) as instagram_accounts(i)
        )
        order by part, i
    """
    columns = ", ".join(layouts.ACCOUNTS_HEADER)
    _copy(connection, f"select {columns} from ({select_sql})", out_dir / "accounts.csv", "")
    return connection.execute(f"select count(*) from ({select_sql})").fetchone()[0]


def _month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    ends, day = [], first
    while day <= last:
        following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        end = following - dt.timedelta(days=1)
        if end <= last:
            ends.append(end)
        day = following
    return ends


def _write_snapshots(connection: duckdb.DuckDBPyConnection, out_dir: Path, accounts: _Accounts,
                     quarters: list[Quarter], seed: int) -> tuple[list[Path], int]:
    """Month-end follower snapshots of every account, from the day before the first quarter."""
    days = [quarters[0].start - dt.timedelta(days=1)] + _month_ends(quarters[0].start, quarters[-1].end)
    day_list = "[" + ", ".join(f"date '{day.isoformat()}'" for day in days) + "]"
    per_file = max(1, MAX_ROWS_PER_FILE // len(days))
    paths = []
    for part, first in enumerate(range(0, accounts.total, per_file), start=1):
        stop = min(accounts.total, first + per_file)
        handle = (f"case when a < {accounts.x} then {accounts.handle_sql('x', 'a')} "
                  f"else {accounts.handle_sql('instagram', f'a - {accounts.x}')} end")
        select_sql = f"""
            select
                case when a < {accounts.x} then 'x' else 'instagram' end as platform,
                {handle} as handle,
                strftime(list_element({day_list}, month_index::integer + 1), '%Y-%m-%d') as date,
                ((200 + hash(a, {seed}, 'followers') % 60000) * (1 + 0.01 * month_index))::bigint as followers,
                (20 + hash(a, {seed}, 'following') % 2000 + month_index)::bigint as following
            from range({first}, {stop}) as accounts(a)
            cross join range({len(days)}) as months(month_index)
            order by a, month_index
        """
        path = out_dir / "followers" / f"snapshots_part{part}.csv"
        _copy(connection, select_sql, path, "")
        paths.append(path)
    return paths, accounts.total * len(days)


def write_scale_landing(out_dir: Path, posts: int, accounts: int, seed: int = 7,
                        quarters: tuple[str, str] = ("2022-Q1", "2023-Q4")) -> dict:
    """Write `posts` posts over `accounts` accounts and the quarters `quarters` (first, last) into `out_dir`,
    which must be empty or missing. Returns a summary: files, posts per layout, accounts, snapshots."""
    if posts < 0:
        raise ValueError("posts must be zero or more")
    out_dir = Path(out_dir)
    _require_empty(out_dir)
    quarter_list = _check_quarters(quarters)
    account_counts = _accounts(accounts)
    out_dir.mkdir(parents=True, exist_ok=True)
    connection = _connect()
    account_rows = _write_accounts(connection, out_dir, account_counts)
    snapshot_paths, snapshot_rows = _write_snapshots(connection, out_dir, account_counts, quarter_list, seed)
    files = [out_dir / "accounts.csv", *snapshot_paths]
    posts_by_layout = dict.fromkeys(_SLOTS, 0)

    per_quarter = [posts // len(quarter_list) + (1 if index < posts % len(quarter_list) else 0)
                   for index in range(len(quarter_list))]
    quarter_first = 0
    for quarter_index, (quarter, count) in enumerate(zip(quarter_list, per_quarter)):
        start_ms = _epoch_ms(quarter.start)
        span_ms = _epoch_ms(quarter.next().start) - start_ms
        # Split a quarter so that the biggest layout's file stays under the row limit.
        parts = max(1, math.ceil(count * len(_SLOTS["canonical"]) / 20 / MAX_ROWS_PER_FILE))
        bounds = [quarter_first + count * part // parts for part in range(parts + 1)]
        for part in range(parts):
            first, stop = bounds[part], bounds[part + 1]
            for layout, slots in _SLOTS.items():
                rows = _slot_count(first, stop, quarter_first, slots)
                if rows == 0:
                    continue
                french_cp1252 = layout == "canonical_french" and quarter_index % 2 == 0
                posts_sql = _posts_sql(
                    first=first, stop=stop, quarter_first=quarter_first, quarter_count=count, start_ms=start_ms,
                    span_ms=span_ms, slots=slots, authors=_scale_authors(account_counts, _PLATFORM_OF_LAYOUT[layout]),
                    seed=seed, plain_texts=layout == "canonical_french",
                )
                path = out_dir / "posts" / layout / f"{quarter.label}_part{part + 1}.csv"
                if layout == "canonical":
                    _copy(connection, _canonical_select(posts_sql), path, "")
                elif layout == "canonical_french":
                    # Windows-1252 files group thousands with a no-break space, UTF-8 ones with a narrow one.
                    separator = layouts.NO_BREAK_SPACE if french_cp1252 else layouts.NARROW_NO_BREAK_SPACE
                    _copy(connection, _canonical_french_select(posts_sql, separator), path,
                          ", delimiter ';', new_line '\r\n'")
                    if french_cp1252:
                        _transcode_to_cp1252(path)
                elif layout == "x_tweet_activity":
                    _copy(connection, _x_tweet_activity_select(posts_sql), path, ", force_quote *")
                elif layout == "x_content":
                    _copy(connection, _x_content_select(posts_sql), path, "")
                else:
                    _copy(connection, _instagram_select(posts_sql), path, "")
                files.append(path)
                posts_by_layout[layout] += rows
        quarter_first += count
    connection.close()
    return {
        "out_dir": str(out_dir),
        "files": [str(path.relative_to(out_dir)) for path in files],
        "posts": posts,
        "posts_by_format": posts_by_layout,
        "accounts": account_counts.total,
        "account_rows": account_rows,
        "follower_snapshots": snapshot_rows,
        "quarters": [quarter.label for quarter in quarter_list],
    }


def _members(accounts_csv: Path, quarter: Quarter) -> list[tuple[str, str]]:
    """(platform, handle) of the accounts that are members of a panel in this quarter, in file order."""
    connection = _connect()
    rows = connection.execute(
        """
        select distinct platform, lower(handle) as handle
        from read_csv(?, header = true, all_varchar = true)
        where (member_from is null or member_from = '' or member_from::date <= ?::date)
          and (member_to is null or member_to = '' or member_to::date >= ?::date)
        order by platform, handle
        """,
        [str(accounts_csv), quarter.end.isoformat(), quarter.start.isoformat()],
    ).fetchall()
    connection.close()
    if not rows:
        raise ValueError(f"{accounts_csv} has no member in {quarter}")
    return rows


def write_incremental_file(out_dir: Path, quarter: str, posts: int = 10_000, seed: int = 11) -> Path:
    """Add one canonical posts file of `posts` new posts by members of `quarter` to a landing directory
    (the incremental benchmark). Its ids are new: X ids carry bit 21 and the seed in their low bits, which
    the scale files never set; Instagram ids come from a range of their own."""
    out_dir = Path(out_dir)
    target_quarter = Quarter.parse(quarter)
    if target_quarter.end >= dt.date.today():
        raise ValueError(f"{target_quarter} has not ended yet: the pipeline rejects posts dated after its run")
    if posts < 1:
        raise ValueError("posts must be at least 1")
    members = _members(out_dir / "accounts.csv", target_quarter)
    start_ms = _epoch_ms(target_quarter.start)
    span_ms = _epoch_ms(target_quarter.next().start) - start_ms
    x_low_bits = f"{_X_LOW_BITS} | ({seed % 512} << 12) | (i % 4096)"
    posts_sql = _posts_sql(
        first=0, stop=posts, quarter_first=0, quarter_count=posts, start_ms=start_ms, span_ms=span_ms,
        slots=None, authors=_member_authors(members), seed=seed, plain_texts=False, x_low_bits=x_low_bits,
        instagram_id=f"{_INCREMENTAL_INSTAGRAM_ID_BASE + (seed % 1_000_000) * 1_000_000_000} + i",
    )
    select_sql = _canonical_select(posts_sql)
    path = out_dir / "incremental" / f"posts_{target_quarter.label}_seed{seed}.csv"
    connection = _connect()
    _copy(connection, select_sql, path, "")
    connection.close()
    return path
