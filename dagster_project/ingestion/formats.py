"""The landing formats of LANDING.md, recognised by header, and how each maps to a raw table.

A format lists the columns that identify it (`signature`), the ones it needs
(`required`), and for every raw column a typed SQL expression over the file's
text columns together with what a valid value looks like, so that the loader
can name the line and column of the first value that is not.

SQL here is built from constants and from header names quoted as identifiers
(`quote_identifier`); values from the files are never spliced into SQL.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

EARLIEST_DATE = "2006-03-21"  # the first tweet; anything earlier is a misread date

_SPACES = r"\x{00A0}\x{202F}"
_SPACE_CLASS = r"[\s" + _SPACES + "]"
_COUNT_PATTERN = r"^([0-9]+|[0-9]{1,3}([, " + _SPACES + r"][0-9]{3})+)(\.0*)?$"
# Counts as exports mostly write them (`15`, `1777.0`): cast directly. Up to 18
# digits, so that the cast can neither overflow nor go through a double.
_PLAIN_COUNT_PATTERN = r"[0-9]{1,18}(\.0*)?"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _trimmed(column: str) -> str:
    return f"regexp_replace(coalesce({column}, ''), '^{_SPACE_CLASS}+|{_SPACE_CLASS}+$', '', 'g')"


# Tests turn the shortcuts off to compare them with the general path they stand for.
FAST_PATHS = True


def _on_trimmed(column: str, build: Callable[[str], str]) -> str:
    """`build` applied to the column without its surrounding blanks (a NULL is an empty value).

    Trimming is a `regexp_replace`, the costliest expression of typing; most
    values have nothing to trim, so it runs only for those that do (or are
    NULL). For the others the value is used as it is, which is the same thing.
    """
    if not FAST_PATHS:
        return build(_trimmed(column))
    return f"case when {_may_need_trimming(column)} then {build(_trimmed(column))} else {build(column)} end"


# The characters of _SPACE_CLASS: RE2's \s is [\t\n\f\r ]; then NBSP and narrow NBSP.
_SPACE_CODES = (9, 10, 12, 13, 32, 0x00A0, 0x202F)


def _may_need_trimming(column: str) -> str:
    """True when the value is NULL or starts or ends with a character `_trimmed` removes.

    `ascii()` reads the first code point and `ends_with` the last bytes: both
    are several times cheaper than a regular expression over the value.
    """
    # Not `ascii(...) in (9, 10, ...)`: DuckDB plans a long IN list as a join,
    # which loses the file's row order (see test_typing_keeps_the_file_order).
    # Every code up to 32 (and the empty value, 0) takes the trimming path:
    # for a value that has nothing to trim, trimming changes nothing.
    endings = " or ".join(f"ends_with({column}, chr({code}))" for code in _SPACE_CODES)
    return f"({column} is null or ascii({column}) <= 32 or ascii({column}) = 160 or ascii({column}) = 8239 or {endings})"


def _count_value(value: str, empty_is_zero: bool) -> str:
    empty = "0" if empty_is_zero else "null"
    plain = f"when regexp_full_match({value}, '{_PLAIN_COUNT_PATTERN}') then try_cast({value} as bigint) " if FAST_PATHS else ""
    return (
        f"case {plain}"
        f"when {value} = '' then {empty} "
        f"when regexp_full_match({value}, '{_COUNT_PATTERN}') "
        f"then try_cast(regexp_replace(regexp_replace({value}, '[, {_SPACES}]', '', 'g'), '\\.0*$', '') as bigint) end"
    )


def count_sql(column: str, empty_is_zero: bool = True) -> str:
    return _on_trimmed(column, lambda value: _count_value(value, empty_is_zero))


def _local(expression: str) -> str:
    return f"timezone(getvariable('bts_timezone'), {expression})"


def _strptime_any(value: str, formats: tuple[str, ...]) -> str:
    # One try_strptime per format, not try_strptime(value, [list]): the list form
    # crashed DuckDB 1.5.6 (SIGSEGV in StrpTimeFormat::Parse) under parallel load.
    calls = [f"try_strptime({value}, '{fmt}')" for fmt in formats]
    return calls[0] if len(calls) == 1 else f"coalesce({', '.join(calls)})"


# An ISO 8601 zone: Z, or an offset of hours and minutes (`+01:00`, `+0100`) or of hours alone (`+01`).
_ISO_ZONE = "(Z|[+-]\\d{2}(:?\\d{2})?)"


def _timestamp_value(value: str, month_first: bool) -> str:
    slash_formats = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M") if month_first else ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
    return (
        "case "
        f"when regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}[T ]\\d{{1,2}}:\\d{{2}}:\\d{{2}}(\\.\\d+)?{_ISO_ZONE}') "
        f"then try_cast({value} as timestamptz) "
        # without seconds, which DuckDB's cast needs before a zone: `2023-12-31T23:30+01:00`
        f"when regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}[T ]\\d{{1,2}}:\\d{{2}}{_ISO_ZONE}') "
        f"then try_cast(regexp_replace({value}, '^([^T ]+[T ]\\d{{1,2}}:\\d{{2}})', '\\1:00') as timestamptz) "
        f"when regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}} \\d{{1,2}}:\\d{{2}} [+-]\\d{{4}}') "
        f"then try_strptime({value}, '%Y-%m-%d %H:%M %z') "
        f"when regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}[T ]\\d{{1,2}}:\\d{{2}}(:\\d{{2}}(\\.\\d+)?)?') "
        f"then {_local(f'try_cast({value} as timestamp)')} "
        f"when regexp_full_match({value}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}} \\d{{1,2}}:\\d{{2}}(:\\d{{2}})?') "
        f"then {_local(_strptime_any(value, slash_formats))} "
        "end"
    )


# The X content export's `Date`, "Tue, Jul 14, 2026" (LANDING.md 2b), with the day and month names in
# full or without the weekday too. It gives no time of day: the publish instant is the post id's.
_CONTENT_DATE_FORMATS = ("%a, %b %d, %Y", "%A, %B %d, %Y", "%a, %B %d, %Y", "%A, %b %d, %Y", "%b %d, %Y", "%B %d, %Y")


def content_date_sql(column: str) -> str:
    return _on_trimmed(column, lambda value: _strptime_any(value, _CONTENT_DATE_FORMATS))


def timestamp_sql(column: str, month_first: bool = False) -> str:
    """A publish instant: ISO 8601 with or without offset, `2016-12-23 18:50 +0000`, or a day-first local date."""
    return _on_trimmed(column, lambda value: _timestamp_value(value, month_first))


def _date_value(value: str) -> str:
    return (
        "case "
        f"when regexp_full_match({value}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') then try_cast({value} as date) "
        f"when regexp_full_match({value}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') then cast(try_strptime({value}, '%d/%m/%Y') as date) "
        "end"
    )


def date_sql(column: str) -> str:
    return _on_trimmed(column, _date_value)


def snowflake_instant_sql(column: str) -> str:
    return _on_trimmed(
        column,
        lambda value: (
            f"case when regexp_full_match({value}, '[0-9]{{1,19}}') and try_cast({value} as bigint) is not null "
            f"then make_timestamptz(((try_cast({value} as bigint) >> 22) + 1288834974657) * 1000) end"
        ),
    )


def _permalink_handle(column: str) -> str:
    return _on_trimmed(
        column,
        lambda value: f"nullif(lower(regexp_extract({value}, '^https?://(?:www\\.|mobile\\.)?(?:twitter|x)\\.com/([A-Za-z0-9_]+)/status/[0-9]+', 1)), '')",
    )


def _handle(column: str) -> str:
    return _on_trimmed(column, lambda value: f"nullif(lower(ltrim({value}, '@')), '')")


def _nonempty(column: str) -> str:
    return _on_trimmed(column, lambda value: f"nullif({value}, '')")


def _numeric_id(column: str) -> str:
    return _on_trimmed(column, lambda value: f"nullif(regexp_extract({value}, '^[0-9]+$'), '')")


def _text(column: str) -> str:
    return f"coalesce({column}, '')"


def _x_post_type(text_column: str) -> str:
    return f"case when starts_with({_text(text_column)}, 'RT @') then 'repost' when starts_with({_text(text_column)}, '@') then 'reply' else 'post' end"


@dataclasses.dataclass(frozen=True)
class Field:
    """One raw column: its SQL, the file column it reads (for messages) and what a valid value is."""

    name: str
    sql: Callable[[dict[str, str]], str]
    source: str | tuple[str, ...] | None = None  # file column named in errors; of alternatives, the file's
    expected: str | None = None  # None: never invalid
    invalid_unless: Callable[[dict[str, str]], str] | None = None  # custom validity; default: `sql is not null`

    def source_in(self, columns: dict[str, str]) -> str | None:
        """The file column this field reads, as the spec names it (the first alternative the file has); None when absent."""
        names = (self.source,) if isinstance(self.source, str) else self.source or ()
        return next((name for name in names if name.lower() in columns), None)


@dataclasses.dataclass(frozen=True)
class LandingFormat:
    name: str
    description: str
    table: str  # raw table
    signature: tuple[str, ...]
    required: tuple[str, ...]
    fields: tuple[Field, ...]
    alternatives: tuple[tuple[str, ...], ...] = ()  # groups of which one column must be present
    # The free-text columns, where exports put line breaks: the loader counts a
    # record's line breaks in these only, unless the file holds more (loader._TypedFile).
    line_break_columns: tuple[str, ...] = ()
    # The columns whose values commonly hold the delimiter (texts, dates written with commas,
    # Instagram's counts with a thousands separator): the loader counts the delimiters inside
    # values in these only, and in every column when the file holds more (loader._TypedFile).
    delimiter_columns: tuple[str, ...] = ()
    # Columns read only to be checked, stored nowhere (each Field's invalid_unless says when a value is wrong).
    validations: tuple[Field, ...] = ()

    def resolve(self, header: list[str]) -> dict[str, str]:
        """Map lowercase spec names to the header's quoted column identifiers."""
        lookup: dict[str, str] = {}
        for name in header:
            lookup.setdefault(name.strip().lower(), quote_identifier(name))
        return lookup


