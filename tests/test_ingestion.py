"""Every landing format and variant of LANDING.md, the load semantics, and every rejection."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingestion import loader
from dagster_project.ingestion.loader import sync_landing

RUN_DATE = dt.date(2026, 11, 26)
ACCOUNTS = (
    "panel,platform,handle,company,display_name,account_type,member_from,member_to\n"
    "x_pharma_fr,x,sanofi,Sanofi,Sanofi,corporate,,\n"
    "ig_corporate_fr,instagram,sanofifrance,Sanofi,Sanofi France,corporate,2023-01-01,\n"
)
CANONICAL_HEADER = "platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink\n"
TWEET_ACTIVITY_HEADER = (
    '"Tweet id","Tweet permalink","Tweet text","time","impressions","engagements","engagement rate","retweets",'
    '"replies","{likes}","user profile clicks","url clicks","hashtag clicks","detail expands","permalink clicks",'
    '"app opens","app installs","follows","email tweet","dial phone","media views","media engagements",'
    '"promoted impressions","promoted engagements"\n'
)


def tweet_activity_row(tweet_id: str, handle: str, text: str, time: str, likes: str, retweets: str = "0.0", replies: str = "0.0") -> str:
    fields = [tweet_id, f"https://twitter.com/{handle}/status/{tweet_id}", text, time, "100.0", "5.0", "0.05", retweets,
              replies, likes, "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "-", "-"]
    return ",".join('"' + field.replace('"', '""') + '"' for field in fields) + "\n"


class Landing:
    """A landing directory and a working database, synchronised on demand."""

    def __init__(self, root: Path):
        self.dir = root / "landing"
        self.dir.mkdir()
        self.db = root / "bts.duckdb"
        self.scratch = root / "scratch"
        self.write("accounts.csv", ACCOUNTS)

    def write(self, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    def sync(self, timezone: str = "Europe/Paris"):
        with duckdb.connect(str(self.db)) as conn:
            return sync_landing(conn, self.dir, self.scratch, timezone, RUN_DATE, log=lambda message: None)

    def query(self, sql: str, params=None):
        with duckdb.connect(str(self.db), read_only=True) as conn:
            conn.execute("set TimeZone = 'UTC'")
            return conn.execute(sql, params or []).fetchall()


@pytest.fixture
def landing(tmp_path) -> Landing:
    return Landing(tmp_path)


def only_rejection(report):
    assert len(report.rejections) == 1, [error.describe() for error in report.rejections]
    return report.rejections[0]


# --- formats ---------------------------------------------------------------------------------


def test_canonical_posts_are_loaded_typed_with_lineage(landing):
    landing.write(
        "posts/canonical.csv",
        CANONICAL_HEADER
        + "x,Sanofi,1001,2023-12-31T23:30:00+00:00,post,Bonne année #RSE,10,2,3,1,500,https://x.com/sanofi/status/1001\n"
        + "x,@sanofi,1002,2023-06-01 10:00:00,reply,@roche merci,,,,,,\n",
    )
    report = landing.sync()
    assert not report.rejections
    rows = landing.query(
        "select handle, post_id, published_at, post_type, likes, comments, reposts, quotes, impressions, permalink, "
        "source_format, file_path, line_number from raw.posts order by post_id"
    )
    utc = dt.timezone.utc
    assert rows[0][:10] == ("sanofi", "1001", dt.datetime(2023, 12, 31, 23, 30, tzinfo=utc), "post", 10, 2, 3, 1, 500, "https://x.com/sanofi/status/1001")
    # No offset: local time in Europe/Paris (UTC+2 in June); empty counts are 0.
    assert rows[1][:10] == ("sanofi", "1002", dt.datetime(2023, 6, 1, 8, 0, tzinfo=utc), "reply", 0, 0, 0, 0, 0, None)
    assert rows[0][10:] == ("canonical_posts", "posts/canonical.csv", 2)
    assert rows[1][12] == 3


def test_tweet_activity_export_with_favorites_and_line_breaks(landing):
    landing.write(
        "x/tweet_activity_metrics_sanofi.csv",
        TWEET_ACTIVITY_HEADER.format(likes="favorites")
        + tweet_activity_row("812369747765362688", "Sanofi", "Première ligne\nseconde ligne #santé", "2016-12-23 18:50 +0000", "7.0", "2.0", "1.0")
        + tweet_activity_row("812369747765362689", "Sanofi", "RT @roche: un repost", "2016-12-24 08:00 +0000", "0.0")
        + tweet_activity_row("812369747765362690", "Sanofi", "@msd merci", "2016-12-24 09:00 +0000", "1.0"),
    )
    report = landing.sync()
    assert not report.rejections
    rows = landing.query("select post_id, handle, post_type, likes, reposts, comments, quotes, impressions, line_number from raw.posts order by post_id")
    assert rows == [
        ("812369747765362688", "sanofi", "post", 7, 2, 1, 0, 100, 2),
        ("812369747765362689", "sanofi", "repost", 0, 0, 0, 0, 100, 4),
        ("812369747765362690", "sanofi", "reply", 1, 0, 0, 0, 100, 5),
    ]


def test_x_content_export_takes_the_instant_from_the_snowflake_id(landing):
    instant = dt.datetime(2026, 7, 14, 9, 30, 15, 123000, tzinfo=dt.timezone.utc)
    milliseconds = int(instant.timestamp() * 1000)
    post_id = ((milliseconds - 1288834974657) << 22) | 4242
    landing.write(
        "x/account_analytics_content_2026.csv",
        "Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,Replies,Reposts,"
        "Profile visits,Detail Expands,URL Clicks,Hashtag Clicks,Permalink Clicks\n"
        f'{post_id},"Tue, Jul 14, 2026",Texte,https://x.com/Sanofi/status/{post_id},"1,234",12,20,1,0,0,3,4,0,0,0,0,0\n',
    )
    report = landing.sync()
    assert not report.rejections
    assert landing.query("select post_id, handle, published_at, likes, comments, reposts, impressions from raw.posts") == [
        (str(post_id), "sanofi", instant, 12, 3, 4, 1234)
    ]


def test_meta_business_suite_export_reads_local_month_first_times_and_thousands(landing):
    landing.write(
        "instagram/export.csv",
        "Post ID,Account ID,Account username,Account name,Description,Duration (sec),Publish time,Permalink,Post type,"
        "Data comment,Date,Views,Reach,Likes,Shares,Follows,Comments,Saves\n"
        '17900000001,99,SanofiFrance,Sanofi France,"Une photo\navec deux lignes",0,09/15/2023 18:00,https://www.instagram.com/p/abc/,IG image,,Lifetime,"15,000",900,"1,024",3,0,12,4\n'
        "17900000002,99,sanofifrance,Sanofi France,Une story,0,09/16/2023 08:05,https://www.instagram.com/p/def/,IG story,,Lifetime,10,9,1,0,0,0,0\n",
    )
    report = landing.sync()
    assert not report.rejections
    assert landing.query("select post_id, handle, published_at, post_type, likes, comments, reposts, impressions from raw.posts order by post_id") == [
        ("17900000001", "sanofifrance", dt.datetime(2023, 9, 15, 16, 0, tzinfo=dt.timezone.utc), "image", 1024, 12, 0, 15000),
        ("17900000002", "sanofifrance", dt.datetime(2023, 9, 16, 6, 5, tzinfo=dt.timezone.utc), "story", 1, 0, 0, 10),
    ]


def test_follower_snapshots_accept_both_date_forms_and_empty_following(landing):
    landing.write("followers/a.csv", "platform,handle,date,followers,following\nx,Sanofi,2023-12-31,10 000,120\ninstagram,sanofifrance,31/12/2023,1\u202f408,\n")
    report = landing.sync()
    assert not report.rejections
    assert landing.query("select platform, handle, snapshot_date, followers, following from raw.follower_snapshots order by platform") == [
        ("instagram", "sanofifrance", dt.date(2023, 12, 31), 1408, None),
        ("x", "sanofi", dt.date(2023, 12, 31), 10000, 120),
    ]


def test_accounts_are_loaded_with_membership_dates(landing):
    assert not landing.sync().rejections
    assert landing.query("select panel, platform, handle, account_type, member_from, member_to from raw.accounts order by panel") == [
        ("ig_corporate_fr", "instagram", "sanofifrance", "corporate", dt.date(2023, 1, 1), None),
        ("x_pharma_fr", "x", "sanofi", "corporate", None, None),
    ]


# --- French-spreadsheet variants ------------------------------------------------------------

FRENCH_ROWS = [
    "x;sanofi;2001;31/12/2023 23:30;post;Élan « solidaire » – 5 €;1 234;2;3;0;;",
    "x;sanofi;2002;01/01/2024 00:15:30;post;\"Deux\r\nlignes; avec point-virgule\";5;0;0;0;10\u00a0000;",
]


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("cp1252", b"")],
    ids=["utf8", "utf8-bom", "utf16-bom", "windows-1252"],
)
def test_french_spreadsheet_variant_in_every_encoding(landing, encoding, bom):
    text = CANONICAL_HEADER.replace(",", ";").replace("\n", "\r\n") + "\r\n".join(FRENCH_ROWS) + "\r\n"
    landing.write("exports/fr.csv", bom + text.encode(encoding))
    report = landing.sync()
    assert not report.rejections, [error.describe() for error in report.rejections]
    rows = landing.query("select post_id, published_at, text, likes, impressions, line_number from raw.posts order by post_id")
    assert rows == [
        ("2001", dt.datetime(2023, 12, 31, 22, 30, tzinfo=dt.timezone.utc), "Élan « solidaire » – 5 €", 1234, 0, 2),
        ("2002", dt.datetime(2023, 12, 31, 23, 15, 30, tzinfo=dt.timezone.utc), "Deux\r\nlignes; avec point-virgule", 5, 10000, 3),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "« café\u00a0» est là",  # é, no-break space, » is E9 A0 BB: shaped like UTF-8
        "PRÉ–ÉTÉ",  # C9 96
        "déjà…»",  # E0 85 BB
        "L’ÉTÉ… œuvre à 5 €",
        "VOYAGE À HAWAÏ\u00a0! #été",  # CF A0: the UTF-8 of a Greek capital
        "ÎLE « AÏ\u00a0» ET AÏ…",  # CF A0, CF 85
    ],
)
def test_windows_1252_french_text_shaped_like_utf8_by_chance_is_read_as_windows_1252(landing, text):
    landing.write("fr.csv", (CANONICAL_HEADER + f"x,sanofi,1,2023-12-31 23:30:00,post,\"{text}\",1,0,0,0,,\n").encode("cp1252"))
    report = landing.sync()
    assert not report.rejections, [error.describe() for error in report.rejections]
    assert landing.query("select text from raw.posts") == [(text,)]


@pytest.mark.parametrize("utf8_text", ["L’été", "Café", "« œuvre »", "santé 💙", "日本語", "λόγος", "Привет"])
def test_a_utf8_file_with_one_damaged_byte_is_rejected_not_read_as_windows_1252(landing, utf8_text):
    landing.write("broken.csv", (CANONICAL_HEADER + f"x,sanofi,1,2023-05-01 12:00,post,{utf8_text} ").encode() + b"\xe9,1,0,0,0,,\n")
    error = only_rejection(landing.sync())
    assert error.line == 2 and "undecodable byte 0xE9" in error.message


def test_an_instagram_export_without_description_loads_with_empty_texts(landing):
    landing.write("ig.csv", "Post ID,Account username,Publish time,Post type,Likes,Comments,Views\n1,acme.fr,09/15/2023 18:00,IG image,3,4,10\n")
    landing.write("z_other.csv", CANONICAL_HEADER + "x,sanofi,2,2023-05-01 12:00,post,a,1,0,0,0,,\n")
    report = landing.sync()
    assert not report.rejections, [error.describe() for error in report.rejections]
    assert landing.query("select platform, post_id, text, likes, comments, impressions from raw.posts order by post_id") == [
        ("instagram", "1", "", 3, 4, 10), ("x", "2", "a", 1, 0, 0)]


@pytest.mark.parametrize(
    "header, row, column",
    [
        (CANONICAL_HEADER, "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,abc,", "impressions"),
        (CANONICAL_HEADER, "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,-5,", "impressions"),
        (CANONICAL_HEADER, "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,12.5,", "impressions"),
        ("Post ID,Account username,Publish time,Post type,Likes,Comments,Impressions\n", "1,acme,09/15/2023 18:00,IG image,3,4,-", "impressions"),
        ("Post ID,Account username,Publish time,Post type,Likes,Comments,Views\n", "1,acme,09/15/2023 18:00,IG image,3,4,beaucoup", "views"),
    ],
)
def test_an_impressions_count_that_is_not_a_non_negative_integer_rejects_the_file(landing, header, row, column):
    landing.write("bad.csv", header + row + "\n")
    error = only_rejection(landing.sync())
    assert (error.line, error.column) == (2, column) and "expected a non-negative integer" in error.message, error.describe()


def test_narrow_no_break_space_thousands_in_utf8(landing):
    landing.write("fr.csv", CANONICAL_HEADER + "instagram,sanofifrance,3001,2023-05-01 12:00,reel,x,\"12\u202f345\",0,0,0,,\n")
    assert not landing.sync().rejections
    assert landing.query("select likes from raw.posts") == [(12345,)]


def test_mixed_line_ends_are_read(landing):
    landing.write("mixed.csv", (CANONICAL_HEADER + "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,,\r\nx,sanofi,2,2023-05-02 12:00,post,b,2,0,0,0,,\n").encode())
    assert not landing.sync().rejections
    assert landing.query("select post_id, text, likes from raw.posts order by 1") == [("1", "a", 1), ("2", "b", 2)]


def test_formula_like_text_is_kept_as_text(landing):
    landing.write("f.csv", CANONICAL_HEADER + 'x,sanofi,1,2023-05-01 12:00,post,"=HYPERLINK(""http://evil"",""x"")",1,0,0,0,,\n')
    assert not landing.sync().rejections
    assert landing.query("select text from raw.posts") == [('=HYPERLINK("http://evil","x")',)]


# --- load semantics --------------------------------------------------------------------------


def test_a_second_run_loads_nothing_and_changes_nothing(landing):
    landing.write("a.csv", CANONICAL_HEADER + "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,,\n")
    first = landing.sync()
    before = landing.query("select * from raw.posts")
    second = landing.sync()
    assert [o.status for o in first.outcomes] == ["loaded", "loaded"]
    assert [o.status for o in second.outcomes] == ["unchanged", "unchanged"]
    assert landing.query("select * from raw.posts") == before


def test_the_same_bytes_under_two_names_are_loaded_once(landing):
    content = CANONICAL_HEADER + "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,,\n"
    landing.write("a.csv", content)
    landing.write("copies/b.csv", content)
    assert not landing.sync().rejections
    # Named by the path that sorts last, which breaks ties between observations of a post.
    assert landing.query("select count(*), min(file_path) from raw.posts") == [(1, "copies/b.csv")]
    assert landing.query("select first_path from raw.landing_files where raw_table = 'posts'") == [("copies/b.csv",)]
    (landing.dir / "copies/b.csv").unlink()
    landing.sync()
    assert landing.query("select count(*), min(file_path) from raw.posts") == [(1, "a.csv")]


def test_a_changed_file_replaces_its_rows_and_a_deleted_file_leaves(landing):
    path = landing.write("a.csv", CANONICAL_HEADER + "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,,\nx,sanofi,2,2023-05-01 13:00,post,b,1,0,0,0,,\n")
    landing.sync()
    path.write_text(CANONICAL_HEADER + "x,sanofi,1,2023-05-01 12:00,post,a,9,0,0,0,,\n")
    os.utime(path, ns=(1, 1))
    landing.sync()
    assert landing.query("select post_id, likes from raw.posts") == [("1", 9)]
    assert landing.query("select count(*) from raw.landing_files where raw_table = 'posts'") == [(1,)]
    path.unlink()
    report = landing.sync()
    assert report.removed_paths == ["a.csv"]
    assert landing.query("select count(*) from raw.posts") == [(0,)]


def test_a_bad_new_version_keeps_the_previous_version_loaded(landing):
    path = landing.write("a.csv", CANONICAL_HEADER + "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,,\n")
    landing.sync()
    path.write_text(CANONICAL_HEADER + "x,sanofi,1,2023-05-01 12:00,post,a,-4,0,0,0,,\n")
    report = landing.sync()
    assert only_rejection(report).path == "a.csv"
    assert landing.query("select likes from raw.posts") == [(1,)]
    assert landing.query("select path, column_name, line_number from raw.landing_rejections") == [("a.csv", "likes", 2)]


def test_the_timezone_decides_the_local_time_of_naive_timestamps(landing):
    landing.write("a.csv", CANONICAL_HEADER + "x,sanofi,1,2023-12-31 23:30:00,post,a,1,0,0,0,,\n")
    landing.sync(timezone="UTC")
    assert landing.query("select published_at from raw.posts") == [(dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.timezone.utc),)]
    landing.sync(timezone="Europe/Paris")
    assert landing.query("select published_at from raw.posts") == [(dt.datetime(2023, 12, 31, 22, 30, tzinfo=dt.timezone.utc),)]


def _utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "written, instant",
    [
        ("2023-12-31T23:30:00+01:00", _utc(2023, 12, 31, 22, 30)),
        ("2023-12-31T23:30+01:00", _utc(2023, 12, 31, 22, 30)),  # ISO 8601 without seconds: DuckDB's cast alone refuses it
        ("2023-12-31 23:30+01:00", _utc(2023, 12, 31, 22, 30)),
        ("2023-12-31T23:30Z", _utc(2023, 12, 31, 23, 30)),
        ("2023-12-31T23:30:00Z", _utc(2023, 12, 31, 23, 30)),
        ("2023-12-31T23:30+0100", _utc(2023, 12, 31, 22, 30)),
        ("2023-12-31T23:30:15+01", _utc(2023, 12, 31, 22, 30, 15)),  # an offset of hours alone
        ("2023-12-31T23:30-02", _utc(2024, 1, 1, 1, 30)),
        ("2023-12-31 23:30", _utc(2023, 12, 31, 22, 30)),  # local time (Europe/Paris)
    ],
)
def test_iso_8601_instants_are_read_with_or_without_seconds_and_in_every_offset_form(landing, written, instant):
    landing.write("a.csv", CANONICAL_HEADER + f"x,sanofi,1,{written},post,a,1,0,0,0,,\n")
    assert not landing.sync().rejections
    assert landing.query("select published_at from raw.posts") == [(instant,)]


# --- rejections (LANDING.md section 5) -------------------------------------------------------

GOOD_ROW = "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,,\n"


@pytest.mark.parametrize(
    "content, line, column, fragment",
    [
        ("id,name\n1,a\n", 1, None, "unrecognised header"),
        ("platform,handle,post_id,published_at,post_type,text,comments,reposts,quotes\nx,a,1,2023-01-01 10:00,post,t,0,0,0\n", 1, None, "missing required column(s) for the canonical posts CSV"),
        (CANONICAL_HEADER + GOOD_ROW + "x,sanofi,2,2023-05-01 12:00,post,a,beaucoup,0,0,0,,\n", 3, "likes", "expected a non-negative integer"),
        (CANONICAL_HEADER + "x,sanofi,2,2023-05-01 12:00,post,a,1,-3,0,0,,\n", 2, "comments", "found '-3'"),
        (CANONICAL_HEADER + "x,sanofi,2,2023-05-01 12:00,post,a,1.5,0,0,0,,\n", 2, "likes", "found '1.5'"),
        (CANONICAL_HEADER + "x,sanofi,2,le 3 mai,post,a,1,0,0,0,,\n", 2, "published_at", "expected a date and time"),
        (CANONICAL_HEADER + "x,sanofi,2,2005-01-01 12:00,post,a,1,0,0,0,,\n", 2, "published_at", "between 2006-03-21"),
        (CANONICAL_HEADER + "x,sanofi,2,2027-01-01 12:00,post,a,1,0,0,0,,\n", 2, "published_at", "between 2006-03-21"),
        (CANONICAL_HEADER + "x,sanofi,2,2023-05-01 12:00,tweet,a,1,0,0,0,,\n", 2, "post_type", "expected post, reply, quote or repost"),
        (CANONICAL_HEADER + "tiktok,sanofi,2,2023-05-01 12:00,post,a,1,0,0,0,,\n", 2, "platform", "expected x or instagram"),
        (CANONICAL_HEADER + GOOD_ROW + 'x,sanofi,2,2023-05-01 12:00,post,"never closed,1,0,0,0,,\n', 3, "text", "not closed"),
        (CANONICAL_HEADER + "x,sanofi,2,2023-05-01 12:00,post,a,1,0\n", 2, None, "expected 12 fields, found 8"),
        ("", 1, None, "empty"),
        (CANONICAL_HEADER + GOOD_ROW + CANONICAL_HEADER, 3, None, "header row is repeated"),
    ],
    ids=[
        "unknown-header", "missing-column", "non-numeric-count", "negative-count", "fractional-count", "bad-date",
        "date-too-early", "date-in-the-future", "unknown-post-type", "unknown-platform", "unclosed-quote",
        "short-row", "empty-file", "header-repeated",
    ],
)
def test_a_bad_file_is_rejected_whole_with_file_line_and_column(landing, content, line, column, fragment):
    landing.write("good.csv", CANONICAL_HEADER + "x,sanofi,99,2023-05-01 12:00,post,ok,1,0,0,0,,\n")
    landing.write("bad file.csv", content)
    error = only_rejection(landing.sync())
    assert error.path == "bad file.csv"
    assert error.line == line
    assert error.column == column
    assert fragment in error.message
    assert error.describe().startswith("bad file.csv, line ")
    assert landing.query("select post_id from raw.posts") == [("99",)]
    assert landing.query("select count(*) from raw.landing_files where first_path = 'bad file.csv'") == [(0,)]


def test_undecodable_bytes_are_rejected_not_guessed(landing):
    landing.write("broken.csv", (CANONICAL_HEADER + "x,sanofi,1,2023-05-01 12:00,post,Caf\u00e9 ").encode() + b"\xff\xfe\xfd" + b",1,0,0,0,,\n")
    error = only_rejection(landing.sync())
    assert error.line == 2 and "undecodable byte 0xFF" in error.message


def test_utf16_without_bom_is_rejected(landing):
    landing.write("u16.csv", (CANONICAL_HEADER + GOOD_ROW).encode("utf-16-le"))
    error = only_rejection(landing.sync())
    assert "NUL byte" in error.message and "UTF-16" in error.message


def test_a_post_under_two_handles_is_rejected_naming_both_files(landing):
    landing.write("a.csv", CANONICAL_HEADER + "x,sanofi,77,2023-05-01 12:00,post,a,1,0,0,0,,\n")
    landing.write("b.csv", CANONICAL_HEADER + "x,roche,77,2023-05-01 12:00,post,a,1,0,0,0,,\n")
    error = only_rejection(landing.sync())
    assert error.path == "b.csv" and "a.csv" in error.message and "'roche'" in error.message


@pytest.mark.parametrize("first_conflict", ["x", "instagram"])
def test_a_post_under_two_handles_is_found_on_either_platform_of_files_holding_both(landing, first_conflict):
    # Each platform's posts are searched apart (its own range of ids); the first record in
    # conflict, whichever its platform, is the one named.
    landing.write("a.csv", CANONICAL_HEADER + "instagram,sanofifrance,500,2023-05-01 12:00,image,a,1,0,0,0,,\n"
                  "x,sanofi,77,2023-05-01 12:00,post,a,1,0,0,0,,\n")
    x_line = "x,roche,77,2023-05-01 12:00,post,a,1,0,0,0,,\n"
    instagram_line = "instagram,rochefrance,500,2023-05-01 12:00,image,a,1,0,0,0,,\n"
    lines = [x_line, instagram_line] if first_conflict == "x" else [instagram_line, x_line]
    landing.write("b.csv", CANONICAL_HEADER + "x,sanofi,78,2023-05-01 12:00,post,a,1,0,0,0,,\n" + "".join(lines))
    error = only_rejection(landing.sync())
    post = "77" if first_conflict == "x" else "500"
    assert (error.path, error.line) == ("b.csv", 3) and f"post {post} " in error.message and "a.csv (line " in error.message
    assert landing.query("select file_path, count(*) from raw.posts group by all") == [("a.csv", 2)]


@pytest.mark.parametrize("files", [1, 2], ids=["one file", "a group of small files"])
def test_a_file_of_both_platforms_is_stored_one_platform_after_the_other_each_in_file_order(landing, files, monkeypatch):
    grouped = []
    load_small_files = loader._load_small_files

    def noting_groups(*args):
        grouped.append(load_small_files(*args))
        return grouped[-1]

    monkeypatch.setattr(loader, "_load_small_files", noting_groups)
    rows = "".join(
        f"x,sanofi,{1000 + i},2023-05-01 12:00,post,t,1,0,0,0,,\n" if i % 3 else
        f"instagram,sanofifrance,{1000 + i},2023-05-01 12:00,image,t,1,0,0,0,,\n"
        for i in range(12)
    )
    for index in range(files):
        landing.write(f"mixed_{index}.csv", CANONICAL_HEADER + rows.replace(",10", f",{index + 1}0"))
    assert landing.sync().rejections == []
    # two small files of one layout load as a group (_load_small_files), one file by itself
    assert [sorted(loaded) for loaded in grouped] == ([] if files == 1 else [["mixed_0.csv", "mixed_1.csv"]])
    for index in range(files):
        stored = landing.query("select platform, line_number from raw.posts where file_path = ? order by rowid", [f"mixed_{index}.csv"])
        assert len(stored) == 12 and stored == sorted(stored)  # instagram's lines, then x's, each ascending


def test_a_missing_accounts_file_is_reported(landing):
    (landing.dir / "accounts.csv").unlink()
    error = only_rejection(landing.sync())
    assert error.path == "accounts.csv" and "missing" in error.message


def test_an_accounts_file_listing_a_handle_twice_is_rejected(landing):
    landing.write("accounts.csv", ACCOUNTS + "x_pharma_fr,x,Sanofi,Sanofi,Sanofi bis,corporate,,\n")
    error = only_rejection(landing.sync())
    assert error.line == 4 and "listed twice" in error.message


def test_symbolic_links_are_not_followed_and_said_so(landing, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text(CANONICAL_HEADER + GOOD_ROW)
    (landing.dir / "link.csv").symlink_to(outside)
    report = landing.sync()
    assert not report.rejections
    assert any("link.csv: symbolic link, not followed" in note for note in report.notes)
    assert landing.query("select count(*) from raw.posts") == [(0,)]


def test_a_file_named_like_sql_is_just_a_file(landing):
    landing.write("x'); drop table raw_posts; --.csv", CANONICAL_HEADER + GOOD_ROW)
    assert not landing.sync().rejections
    assert landing.query("select file_path from raw.posts") == [("x'); drop table raw_posts; --.csv",)]


def test_a_ten_megabyte_text_field_loads(landing):
    text = "é" * (5 << 20)
    landing.write("long.csv", CANONICAL_HEADER + f"x,sanofi,1,2023-05-01 12:00,post,{text},1,0,0,0,,\n")
    assert not landing.sync().rejections
    assert landing.query("select length(text) from raw.posts") == [(5 << 20,)]


def test_a_follower_count_of_ten_to_the_fifteen_is_exact(landing):
    landing.write("f.csv", "platform,handle,date,followers,following\nx,sanofi,2023-12-31,1000000000000000,\n")
    assert not landing.sync().rejections
    assert landing.query("select followers from raw.follower_snapshots") == [(10**15,)]


def test_files_are_inspected_in_order_a_bounded_number_ahead_each_error_its_own(monkeypatch):
    """sync_landing inspects the next files in a thread while DuckDB loads one (loader._inspections_ahead)."""
    from dagster_project.ingestion import loader

    submitted: list[str] = []

    def inspect(entry):
        submitted.append(entry)
        if entry == "bad":
            raise loader.LandingFileError(entry, "undecodable")
        return f"inspected {entry}"

    monkeypatch.setattr(loader.landing_files, "inspect_file", inspect)
    entries = ["a", "b", "bad", "c", "d", "e"]
    inspections = loader._inspections_ahead(entries)
    first = next(inspections)
    assert first.result() == "inspected a"
    deadline = time.monotonic() + 5
    while len(submitted) < loader.INSPECTIONS_AHEAD + 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the thread, free, would go on if more were queued
    assert submitted == entries[: loader.INSPECTIONS_AHEAD + 1]  # never more files ahead than this
    results = []
    for future in inspections:
        try:
            results.append(future.result())
        except loader.LandingFileError as error:
            results.append(f"error {error.path}")
    assert results == ["inspected b", "error bad", "inspected c", "inspected d", "inspected e"]
    assert submitted == entries


def test_stopping_mid_way_inspects_no_further_file(monkeypatch):
    from dagster_project.ingestion import loader

    submitted: list[str] = []
    monkeypatch.setattr(loader.landing_files, "inspect_file", lambda entry: submitted.append(entry) or entry)
    inspections = loader._inspections_ahead([str(index) for index in range(10)])
    next(inspections).result()
    inspections.close()
    assert len(submitted) <= loader.INSPECTIONS_AHEAD + 1


def test_a_quote_inside_an_unquoted_header_name_rejects_the_file_instead_of_loading_it_empty(landing):
    # Found by tests/test_properties.py: DuckDB opened a quoted field at the stray quote and
    # swallowed the record after the header, so the file loaded with 0 rows and no error.
    header = CANONICAL_HEADER.rstrip("\n") + ',"note", "\n'
    landing.write("stray.csv", header + "x,sanofi,1,2023-05-01 12:00,post,a,1,0,0,0,,,v,v\n")
    error = only_rejection(landing.sync())
    assert (error.path, error.line) == ("stray.csv", 1)
    assert "a quote inside the unquoted column name ' \"' of the header row" in error.message
