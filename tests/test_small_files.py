"""Small files of one layout are read, checked and written together (loader._load_small_files).

Each file costs DuckDB about 20 ms whatever its size (benchmarks/README.md,
"Many small files"), so neighbouring small files of one format, header and
delimiter are loaded by one statement and one transaction. What a run loads,
rejects and reports must not depend on it: the same landing directory, synced
through the same sequence of changes, gives the same raw tables (line numbers
included), outcomes and rejection messages grouped as one file at a time,
including the groups that hold a bad file, a post under two handles, a file
that needs a UTF-8 copy or a second reading, and a change of time zone.
"""

from __future__ import annotations

import os

import duckdb
import pytest

from dagster_project.ingestion import loader
from test_ingestion import CANONICAL_HEADER, TWEET_ACTIVITY_HEADER, Landing, tweet_activity_row
from test_typing_ahead import RAW_QUERIES

QUERIES = {**RAW_QUERIES, "changed_posts": "select * from raw.changed_posts order by all"}
INSTAGRAM_HEADER = "Post ID,Account username,Account name,Description,Publish time,Permalink,Post type,Views,Likes,Comments\n"
X_CONTENT_HEADER = (
    "Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,Replies,Reposts,"
    "Profile visits,Detail Expands,URL Clicks,Hashtag Clicks,Permalink Clicks\n"
)
SNAPSHOT_HEADER = "platform,handle,date,followers,following\n"


def canonical(rows: list[str], header: str = CANONICAL_HEADER) -> str:
    return header + "".join(row + "\n" for row in rows)


def post(post_id: int, handle: str = "sanofi", day: str = "2023-05-01 12:00", likes: int = 1, text: str = "t") -> str:
    return f"x,{handle},{post_id},{day},post,{text},{likes},0,0,0,,"


def instagram_row(post_id: int, day: str, likes: str = "1") -> str:
    return f'{post_id},sanofifrance,Sanofi,"Été #santé",{day},https://www.instagram.com/p/{post_id}/,IG image,"1,000","{likes}",2\n'


def x_content_row(post_id: int, likes: int = 3) -> str:
    snowflake = ((1_690_000_000_000 + post_id * 1000 - 1288834974657) << 22) + post_id
    return (
        f'{snowflake},"Sat, Jul 22, 2023",hello #rse,https://x.com/sanofi/status/{snowflake},100,{likes},5,0,0,0,1,2,0,0,0,0,0\n'
    )