def _count(source: str, empty_is_zero: bool = True) -> Callable[[dict[str, str]], str]:
    return lambda columns: count_sql(columns[source], empty_is_zero)


NON_NEGATIVE_INTEGER = "a non-negative integer (thousands separators allowed)"
TIMESTAMP = "a date and time such as 2023-12-31T23:30:00+00:00, 2023-12-31 23:30:00 or 31/12/2023 23:30"


def _post_fields(
    platform: str | None,
    handle: Field,
    post_id: Field,
    published_at: Field,
    post_type: Field,
    text: str,
    likes: str,
    comments: str,
    reposts: str | None,
    quotes: str | None,
    impressions: tuple[str, ...],
    permalink: Callable[[dict[str, str]], str],
) -> tuple[Field, ...]:
    fields = [
        Field("platform", (lambda columns: f"'{platform}'") if platform else _platform_sql, "platform", "x or instagram"),
        handle,
        post_id,
        published_at,
        post_type,
        # Meta's Description is not among the columns that recognise its export: empty when missing
        Field("text", lambda columns: _text(columns[text]) if text in columns else "''"),
        Field("likes", _count(likes), likes, NON_NEGATIVE_INTEGER),
        Field("comments", _count(comments), comments, NON_NEGATIVE_INTEGER),
        Field("reposts", _count(reposts) if reposts else (lambda columns: "0"), reposts, NON_NEGATIVE_INTEGER if reposts else None),
        Field("quotes", _count(quotes) if quotes else (lambda columns: "0"), quotes, NON_NEGATIVE_INTEGER if quotes else None),
        # optional column; when present, a count like the others (LANDING.md 5), empty being 0
        Field("impressions", _impressions(*impressions), impressions, NON_NEGATIVE_INTEGER),
        Field("permalink", permalink),
    ]
    return tuple(fields)


