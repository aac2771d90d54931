"""fct_account_quarter in plain pandas, as an analyst would write it instead of the pipeline.

    python benchmarks/pandas_pipeline.py --landing DIR --out result.duckdb [--from 2022-Q1 --to 2023-Q4]

Idiomatic pandas, nothing exotic: `read_csv` per file (every column as text,
only the columns needed), vectorised string and date parsing, `concat`,
`sort_values` + `drop_duplicates` for the choice among observations,
`groupby`, `merge_asof` for the follower counts. Same rules as the pipeline
(METRICS.md, LANDING.md sections 1 to 4). The result is written to `--out`
(a DuckDB file, used only as a container: pandas has no parquet writer here
without pyarrow) and one JSON line with the timings goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from landing import LandingFile, sniff_landing  # noqa: E402

SNOWFLAKE_EPOCH_MS = 1288834974657
X_COUNTED = {"post", "reply", "quote"}
INSTAGRAM_COUNTED = {"image", "carousel", "video", "reel"}
THOUSANDS = r"[,\s\u00a0\u202f]"

# The columns each layout needs, by their lowercase names (landing.py renames the old ones).
NEEDED = {
    "x_tweet_activity": ["tweet id", "tweet permalink", "tweet text", "time", "impressions", "retweets", "replies", "likes"],
    "x_content": ["post id", "post link", "post text", "impressions", "likes", "replies", "reposts"],
    "instagram_posts": ["post id", "account username", "publish time", "post type", "likes", "comments", "views"],
    "canonical_posts": ["platform", "handle", "post_id", "published_at", "post_type", "likes", "comments", "reposts", "quotes", "impressions"],
    "follower_snapshots": ["platform", "handle", "date", "followers", "following"],
    "accounts": ["panel", "platform", "handle", "company", "display_name", "account_type", "member_from", "member_to"],
}


def read_landing_csv(landing_file: LandingFile) -> pd.DataFrame:
    """One file, every needed column as text; Windows-1252 when it is not UTF-8."""
    wanted = [name for name in NEEDED[landing_file.format] if name in landing_file.columns]
    options = dict(
        sep=landing_file.delimiter,
        header=0,
        names=list(landing_file.columns),
        usecols=wanted,
        dtype=str,
        keep_default_na=False,
        quotechar='"',
        doublequote=True,
    )
    if landing_file.encoding == "utf-16":
        return pd.read_csv(landing_file.path, encoding="utf-16", **options)
    try:
        return pd.read_csv(landing_file.path, encoding="utf-8-sig", **options)
    except UnicodeDecodeError:
        return pd.read_csv(landing_file.path, encoding="cp1252", **options)


def to_count(values: pd.Series) -> pd.Series:
    """`1777.0`, `15,000`, `15 000` -> 1777, 15000; empty -> NA."""
    cleaned = values.str.strip().str.replace(THOUSANDS, "", regex=True).str.replace(r"\.0*$", "", regex=True)
    return pd.to_numeric(cleaned.replace("", np.nan)).astype("Int64")


def local_day(values: pd.Series, timezone: str, month_first: bool = False) -> pd.Series:
    """The local date of each publish time: ISO with or without offset, `... +0000`, or a slashed local date."""
    values = values.str.strip()
    days = pd.Series(pd.NaT, index=values.index, dtype="datetime64[s]")
    slashed = values.str.contains("/", regex=False)
    with_offset = ~slashed & values.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
    local = ~slashed & ~with_offset
    if slashed.any():
        formats = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M") if month_first else ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M")
        parsed = pd.to_datetime(values[slashed], format=formats[0], errors="coerce")
        parsed = parsed.fillna(pd.to_datetime(values[slashed], format=formats[1], errors="coerce"))
        days[slashed] = parsed.dt.floor("D")
    if with_offset.any():
        spaced = values[with_offset].str.replace(r" ([+-]\d{4})$", r"\1", regex=True)
        instants = pd.to_datetime(spaced, format="ISO8601", utc=True)
        days[with_offset] = instants.dt.tz_convert(timezone).dt.tz_localize(None).dt.floor("D")
    if local.any():
        days[local] = pd.to_datetime(values[local], format="ISO8601").dt.floor("D")
    return days


def x_is_counted(texts: pd.Series) -> pd.Series:
    return ~texts.str.startswith("RT @")


def handle_of_permalink(links: pd.Series) -> pd.Series:
    return links.str.strip().str.split("/").str[3].str.lower()


def clean_handle(handles: pd.Series) -> pd.Series:
    return handles.str.strip().str.lstrip("@").str.lower()


def observations(landing_file: LandingFile, frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """One row per observation of a post in the columns the figures need."""
    fmt = landing_file.format
    if fmt == "x_tweet_activity":
        out = pd.DataFrame({
            "platform": "x",
            "post_id": frame["tweet id"].str.strip(),
            "handle": handle_of_permalink(frame["tweet permalink"]),
            "published_date": local_day(frame["time"], timezone),
            "is_counted": x_is_counted(frame["tweet text"]),
            "likes": to_count(frame["likes"]),
            "comments": to_count(frame["replies"]),
            "reposts": to_count(frame["retweets"]),
            "quotes": 0,
            "impressions": to_count(frame["impressions"]),
        })
    elif fmt == "x_content":
        ids = frame["post id"].str.strip()
        milliseconds = np.right_shift(ids.astype("int64").to_numpy(), 22) + SNOWFLAKE_EPOCH_MS
        instants = pd.Series(pd.to_datetime(milliseconds, unit="ms", utc=True), index=ids.index)
        out = pd.DataFrame({
            "platform": "x",
            "post_id": ids,
            "handle": handle_of_permalink(frame["post link"]),
            "published_date": instants.dt.tz_convert(timezone).dt.tz_localize(None).dt.floor("D").astype("datetime64[s]"),
            "is_counted": x_is_counted(frame["post text"]),
            "likes": to_count(frame["likes"]),
            "comments": to_count(frame["replies"]),
            "reposts": to_count(frame["reposts"]),
            "quotes": 0,
            "impressions": to_count(frame["impressions"]),
        })
    elif fmt == "instagram_posts":
        out = pd.DataFrame({
            "platform": "instagram",
            "post_id": frame["post id"].str.strip(),
            "handle": clean_handle(frame["account username"]),
            "published_date": local_day(frame["publish time"], timezone, month_first=True),
            "is_counted": frame["post type"].str.strip().str.lower() != "ig story",
            "likes": to_count(frame["likes"]),
            "comments": to_count(frame["comments"]),
            "reposts": 0,
            "quotes": 0,
            "impressions": to_count(frame["views"]) if "views" in frame else pd.NA,
        })
    else:
        platform = frame["platform"].str.strip().str.lower()
        post_type = frame["post_type"].str.strip().str.lower()
        out = pd.DataFrame({
            "platform": platform,
            "post_id": frame["post_id"].str.strip(),
            "handle": clean_handle(frame["handle"]),
            "published_date": local_day(frame["published_at"], timezone),
            "is_counted": ((platform == "x") & post_type.isin(X_COUNTED)) | ((platform == "instagram") & post_type.isin(INSTAGRAM_COUNTED)),
            "likes": to_count(frame["likes"]),
            "comments": to_count(frame["comments"]),
            "reposts": to_count(frame["reposts"]),
            "quotes": to_count(frame["quotes"]),
            "impressions": to_count(frame["impressions"]) if "impressions" in frame else pd.NA,
        })
    for column in ("likes", "comments", "reposts", "quotes"):
        out[column] = out[column].fillna(0).astype("int64")
    out["impressions"] = out["impressions"].astype("Int64")
    out["file_path"] = landing_file.relative_path
    out["line"] = np.arange(len(out))
    return out


def parse_date(values: pd.Series) -> pd.Series:
    values = values.str.strip()
    iso = pd.to_datetime(values.where(~values.str.contains("/", regex=False)), format="%Y-%m-%d", errors="coerce")
    slashed = pd.to_datetime(values.where(values.str.contains("/", regex=False)), format="%d/%m/%Y", errors="coerce")
    return iso.fillna(slashed).astype("datetime64[s]")


def quarter_start(label: str) -> pd.Timestamp:
    year, quarter = label.split("-Q")
    return pd.Timestamp(int(year), (int(quarter) - 1) * 3 + 1, 1)


def fct_account_quarter(landing_dir: Path, first_quarter: str, last_quarter: str, timezone: str) -> tuple[pd.DataFrame, dict]:
    timings = {}
    started = time.perf_counter()
    files = sniff_landing(landing_dir)
    posts_parts, snapshot_parts, accounts = [], [], None
    for landing_file in files:
        frame = read_landing_csv(landing_file)
        if landing_file.format == "accounts":
            accounts = frame
        elif landing_file.format == "follower_snapshots":
            snapshot_parts.append(frame)
        else:
            posts_parts.append(observations(landing_file, frame, timezone))
    missing = [kind for kind, found in (("accounts", accounts is not None), ("posts", posts_parts), ("follower snapshots", snapshot_parts)) if not found]
    if missing:
        raise ValueError(f"the landing directory has no file of {', '.join(missing)}")
    posts = pd.concat(posts_parts, ignore_index=True)
    timings["read_s"] = time.perf_counter() - started

    started = time.perf_counter()
    accounts["platform"] = accounts["platform"].str.strip().str.lower()
    accounts["handle"] = clean_handle(accounts["handle"])
    for column in ("panel", "company", "display_name"):
        accounts[column] = accounts[column].str.strip()
    accounts["account_type"] = accounts["account_type"].str.strip().str.lower()
    accounts["member_from"] = parse_date(accounts["member_from"])
    accounts["member_to"] = parse_date(accounts["member_to"])
    accounts["line"] = np.arange(len(accounts))
    member_accounts = accounts[["platform", "handle"]].drop_duplicates()

    # LANDING.md section 4: one observation per post, the most reactions, then impressions, then last path.
    posts = posts.merge(member_accounts, on=["platform", "handle"], how="inner")
    posts["reactions"] = posts["likes"] + posts["comments"] + posts["reposts"] + posts["quotes"]
    posts["impressions_or_0"] = posts["impressions"].fillna(0)
    posts = posts.sort_values(["reactions", "impressions_or_0", "file_path", "line"], ascending=False)
    posts = posts.drop_duplicates(["platform", "post_id"], keep="first")
    timings["dedup_s"] = time.perf_counter() - started

    started = time.perf_counter()
    first_day = quarter_start(first_quarter)
    last_day = quarter_start(last_quarter) + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    counted = posts[posts["is_counted"] & posts["published_date"].between(first_day, last_day)]
    days = counted.groupby(["platform", "handle", "published_date"], as_index=False)[
        ["likes", "comments", "reposts", "quotes", "reactions"]
    ].sum()
    days["posts"] = counted.groupby(["platform", "handle", "published_date"]).size().to_numpy()

    snapshots = pd.concat(snapshot_parts, ignore_index=True)
    snapshots["platform"] = snapshots["platform"].str.strip().str.lower()
    snapshots["handle"] = clean_handle(snapshots["handle"])
    snapshots["snapshot_date"] = parse_date(snapshots["date"])
    snapshots["followers"] = to_count(snapshots["followers"])
    snapshots["following"] = to_count(snapshots["following"]) if "following" in snapshots else pd.NA
    snapshots = (
        snapshots.sort_values(["followers", "following"], ascending=False, na_position="last")
        .drop_duplicates(["platform", "handle", "snapshot_date"])
        .sort_values("snapshot_date")[["platform", "handle", "snapshot_date", "followers", "following"]]
    )

    days = pd.merge_asof(
        days.sort_values("published_date"), snapshots, left_on="published_date", right_on="snapshot_date",
        by=["platform", "handle"], direction="backward",
    )
    known = days["followers"].notna() & (days["followers"] > 0)
    days["day_rate"] = np.where(known, days["reactions"] / days["posts"] / days["followers"].astype("float64").where(known, 1.0), np.nan)
    days["period_start"] = days["published_date"].dt.to_period("Q").dt.start_time.astype("datetime64[s]")
    quarters_of_accounts = days.groupby(["platform", "handle", "period_start"], as_index=False).agg(
        posts=("posts", "sum"), likes=("likes", "sum"), comments=("comments", "sum"), reposts=("reposts", "sum"),
        quotes=("quotes", "sum"), reactions=("reactions", "sum"), post_interaction_rate=("day_rate", "mean"),
    )

    quarters = pd.DataFrame({"period_start": pd.date_range(quarter_start(first_quarter), quarter_start(last_quarter), freq="QS").astype("datetime64[s]")})
    quarters["period_end"] = (quarters["period_start"] + pd.offsets.QuarterEnd(0)).astype("datetime64[s]")
    members = quarters.merge(accounts, how="cross")
    members = members[
        (members["member_from"].isna() | (members["member_from"] <= members["period_end"]))
        & (members["member_to"].isna() | (members["member_to"] >= members["period_start"]))
    ]
    members = members.sort_values(["member_from", "line"], ascending=False, na_position="last").drop_duplicates(
        ["period_start", "panel", "handle"]
    )

    table = members.merge(quarters_of_accounts, on=["platform", "handle", "period_start"], how="left")
    for column in ("posts", "likes", "comments", "reposts", "quotes", "reactions"):
        table[column] = table[column].fillna(0).astype("int64")
    table["day_before"] = (table["period_start"] - pd.Timedelta(days=1)).astype("datetime64[s]")
    start = pd.merge_asof(
        table.sort_values("day_before"), snapshots, left_on="day_before", right_on="snapshot_date",
        by=["platform", "handle"], direction="backward",
    )[["period_start", "panel", "handle", "followers"]].rename(columns={"followers": "followers_start"})
    end = pd.merge_asof(
        table.sort_values("period_end"), snapshots, left_on="period_end", right_on="snapshot_date",
        by=["platform", "handle"], direction="backward",
    )[["period_start", "panel", "handle", "followers", "following"]].rename(
        columns={"followers": "followers_end", "following": "following_end"}
    )
    table = table.merge(start, on=["period_start", "panel", "handle"], how="left").merge(end, on=["period_start", "panel", "handle"], how="left")

    posts_or_nan = table["posts"].where(table["posts"] > 0).astype("float64")
    table["quarter"] = table["period_start"].dt.year.astype(str) + "-Q" + table["period_start"].dt.quarter.astype(str)
    table["likes_per_post"] = table["likes"] / posts_or_nan
    table["comments_per_post"] = table["comments"] / posts_or_nan
    table["reposts_per_post"] = table["reposts"] / posts_or_nan
    table["reactions_per_post"] = table["reactions"] / posts_or_nan
    table["posts_per_day"] = table["posts"] / ((table["period_end"] - table["period_start"]).dt.days + 1)
    start_known = table["followers_start"].astype("float64")
    growth_defined = (table["followers_start"] > 0).fillna(False) & table["followers_end"].notna()
    table["followers_growth_pct"] = (100 * (table["followers_end"].astype("float64") - start_known) / start_known).where(growth_defined)
    table["period_start"] = table["period_start"].dt.date
    table["period_end"] = table["period_end"].dt.date
    columns = [
        "quarter", "period_start", "period_end", "panel", "platform", "handle", "company", "display_name",
        "account_type", "posts", "likes", "comments", "reposts", "quotes", "reactions", "likes_per_post",
        "comments_per_post", "reposts_per_post", "reactions_per_post", "posts_per_day", "post_interaction_rate",
        "followers_start", "followers_end", "followers_growth_pct", "following_end",
    ]
    timings["metrics_s"] = time.perf_counter() - started
    result = table[columns].sort_values(["quarter", "panel", "handle"]).reset_index(drop=True)
    return result, {"files": len(files), "observations": int(len(posts_parts) and sum(len(p) for p in posts_parts)), "rows": len(result), **timings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="DuckDB file to write fct_account_quarter to")
    parser.add_argument("--from", dest="first", default="2022-Q1")
    parser.add_argument("--to", dest="last", default="2023-Q4")
    parser.add_argument("--timezone", default=os.environ.get("BTS_TIMEZONE") or "Europe/Paris")
    args = parser.parse_args(argv)
    if not args.landing.is_dir():
        parser.error(f"--landing {args.landing} is not a directory")
    started = time.perf_counter()
    try:
        result, info = fct_account_quarter(args.landing.resolve(), args.first, args.last, args.timezone)
    except ValueError as error:  # a landing directory it cannot read: said, not a traceback
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    if args.out:
        import duckdb  # only as a container for the comparison; imported after the work is done

        args.out.unlink(missing_ok=True)
        with duckdb.connect(str(args.out)) as conn:
            conn.register("result", result)
            conn.execute("create table fct_account_quarter as select * from result")
    info["total_s"] = time.perf_counter() - started
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