def first_landing(landing: Landing) -> None:
    write = landing.write
    write("followers/a.csv", SNAPSHOT_HEADER + "x,sanofi,2023-01-01,100,10\nx,sanofi,2023-04-01,120,\n")
    write("followers/b.csv", SNAPSHOT_HEADER + "x,sanofi,2023-04-01,120,\ninstagram,sanofifrance,15/06/2023,0,3\n")
    write("posts/c01.csv", canonical([post(n) for n in range(1, 30)]))
    write("posts/c02.csv", canonical([post(n, day="2023-06-30 23:30") for n in range(30, 40)]))
    write("posts/c03.csv", canonical([post(40, text='"two\nlines"'), post(41), post(42, text='"three\nmore\nlines"'), post(43)]))
    write("posts/c04.csv", canonical([post(n, day="31/12/2023 23:59") for n in range(44, 50)]).replace("\n", "\r\n"))
    write("posts/c05.csv", "\ufeff" + canonical([post(50), post(51, handle="@Sanofi")]))
    write("posts/c06.csv", canonical([post(52, likes=7)]))
    write("posts/c07.csv", canonical([]))  # the header alone
    write("posts/c08.csv", canonical([f"x;sanofi;{n};2023-05-02 10:00;post;t;\"1 234\";0;0;0;;" for n in (60, 61)],
                                     header=CANONICAL_HEADER.replace(",", ";")))
    write("posts/c09.csv", canonical([post(62), post(63)]))
    write("posts/e0.csv", canonical([post(70), post(71)]))
    write("posts/e1.csv", canonical([post(72), "x,sanofi,73,2023-05-01 12:00,post,t,lots,0,0,0,,"]))
    write("posts/e2.csv", canonical([post(74)]))
    write("posts/e3.csv", INSTAGRAM_HEADER + instagram_row(1010, "09/15/2023 18:00"))  # another layout ends a group
    write("posts/f1.csv", canonical([post(80), post(81)]))
    write("posts/f2.csv", canonical([post(82), post(81, handle="roche")]))  # post 81 is sanofi's in f1.csv
    write("posts/f3.csv", canonical([post(83)]))
    write("posts/f4.csv", INSTAGRAM_HEADER + instagram_row(1011, "09/15/2023 18:00"))
    write("posts/g1.csv", canonical([post(84), post(5, handle="roche")]))  # post 5 is sanofi's in c01.csv
    write("posts/g2.csv", canonical([post(86)]))
    write("posts/h1.csv", (landing.dir / "posts/c01.csv").read_bytes())  # the same bytes under a later path
    write("posts/h2.csv", canonical([post(85)]))
    write("posts/i1.csv", TWEET_ACTIVITY_HEADER.format(likes="likes") + tweet_activity_row("900", "sanofi", "one\ntwo", "2023-07-01 10:00 +0000", "3.0")
          + tweet_activity_row("901", "sanofi", "RT @roche: hello", "2023-07-01 11:00 +0000", "1,234.0"))
    write("posts/i2.csv", TWEET_ACTIVITY_HEADER.format(likes="likes") + tweet_activity_row("902", "sanofi", "@roche merci", "2023-09-30 22:30 +0000", "4.0"))
    write("posts/i3.csv", TWEET_ACTIVITY_HEADER.format(likes="favorites") + tweet_activity_row("903", "sanofi", "old", "2022-07-01 10:00 +0000", "2.0"))
    write("posts/j1.csv", INSTAGRAM_HEADER + instagram_row(1001, "09/15/2023 18:00", "15,000"))
    write("posts/j2.csv", INSTAGRAM_HEADER + instagram_row(1002, "03/31/2023 23:30"), encoding="utf-16")
    write("posts/j3.csv", INSTAGRAM_HEADER + instagram_row(1003, "12/31/2023 23:59"), encoding="cp1252")
    write("posts/j4.csv", INSTAGRAM_HEADER + instagram_row(1004, "01/01/2023 00:00"))
    link = "https://x.com/sanofi/status/"
    write("posts/k1.csv", CANONICAL_HEADER.replace("\n", "\r\n") + post(90) + link + "90\n" + post(91) + link + "91\r\n")  # mixed line ends
    write("posts/k2.csv", canonical([post(92)]))
    write("posts/l1.csv", canonical([post(93) + ',"a note\non two lines"', post(94) + ",x"], header=CANONICAL_HEADER.replace("\n", ",note\n")))
    write("posts/l2.csv", canonical([post(95) + ",y"], header=CANONICAL_HEADER.replace("\n", ",note\n")))
    with_filename = CANONICAL_HEADER.replace("\n", ",filename\n")  # DuckDB's name for the file a record comes from
    write("posts/l3.csv", canonical([post(87) + ",a.csv"], header=with_filename))
    write("posts/l4.csv", canonical([post(88) + ",b.csv"], header=with_filename))
    write("posts/m1.csv", canonical([post(96), post(97, day="2027-01-01 12:00")]))  # after the run's date
    write("posts/m2.csv", canonical([post(98)]))
    write("posts/n1.csv", X_CONTENT_HEADER + x_content_row(1) + x_content_row(2))
    write("posts/n2.csv", X_CONTENT_HEADER + x_content_row(3))
    write("posts/o1.csv", canonical([post(99), post(99, likes=5)]))  # one post twice in a file, one handle
    write("posts/q1.csv", canonical([post(100)]))
    # An extra empty field, which DuckDB would drop: 1,234 split into likes 1 and comments 234.
    write("posts/q2.csv", canonical(["x,sanofi,101,2023-05-01 12:00,post,t,1,234,0,0,,,"]))
    write("posts/q3.csv", canonical([post(102)]))


def second_landing(landing: Landing) -> None:
    """Staging exists now (raw.changed_posts is kept); a re-export, a fix, a deletion, new files."""
    with duckdb.connect(str(landing.db)) as conn:
        conn.execute("create schema if not exists staging")
        conn.execute("create table if not exists staging.stg_landing__posts as select 1 as placeholder")
    landing.write("posts/c02.csv", canonical([post(n, day="2023-06-30 23:30", likes=9) for n in range(30, 41)]))
    landing.write("posts/e1.csv", canonical([post(72), post(73)]))
    (landing.dir / "posts/c04.csv").unlink()
    (landing.dir / "posts/c01.csv").unlink()  # h1.csv still holds its bytes
    landing.write("posts/f2.csv", canonical([post(82), post(81)]))
    # A re-export that gives post 93 to another handle: its own previous rows are not held against it.
    landing.write("posts/l1.csv", canonical([post(93, handle="roche") + ",fixed", post(94) + ",x"], header=CANONICAL_HEADER.replace("\n", ",note\n")))
    landing.write("posts/l2.csv", canonical([post(95, likes=4) + ",y"], header=CANONICAL_HEADER.replace("\n", ",note\n")))
    landing.write("posts/p1.csv", canonical([post(n, handle="roche") for n in range(200, 210)]))
    landing.write("posts/p2.csv", canonical([post(210, handle="roche", day="2024-02-29 12:00")]))
    landing.write("followers/b.csv", SNAPSHOT_HEADER + "x,sanofi,2023-04-01,120,\ninstagram,sanofifrance,15/06/2023,5,3\n")