def _platform_sql(columns: dict[str, str]) -> str:
    return _on_trimmed(columns["platform"], lambda value: f"case when lower({value}) in ('x', 'instagram') then lower({value}) end")


def _impressions(*names: str) -> Callable[[dict[str, str]], str]:
    def pick(columns: dict[str, str]) -> str:
        for name in names:
            if name in columns:
                return count_sql(columns[name])
        return "null"

    return pick


_INSTAGRAM_TYPES = {"ig image": "image", "ig carousel": "carousel", "ig reel": "reel", "ig video": "video", "ig story": "story"}
_CANONICAL_TYPES = {"x": ("post", "reply", "quote", "repost"), "instagram": ("image", "carousel", "video", "reel", "story")}


def _instagram_type(columns: dict[str, str]) -> str:
    def build(value: str) -> str:
        cases = " ".join(f"when lower({value}) = '{label}' then '{kind}'" for label, kind in _INSTAGRAM_TYPES.items())
        return f"case {cases} end"

    return _on_trimmed(columns["post type"], build)


def _canonical_type(columns: dict[str, str]) -> str:
    platform = _platform_sql(columns)

    # list_contains, not `in (...)`: DuckDB plans a long IN list as a join,
    # which loses the file's row order (see test_typing_keeps_the_file_order).
    def build(value: str) -> str:
        cases = " ".join(
            f"when {platform} = '{platform_name}' and list_contains({list(kinds)!r}, lower({value})) then lower({value})"
            for platform_name, kinds in _CANONICAL_TYPES.items()
        )
        return f"case {cases} end"

    return _on_trimmed(columns["post_type"], build)


