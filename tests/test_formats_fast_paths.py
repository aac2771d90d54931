"""The typing shortcuts of `formats` give exactly what the general path gives.

Ingestion types most values through shortcuts (no trimming when there is
nothing to trim, a plain cast for plain counts). With `FAST_PATHS` off every
value goes the general way (trim, then the full patterns). Every field of
every landing format must give the same typed value, and the same validity,
both ways, for values built from the pieces exports are made of, blanks,
separators and near misses included.
"""

from __future__ import annotations

import random

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.ingestion import formats

PIECES = [
    "0", "1", "9", "12", "1777", ".0", ".", ".00", ",", "000", " ", "\u00a0", "\u202f", "\t", "\n", "-", "+",
    "2023-12-31", "T", "23:30", ":00", ":59.125", "+00:00", "Z", "+0200", " +0000", "31/12/2023", "12/31/2023",
    "1/2/2023", " 18:00", "1e3", "0x1", "@", "x", "instagram", "X", "IG image", "ig reel", "post", "Reply",
    "https://x.com/", "https://twitter.com/", "abc_1", "/status/", "12345678901234567890",
    "1477051942302646272", "é", "  ", "2021-11-30 16:00 +0000", "9999999999999999999", "15,000", "15 000",
    "1,5", "123456789012345678", "1234567890123456789.0",
]
WHOLE_VALUES = [
    None, "", "2023-12-31T23:30:00+00:00", "2023-12-31 23:30:00", "31/12/2023 23:30", "12/31/2023 18:00",
    " 15,000 ", "1777.0", "2021-11-30 16:00 +0000", "https://twitter.com/abc/status/123", "@Abc ", "IG Carousel",
    "\u00a012\u202f", "999999999999999999", "9223372036854775807", "9223372036854775808", "007", "7.",
]
# Every column name any format reads: each expression reads the one test column `a`.
COLUMNS = sorted({name for fmt in formats.ALL_FORMATS for name in (*fmt.signature, *fmt.required)} | {
    "permalink", "description", "views", "impressions", "following", "favorites",
})


def _expressions(fast: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    monkeypatch.setattr(formats, "FAST_PATHS", fast)
    columns = formats.likes_column({name: "a" for name in COLUMNS})
    built = []
    for fmt in formats.ALL_FORMATS:
        for field in fmt.fields:
            built.append((fmt.name, field.name, field.sql(columns)))
            if field.invalid_unless:
                built.append((fmt.name, f"{field.name} (validity)", field.invalid_unless(columns)))
    return built


def _mismatches(values: list[str | None], monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    fast, general = _expressions(True, monkeypatch), _expressions(False, monkeypatch)
    assert [name for *name, _sql in fast] == [name for *name, _sql in general]
    assert any(a != b for (*_n, a), (*_m, b) in zip(fast, general)), "FAST_PATHS changed nothing"
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    conn.execute("set variable bts_timezone = 'Europe/Paris'")
    conn.execute("create table v (i integer, a varchar)")
    conn.executemany("insert into v values (?, ?)", list(enumerate(values)))
    found = []
    for (fmt, field, shortcut), (_fmt, _field, reference) in zip(fast, general):
        rows = conn.execute(
            f"select a, s, r from (select a, ({shortcut}) as s, ({reference}) as r from v) where s is distinct from r limit 3"
        ).fetchall()
        found += [(fmt, field, *row) for row in rows]
    return found


def test_shortcuts_equal_the_general_path_on_built_values(monkeypatch):
    rnd = random.Random(20261126)
    values = WHOLE_VALUES + ["".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 5))) for _ in range(20_000)]
    assert _mismatches(values, monkeypatch) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from("0123456789 .,+-:/TZ@xé\u00a0\u202f\t"), max_size=30)), min_size=1, max_size=200))
def test_shortcuts_equal_the_general_path_on_any_values(values):
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _mismatches(values, monkeypatch) == []