def touch_every_file(landing: Landing) -> None:
    """New modification times, the same bytes: every file is inspected again and found loaded."""
    for path in landing.dir.rglob("*.csv"):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


STEPS = [
    (first_landing, "Europe/Paris"),
    (second_landing, "Europe/Paris"),
    (lambda landing: None, "America/New_York"),  # the same bytes, another zone: everything loads again, as in a new warehouse
    (touch_every_file, "America/New_York"),
]


def synchronised_steps(landing: Landing) -> list[tuple]:
    results = []
    for change, timezone in STEPS:
        change(landing)
        report = landing.sync(timezone)
        outcomes = [(o.path, o.file_hash, o.format, o.rows, o.status) for o in report.outcomes]
        rejections = [error.describe() for error in report.rejections]
        raw = {name: landing.query(sql) for name, sql in QUERIES.items()}
        results.append((outcomes, rejections, raw, report.removed_paths))
    return results


@pytest.fixture
def groups(monkeypatch) -> list[tuple[list[str], object]]:
    """Every group _load_small_files was given: its paths, and "loaded" or its answer (a file's index, or None)."""
    seen: list[tuple[list[str], object]] = []
    load = loader._load_small_files

    def recording(conn, group, layout, timezone, run_date):
        answer = load(conn, group, layout, timezone, run_date)
        seen.append(([member.entry.relative_path for member in group], "loaded" if isinstance(answer, dict) else answer))
        return answer

    monkeypatch.setattr(loader, "_load_small_files", recording)
    return seen