X_TWEET_ACTIVITY = LandingFormat(
    name="x_tweet_activity",
    description='X analytics "tweet activity" export (Tweet id, Tweet permalink, Tweet text, time, ...)',
    table="posts",
    signature=("tweet id", "tweet permalink", "time"),
    required=("tweet id", "tweet permalink", "tweet text", "time", "impressions", "retweets", "replies"),
    alternatives=(("likes", "favorites"),),
    line_break_columns=("tweet text",),
    delimiter_columns=("tweet text",),
    fields=_post_fields(
        platform="x",
        handle=Field("handle", lambda c: _permalink_handle(c["tweet permalink"]), "Tweet permalink", "a link like https://twitter.com/<handle>/status/<id>"),
        post_id=Field("post_id", lambda c: _numeric_id(c["tweet id"]), "Tweet id", "a numeric tweet id"),
        published_at=Field("published_at", lambda c: timestamp_sql(c["time"]), "time", "a time such as 2021-11-30 16:00 +0000"),
        post_type=Field("post_type", lambda c: _x_post_type(c["tweet text"])),
        text="tweet text",
        likes="likes",
        comments="replies",
        reposts="retweets",
        quotes=None,
        impressions=("impressions",),
        permalink=lambda c: _nonempty(c["tweet permalink"]),
    ),
)

X_CONTENT = LandingFormat(
    name="x_content",
    description="X analytics content export (Post id, Date, Post text, Post Link, Impressions, Likes, ...)",
    table="posts",
    signature=("post id", "post link", "date"),
    required=("post id", "post link", "post text", "impressions", "likes", "replies", "reposts"),
    line_break_columns=("post text",),
    delimiter_columns=("post text", "date"),
    fields=_post_fields(
        platform="x",
        handle=Field("handle", lambda c: _permalink_handle(c["post link"]), "Post Link", "a link like https://x.com/<handle>/status/<id>"),
        post_id=Field("post_id", lambda c: _numeric_id(c["post id"]), "Post id", "a numeric post id"),
        published_at=Field("published_at", lambda c: snowflake_instant_sql(c["post id"]), "Post id", "a Snowflake post id giving the publish instant"),
        post_type=Field("post_type", lambda c: _x_post_type(c["post text"])),
        text="post text",
        likes="likes",
        comments="replies",
        reposts="reposts",
        quotes=None,
        impressions=("impressions",),
        permalink=lambda c: _nonempty(c["post link"]),
    ),
    # Not stored (the instant comes from the post id), but an unparseable date rejects the file (LANDING.md 5).
    validations=(
        Field(
            "date",
            lambda c: content_date_sql(c["date"]),
            "Date",
            "a date such as Tue, Jul 14, 2026",
            invalid_unless=lambda c: f"({content_date_sql(c['date'])}) is not null",
        ),
    ),
)

