"""The file layouts of LANDING.md, as the generators write them.

One place for every exact header and for the byte-level variants (delimiter,
encoding, BOM, line ends, thousands separators), so that the demo and the
scale generator write the same layouts the ingestion recognises.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Sequence

ACCOUNTS_HEADER = (
    "panel", "platform", "handle", "company", "display_name", "account_type", "member_from", "member_to",
)

FOLLOWER_SNAPSHOTS_HEADER = ("platform", "handle", "date", "followers", "following")

CANONICAL_POSTS_HEADER = (
    "platform", "handle", "post_id", "published_at", "post_type", "text",
    "likes", "comments", "reposts", "quotes", "impressions", "permalink",
)

# LANDING.md 2a: the legacy analytics.twitter.com export, 40 columns, every field quoted.
X_TWEET_ACTIVITY_HEADER = (
    "Tweet id", "Tweet permalink", "Tweet text", "time", "impressions", "engagements", "engagement rate",
    "retweets", "replies", "likes", "user profile clicks", "url clicks", "hashtag clicks", "detail expands",
    "permalink clicks", "app opens", "app installs", "follows", "email tweet", "dial phone", "media views",
    "media engagements", "promoted impressions", "promoted engagements", "promoted engagement rate",
    "promoted retweets", "promoted replies", "promoted likes", "promoted user profile clicks",
    "promoted url clicks", "promoted hashtag clicks", "promoted detail expands", "promoted permalink clicks",
    "promoted app opens", "promoted app installs", "promoted follows", "promoted email tweet",
    "promoted dial phone", "promoted media views", "promoted media engagements",
)
# Older exports of the same layout said "favorites" where newer ones say "likes".
X_TWEET_ACTIVITY_HEADER_FAVORITES = tuple(
    name.replace("likes", "favorites") for name in X_TWEET_ACTIVITY_HEADER
)
X_TWEET_ACTIVITY_PROMOTED_COLUMNS = 18  # the trailing "promoted ..." columns, "-" when unused

# LANDING.md 2b: the X Premium content export.
X_CONTENT_HEADER = (
    "Post id", "Date", "Post text", "Post Link", "Impressions", "Likes", "Engagements", "Bookmarks", "Shares",
    "New follows", "Replies", "Reposts", "Profile visits", "Detail Expands", "URL Clicks", "Hashtag Clicks",
    "Permalink Clicks",
)

# LANDING.md 2c: Meta Business Suite's Instagram posts export; older files say "Impressions", newer "Views".
INSTAGRAM_POSTS_HEADER = (
    "Post ID", "Account ID", "Account username", "Account name", "Description", "Duration (sec)",
    "Publish time", "Permalink", "Post type", "Data comment", "Date", "Views", "Reach", "Likes", "Shares",
    "Follows", "Comments", "Saves",
)
INSTAGRAM_POSTS_HEADER_IMPRESSIONS = tuple(
    "Impressions" if name == "Views" else name for name in INSTAGRAM_POSTS_HEADER
)
INSTAGRAM_POST_TYPES = {
    "image": "IG image", "carousel": "IG carousel", "reel": "IG reel", "video": "IG video", "story": "IG story",
}

# X ids are Snowflake ids: milliseconds since this epoch, shifted left by 22 bits.
SNOWFLAKE_EPOCH_MS = 1288834974657

# Thousands separators LANDING.md accepts in counts, by name.
NARROW_NO_BREAK_SPACE = "\u202f"  # not in Windows-1252: only ever written to UTF-8 files
NO_BREAK_SPACE = "\u00a0"


def snowflake_id(published_at: dt.datetime, low_bits: int) -> int:
    """An X post id whose timestamp part is `published_at` (LANDING.md 2b)."""
    milliseconds = round(published_at.timestamp() * 1000)
    if not 0 <= low_bits < 1 << 22:
        raise ValueError(f"low_bits must fit in 22 bits, got {low_bits}")
    return ((milliseconds - SNOWFLAKE_EPOCH_MS) << 22) | low_bits


def with_thousands(count: int, separator: str) -> str:
    """`15000` -> `15,000` / `15 000` / ...; counts below 1,000 carry no separator."""
    return f"{count:,}".replace(",", separator)


def java_double(value: float) -> str:
    """A float as the legacy X export prints it (Java's Double.toString): `0.0123`, `5.59E-4`."""
    if value == 0:
        return "0.0"
    if abs(value) >= 1e-3:
        text = repr(float(value))
        return text if "." in text or "e" in text else text + ".0"
    exponent = math.floor(math.log10(abs(value)))
    return f"{repr(value / 10**exponent)}E{exponent}"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], *, delimiter: str = ",",
             line_end: str = "\n", quote_all: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        lineterminator=line_end,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def encode_text(text: str, encoding: str) -> bytes:
    """Encode a whole file's text. `utf-8-sig` and `utf-16` carry a BOM; `utf-16` is always little-endian,
    so the bytes do not depend on the machine. `cp1252` is strict: an unencodable character is a bug here."""
    if encoding == "utf-8":
        return text.encode("utf-8")
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding == "cp1252":
        return text.encode("cp1252")
    raise ValueError(f"unsupported encoding {encoding!r}")