def test_small_files_load_together_exactly_what_they_load_one_at_a_time(tmp_path, monkeypatch, groups):
    results = {}
    for small_file_bytes in (0, loader.SMALL_FILE_BYTES):
        monkeypatch.setattr(loader, "SMALL_FILE_BYTES", small_file_bytes)
        (tmp_path / str(small_file_bytes)).mkdir()
        results[small_file_bytes] = synchronised_steps(Landing(tmp_path / str(small_file_bytes)))
        if not small_file_bytes:
            assert groups == []

    one_at_a_time, together = results[0], results[loader.SMALL_FILE_BYTES]
    for step, (expected, got) in enumerate(zip(one_at_a_time, together)):
        for name, rows in expected[2].items():
            assert got[2][name] == rows, f"step {step}: raw table {name}"
        assert got == expected, f"step {step}"

    outcomes, rejections, raw, _removed = one_at_a_time[0]
    assert [message.split(":")[0] for message in rejections] == [
        "posts/e1.csv, line 3, column 'likes'",
        "posts/f2.csv, line 3",
        "posts/g1.csv, line 3",
        "posts/m1.csv, line 3, column 'published_at'",
        "posts/q2.csv, line 2, column 'field 13'",
    ]
    assert ("posts/h1.csv", outcomes[[o[0] for o in outcomes].index("posts/c01.csv")][1], None, 0, "unchanged") in outcomes
    assert len(raw["changed_posts"]) == 0 and len(one_at_a_time[1][2]["changed_posts"]) > 0
    assert one_at_a_time[1][3] == ["posts/c01.csv", "posts/c04.csv"]
    assert [status for *_rest, status in one_at_a_time[3][0]].count("loaded") == 0

    # Groups loaded whole; groups cut before the first file holding something wrong, which is
    # taken alone by the file-by-file path, which then tells what is wrong; groups given back whole.
    assert groups[:16] == [
        (["followers/a.csv", "followers/b.csv"], "loaded"),
        (["posts/c01.csv", "posts/c02.csv", "posts/c03.csv", "posts/c04.csv", "posts/c05.csv", "posts/c06.csv",
          "posts/c07.csv"], "loaded"),  # line breaks in texts, CRLF, BOM, the header alone (c08.csv: `;`)
        (["posts/c09.csv", "posts/e0.csv", "posts/e1.csv", "posts/e2.csv"], 2),  # a bad value in e1.csv
        (["posts/c09.csv", "posts/e0.csv"], "loaded"),  # then e1.csv and e2.csv one by one
        (["posts/f1.csv", "posts/f2.csv", "posts/f3.csv"], 0),  # post 81 under two handles: from its first file on
        (["posts/f2.csv", "posts/f3.csv"], 0),  # f1.csv loaded: now f2.csv against raw.posts
        (["posts/g1.csv", "posts/g2.csv"], 0),  # post 5 under another handle in raw.posts
        (["posts/i1.csv", "posts/i2.csv"], "loaded"),  # i3.csv says favorites: another header
        (["posts/j1.csv", "posts/j2.csv", "posts/j3.csv", "posts/j4.csv"], "loaded"),  # UTF-8, UTF-16, Windows-1252
        (["posts/k1.csv", "posts/k2.csv"], None),  # k1.csv's mixed line ends need a copy: DuckDB refuses the group
        (["posts/l1.csv", "posts/l2.csv"], "loaded"),  # a line break in a column the format does not read
        (["posts/l3.csv", "posts/l4.csv"], "loaded"),  # a column named filename
        (["posts/m1.csv", "posts/m2.csv"], 0),  # a date after the run's date
        (["posts/n1.csv", "posts/n2.csv"], "loaded"),
        (["posts/o1.csv", "posts/q1.csv", "posts/q2.csv", "posts/q3.csv"], 2),  # a record with an extra empty field
        (["posts/o1.csv", "posts/q1.csv"], "loaded"),
    ]
    assert groups[16:18] == [
        (["posts/l1.csv", "posts/l2.csv"], "loaded"),  # re-exported; post 93 now under another handle
        (["posts/p1.csv", "posts/p2.csv"], "loaded"),
    ]
    # Another timezone: every file is read again from empty raw tables, in groups as on a first load
    # (the second landing's files: c01.csv and c04.csv deleted, f2.csv rewritten, p*.csv added). A group
    # cut short is cut where the first sync cut it, or file by file (g1.csv, then h1.csv).
    assert groups[18:] == [
        (["followers/a.csv", "followers/b.csv"], "loaded"),
        (["posts/c02.csv", "posts/c03.csv", "posts/c05.csv", "posts/c06.csv", "posts/c07.csv"], "loaded"),
        (["posts/c09.csv", "posts/e0.csv", "posts/e1.csv", "posts/e2.csv"], "loaded"),
        (["posts/f1.csv", "posts/f2.csv", "posts/f3.csv"], "loaded"),
        (["posts/g1.csv", "posts/g2.csv", "posts/h1.csv", "posts/h2.csv"], 0),
        (["posts/g2.csv", "posts/h1.csv", "posts/h2.csv"], 1),
        (["posts/i1.csv", "posts/i2.csv"], "loaded"),
        (["posts/j1.csv", "posts/j2.csv", "posts/j3.csv", "posts/j4.csv"], "loaded"),
        (["posts/k1.csv", "posts/k2.csv"], None),
        (["posts/l1.csv", "posts/l2.csv"], "loaded"),
        (["posts/l3.csv", "posts/l4.csv"], "loaded"),
        (["posts/m1.csv", "posts/m2.csv"], 0),
        (["posts/n1.csv", "posts/n2.csv"], "loaded"),
        (["posts/o1.csv", "posts/p1.csv", "posts/p2.csv", "posts/q1.csv", "posts/q2.csv", "posts/q3.csv"], 4),
        (["posts/o1.csv", "posts/p1.csv", "posts/p2.csv", "posts/q1.csv"], "loaded"),
    ]


def test_a_group_is_at_most_small_files_at_once_and_only_small_files(tmp_path, monkeypatch, groups):
    monkeypatch.setattr(loader, "SMALL_FILES_AT_ONCE", 3)
    landing = Landing(tmp_path)
    for number in range(7):
        landing.write(f"posts/a{number}.csv", canonical([post(number * 10 + offset) for offset in range(5)]))
    big = landing.write("posts/b.csv", canonical([post(1000 + offset) for offset in range(5)]))
    monkeypatch.setattr(loader, "SMALL_FILE_BYTES", big.stat().st_size - 1)  # b.csv is one byte too big
    landing.write("posts/c.csv", canonical([post(2000)]))
    landing.write("posts/d.csv", canonical([post(3000)]))
    report = landing.sync()
    assert report.rejections == []
    assert groups == [
        (["posts/a0.csv", "posts/a1.csv", "posts/a2.csv"], "loaded"),
        (["posts/a3.csv", "posts/a4.csv", "posts/a5.csv"], "loaded"),
        (["posts/c.csv", "posts/d.csv"], "loaded"),
    ]  # a6.csv, alone before the big file, and b.csv load on their own
    assert landing.query("select count(*), count(distinct file_path) from raw.posts") == [(42, 10)]