INSTAGRAM_POSTS = LandingFormat(
    name="instagram_posts",
    description="Meta Business Suite Instagram posts export (Post ID, Account username, Publish time, Post type, ...)",
    table="posts",
    signature=("post id", "account username", "publish time", "post type"),
    required=("post id", "account username", "publish time", "post type", "likes", "comments"),
    line_break_columns=("description",),
    delimiter_columns=(
        "description", "account name", "views", "impressions", "reach", "likes", "comments", "shares", "follows", "saves",
    ),
    fields=_post_fields(
        platform="instagram",
        handle=Field("handle", lambda c: _handle(c["account username"]), "Account username", "an account username"),
        post_id=Field("post_id", lambda c: _nonempty(c["post id"]), "Post ID", "a post id"),
        published_at=Field("published_at", lambda c: timestamp_sql(c["publish time"], month_first=True), "Publish time", "a time such as 09/15/2023 18:00 (MM/DD/YYYY HH:MM)"),
        post_type=Field("post_type", _instagram_type, "Post type", "one of " + ", ".join(label.replace("ig", "IG") for label in _INSTAGRAM_TYPES)),
        text="description",
        likes="likes",
        comments="comments",
        reposts=None,
        quotes=None,
        impressions=("views", "impressions"),
        permalink=lambda c: _nonempty(c["permalink"]) if "permalink" in c else "null",
    ),
)

CANONICAL_POSTS = LandingFormat(
    name="canonical_posts",
    description="canonical posts CSV (platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink)",
    table="posts",
    signature=("platform", "handle", "post_id", "published_at"),
    required=("platform", "handle", "post_id", "published_at", "post_type", "text", "likes", "comments", "reposts", "quotes"),
    line_break_columns=("text",),
    delimiter_columns=("text",),
    fields=_post_fields(
        platform=None,
        handle=Field("handle", lambda c: _handle(c["handle"]), "handle", "an account handle"),
        post_id=Field("post_id", lambda c: _nonempty(c["post_id"]), "post_id", "a post id"),
        published_at=Field("published_at", lambda c: timestamp_sql(c["published_at"]), "published_at", TIMESTAMP),
        post_type=Field("post_type", _canonical_type, "post_type", "post, reply, quote or repost on x; image, carousel, video, reel or story on instagram"),
        text="text",
        likes="likes",
        comments="comments",
        reposts="reposts",
        quotes="quotes",
        impressions=("impressions",),
        permalink=lambda c: _nonempty(c["permalink"]) if "permalink" in c else "null",
    ),
)

FOLLOWER_SNAPSHOTS = LandingFormat(
    name="follower_snapshots",
    description="follower snapshots (platform,handle,date,followers,following)",
    table="follower_snapshots",
    signature=("platform", "handle", "date", "followers"),
    required=("platform", "handle", "date", "followers"),
    delimiter_columns=("followers", "following"),
    fields=(
        Field("platform", _platform_sql, "platform", "x or instagram"),
        Field("handle", lambda c: _handle(c["handle"]), "handle", "an account handle"),
        Field("snapshot_date", lambda c: date_sql(c["date"]), "date", "a date such as 2023-12-31 or 31/12/2023"),
        Field("followers", _count("followers", empty_is_zero=False), "followers", NON_NEGATIVE_INTEGER),
        Field(
            "following",
            lambda c: count_sql(c["following"], empty_is_zero=False) if "following" in c else "null",
            "following",
            "empty or " + NON_NEGATIVE_INTEGER,
            invalid_unless=lambda c: f"({_trimmed(c['following'])} = '' or ({count_sql(c['following'], empty_is_zero=False)}) is not null)",
        ),
    ),
)

ACCOUNTS = LandingFormat(
    name="accounts",
    description="accounts.csv (panel,platform,handle,company,display_name,account_type,member_from,member_to)",
    table="accounts",
    signature=("panel", "platform", "handle", "account_type"),
    required=("panel", "platform", "handle", "company", "display_name", "account_type", "member_from", "member_to"),
    line_break_columns=("company", "display_name"),
    delimiter_columns=("company", "display_name"),
    fields=(
        Field("panel", lambda c: f"nullif({_trimmed(c['panel'])}, '')", "panel", "a panel slug"),
        Field("platform", _platform_sql, "platform", "x or instagram"),
        Field("handle", lambda c: _handle(c["handle"]), "handle", "an account handle"),
        Field("company", lambda c: _trimmed(c["company"])),
        Field("display_name", lambda c: _trimmed(c["display_name"])),
        Field(
            "account_type",
            lambda c: f"case when lower({_trimmed(c['account_type'])}) in ('corporate', 'campaign') then lower({_trimmed(c['account_type'])}) end",
            "account_type",
            "corporate or campaign",
        ),
        Field(
            "member_from",
            lambda c: date_sql(c["member_from"]),
            "member_from",
            "empty or a date such as 2023-01-01",
            invalid_unless=lambda c: f"({_trimmed(c['member_from'])} = '' or ({date_sql(c['member_from'])}) is not null)",
        ),
        Field(
            "member_to",
            lambda c: date_sql(c["member_to"]),
            "member_to",
            "empty or a date such as 2023-12-31",
            invalid_unless=lambda c: f"({_trimmed(c['member_to'])} = '' or ({date_sql(c['member_to'])}) is not null)",
        ),
    ),
)

POST_FORMATS = (X_TWEET_ACTIVITY, X_CONTENT, INSTAGRAM_POSTS, CANONICAL_POSTS)
DATA_FORMATS = (*POST_FORMATS, FOLLOWER_SNAPSHOTS)
ALL_FORMATS = (*DATA_FORMATS, ACCOUNTS)


def recognise(header: list[str], formats: tuple[LandingFormat, ...] = ALL_FORMATS) -> LandingFormat | None:
    """The most specific format whose signature columns all appear in the header."""
    names = {name.strip().lower() for name in header}
    matching = [fmt for fmt in formats if set(fmt.signature) <= names]
    if not matching:
        return None
    return max(matching, key=lambda fmt: len(fmt.signature))


def closest_format(header: list[str], formats: tuple[LandingFormat, ...] = ALL_FORMATS) -> tuple[LandingFormat, list[str]] | None:
    """The format sharing most signature columns with the header (at least half), with those it lacks."""
    names = {name.strip().lower() for name in header}
    best = max(formats, key=lambda fmt: len(set(fmt.signature) & names))
    shared = set(best.signature) & names
    if 2 * len(shared) < len(best.signature):
        return None
    return best, [column for column in best.signature if column not in names]


def missing_columns(fmt: LandingFormat, header: list[str]) -> list[str]:
    names = {name.strip().lower() for name in header}
    missing = [column for column in fmt.required if column not in names]
    for group in fmt.alternatives:
        if not names & set(group):
            missing.append(" or ".join(group))
    return missing


def likes_column(columns: dict[str, str]) -> dict[str, str]:
    """Older tweet-activity exports say `favorites` where newer ones say `likes`."""
    if "likes" not in columns and "favorites" in columns:
        columns = {**columns, "likes": columns["favorites"]}
    return columns
