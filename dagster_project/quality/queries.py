"""The DataFrames the expectation suites judge, computed in DuckDB for the run's periods.

Every function returns a small DataFrame: one row per landing file, per
period and panel, or the rows of a mart for the run's periods (a few hundred
rows per quarter). The heavy lifting (scans of raw and staging posts, which
may hold millions of rows) stays in SQL; only aggregates reach pandas.

Reconciliations recompute a figure independently of the dbt models, from the
layer below, and put both side by side: `<figure>` (what the table holds) and
`expected_<figure>` or a named source column (what the layer below says).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from ..quarters import Quarter

# The metrics of the panel tables and the rankings (dbt macro panel_metrics, METRICS.md).
PANEL_METRICS = (
    "posts",
    "likes_per_post",
    "comments_per_post",
    "reposts_per_post",
    "reactions_per_post",
    "posts_per_day",
    "post_interaction_rate",
    "followers_end",
    "followers_growth_pct",
    "following_end",
)
RAW_TABLES = ("accounts", "posts", "follower_snapshots")
PERIOD_KINDS = ("quarter", "year")
MAX_LISTED_ROWS = 1000  # a listing of offending rows only needs its first few; the count is kept apart


@dataclasses.dataclass(frozen=True)
class RunPeriods:
    """The periods one run computes: its quarters, and the years they fall in (METRICS.md "Periods")."""

    quarters: tuple[Quarter, ...]
    run_date: dt.date
    timezone: str

    @property
    def first_day(self) -> dt.date:
        return self.quarters[0].start

    @property
    def last_day(self) -> dt.date:
        return self.quarters[-1].end

    @property
    def quarter_labels(self) -> list[str]:
        return [quarter.label for quarter in self.quarters]

    @property
    def years(self) -> list[int]:
        return sorted({quarter.year for quarter in self.quarters})

    def year_end(self, year: int) -> dt.date:
        """The last day of a year's period: the current year stops at its last complete quarter."""
        last_complete = Quarter.containing(self.run_date).previous()
        return min(dt.date(year, 12, 31), last_complete.end)

    def quarter_instants(self) -> dict[str, object]:
        """Query parameters for the run's quarters as instants: each quarter's first moment and the next one's, in the reporting timezone."""
        zone = ZoneInfo(self.timezone)

        def first_moment(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(0), tzinfo=zone)

        starts = [first_moment(quarter.start) for quarter in self.quarters]
        ends = [first_moment(quarter.next().start) for quarter in self.quarters]
        return {
            "period_labels": self.quarter_labels,
            "period_numbers": [quarter.year * 10 + quarter.number for quarter in self.quarters],
            "period_starts_at": starts,
            "period_ends_at": ends,
            "run_starts_at": starts[0],
            "run_ends_at": ends[-1],
        }

    def bounds(self, kind: str) -> dict[str, list]:
        """Query parameters `period_labels`, `period_starts`, `period_ends` for quarters or years.

        The queries of one kind of period name their mart after `kind` (`marts.fct_account_quarter`):
        every one of them asks for these parameters, so any other kind stops here.
        """
        if kind not in PERIOD_KINDS:
            raise ValueError(f"not a kind of period: {kind!r} (expected one of {', '.join(PERIOD_KINDS)})")
        if kind == "quarter":
            return {
                "period_labels": self.quarter_labels,
                "period_starts": [quarter.start for quarter in self.quarters],
                "period_ends": [quarter.end for quarter in self.quarters],
            }
        return {
            "period_labels": [str(year) for year in self.years],
            "period_starts": [dt.date(year, 1, 1) for year in self.years],
            "period_ends": [self.year_end(year) for year in self.years],
        }


def _query(conn: duckdb.DuckDBPyConnection, sql: str, parameters: dict | None = None) -> pd.DataFrame:
    """The query's result as a DataFrame; of the parameters, only those the SQL names are bound (DuckDB rejects others)."""
    named = set(re.findall(r"\$(\w+)", sql))
    return conn.execute(sql, {name: value for name, value in (parameters or {}).items() if name in named}).df()


_RUN_PERIODS_CTE = """
run_periods as (
    select
        unnest($period_labels) as period,
        unnest($period_starts) as period_start,
        unnest($period_ends) as period_end
)"""


# The run's quarters with their number (20234) and their first and next-first instants:
# raw posts carry only an instant, and comparing instants spares a timezone conversion per row.
_RUN_QUARTERS_CTE = """
run_periods as (
    select
        unnest($period_labels) as period,
        unnest($period_numbers) as period_number,
        unnest($period_starts_at) as period_starts_at,
        unnest($period_ends_at) as period_ends_at
)"""


def _period_select(kind: str) -> str:
    """The period column of a mart as text, so quarters (`2023-Q4`) and years (`2023`) compare alike."""
    return "quarter" if kind == "quarter" else "cast(year as varchar)"


def _label_of(date_expression: str) -> str:
    return f"cast(year({date_expression}) as varchar) || '-Q' || cast(quarter({date_expression}) as varchar)"


# --- raw -------------------------------------------------------------------------------------


def landing_rows_by_file(conn: duckdb.DuckDBPyConnection, raw_table: str) -> pd.DataFrame:
    """One row per landing file of `raw_table`: `rows_read` at load time and `raw_rows` carrying its hash now.

    Raw rows whose hash no landing file claims show up with rows_read 0.
    """
    if raw_table not in RAW_TABLES:
        raise ValueError(f"not a raw table: {raw_table!r}")
    return _query(
        conn,
        f"""
        with
        loaded as (
            select file_hash, min(file_path) as file_path, count(*) as raw_rows
            from raw.{raw_table}
            group by file_hash
        ),
        files as (
            select file_hash, first_path, format, rows_read
            from raw.landing_files
            where raw_table = $raw_table
        )
        select
            coalesce(files.first_path, loaded.file_path) as file_path,
            coalesce(files.format, 'no landing file') as format,
            left(coalesce(files.file_hash, loaded.file_hash), 12) as file_hash,
            coalesce(files.rows_read, 0) as rows_read,
            coalesce(loaded.raw_rows, 0) as raw_rows
        from files
        full outer join loaded on loaded.file_hash = files.file_hash
        order by file_path
        """,
        {"raw_table": raw_table},
    )


def follower_snapshot_conflicts(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per pair of snapshots of the same (platform, handle, date) with different numbers, both lines named.

    An empty `following` beside a known one is not a conflict: it is only
    missing (LANDING.md section 3: `following` may be empty).
    """
    return _query(
        conn,
        f"""
        with
        snapshots as (
            select platform, handle, snapshot_date, followers, following, file_path, line_number
            from raw.follower_snapshots
        ),
        conflicting_days as (
            select platform, handle, snapshot_date
            from snapshots
            group by platform, handle, snapshot_date
            having count(distinct followers) > 1 or count(distinct following) > 1
        ),
        candidates as (
            select snapshots.*
            from snapshots
            inner join conflicting_days using (platform, handle, snapshot_date)
        ),
        pairs as (
            select
                first.platform,
                first.handle,
                first.snapshot_date,
                first.file_path,
                first.line_number,
                first.followers,
                first.following,
                second.file_path as other_file_path,
                second.line_number as other_line_number,
                second.followers as other_followers,
                second.following as other_following,
                row_number() over (
                    partition by first.platform, first.handle, first.snapshot_date, second.file_path, second.line_number
                    order by first.file_path, first.line_number
                ) as pair_of_second
            from candidates as first
            inner join candidates as second
                on first.platform = second.platform
                and first.handle = second.handle
                and first.snapshot_date = second.snapshot_date
                and (first.file_path, first.line_number) < (second.file_path, second.line_number)
                and (
                    first.followers is distinct from second.followers
                    or (first.following is not null and second.following is not null and first.following <> second.following)
                )
        )
        -- each conflicting line once, against the first line it contradicts
        select * exclude (pair_of_second)
        from pairs
        where pair_of_second = 1
        order by platform, handle, snapshot_date, file_path, line_number, other_file_path, other_line_number
        limit {MAX_LISTED_ROWS}
        """,
    )


# Raw observations inside and outside the run's quarters (parameters of `RunPeriods.quarter_instants`).
_IN_RUN = "(published_at >= $run_starts_at and published_at < $run_ends_at)"
_OUTSIDE_RUN = "(published_at < $run_starts_at or published_at >= $run_ends_at)"


def landing_files_posts_in_run(conn: duckdb.DuckDBPyConnection, periods: RunPeriods) -> pd.DataFrame:
    """One row per post export: how many of its rows were published in the run's quarters (reporting timezone)."""
    return _query(
        conn,
        f"""
        with
        run_posts as (
            select file_hash, count(*) as posts_in_run_quarters
            from raw.posts
            where {_IN_RUN}
            group by file_hash
        )
        select
            files.first_path as file_path,
            files.format,
            files.rows_read,
            coalesce(run_posts.posts_in_run_quarters, 0) as posts_in_run_quarters
        from raw.landing_files as files
        left join run_posts on run_posts.file_hash = files.file_hash
        where files.raw_table = 'posts'
        order by file_path
        """,
        periods.quarter_instants(),
    )


# --- staging ---------------------------------------------------------------------------------

# Staging posts of the run's quarters, grouped by the integers of their quarter: building
# the `YYYY-Qn` label for each of millions of rows costs more than the grouping itself.
_STAGING_QUARTER = "year(published_date) * 10 + quarter(published_date)"


def staging_posts_against_raw(conn: duckdb.DuckDBPyConnection, periods: RunPeriods) -> pd.DataFrame:
    """One row per run quarter: `staging_posts` (rows of stg_landing__posts) and `distinct_raw_posts` ((platform, post_id) in raw).

    Every post observed in the run's quarters counts once. A post observed
    once, and nowhere else, counts in the quarter of that observation. One
    observed several times, or also outside the run's quarters, may have
    observations in different quarters (an export writing UTC times without
    an offset, read as local time): it counts in the quarter of the
    observation staging kept (LANDING.md section 4 chooses it; this check
    does not choose again), or of its earliest observation when staging lost
    it, which the check then shows.
    """
    instants = periods.quarter_instants()
    in_run, outside = conn.execute(
        f"""
        select count(*) filter (where {_IN_RUN}), count(*) filter (where {_OUTSIDE_RUN})
        from raw.posts
        """,
        {"run_starts_at": instants["run_starts_at"], "run_ends_at": instants["run_ends_at"]},
    ).fetchone()
    # The posts seen on both sides of the run's bounds: DuckDB builds the hash table of a semi
    # join on the `in (...)` side whatever the sizes, so that side is the smaller one (the
    # observations outside, none in a run of every quarter; those inside, in a one-quarter run).
    probed, built = ("raw_observations", "outside_observations") if outside <= in_run else ("outside_observations", "raw_observations")
    return _query(
        conn,
        f"""
        with
        {_RUN_QUARTERS_CTE},
        -- not materialized: each use reads the two columns it needs, straight from the table
        raw_observations as not materialized (
            -- keys taken by their 64-bit hash first: an integer sorts and compares faster than two texts
            select hash(platform, post_id) as key_hash, published_at
            from raw.posts
            where {_IN_RUN}
        ),
        outside_observations as not materialized (
            select hash(platform, post_id) as key_hash
            from raw.posts
            where {_OUTSIDE_RUN}
        ),
        repeated_hashes as (
            -- observed more than once (in several files, or, rarely, different keys of one hash):
            -- found by sorting the hashes, not grouping them, which with every key distinct
            -- would hold one hash-table entry per observation
            select key_hash
            from raw_observations
            qualify key_hash = lag(key_hash) over (order by key_hash)
        ),
        observed_outside as (
            -- posts of the run's quarters also observed outside them
            select distinct key_hash from {probed} where key_hash in (select key_hash from {built})
        ),
        unsettled_hashes as (
            -- observed more than once, or also outside the run's quarters
            select key_hash from repeated_hashes
            union
            select key_hash from observed_outside
        ),
        unsettled_keys as (
            select platform, post_id, min(published_at) as published_at
            from raw.posts
            where {_IN_RUN} and hash(platform, post_id) in (select key_hash from unsettled_hashes)
            group by platform, post_id
        ),
        kept as (
            select staging.platform, staging.post_id, min(staging.published_at) as published_at
            from staging.stg_landing__posts as staging
            inner join unsettled_keys using (platform, post_id)
            group by staging.platform, staging.post_id
        ),
        raw_keys as (
            -- an observation of a settled hash is its post's only one
            select published_at
            from raw_observations
            where key_hash not in (select key_hash from unsettled_hashes)
            union all
            select coalesce(kept.published_at, unsettled_keys.published_at) as published_at
            from unsettled_keys
            left join kept using (platform, post_id)
        ),
        raw_by_quarter as (
            select run_periods.period as quarter, count(*) as distinct_raw_posts
            from raw_keys
            inner join run_periods
                on raw_keys.published_at >= run_periods.period_starts_at
                and raw_keys.published_at < run_periods.period_ends_at
            group by run_periods.period
        ),
        staging_by_quarter as (
            select {_STAGING_QUARTER} as quarter_number, count(*) as staging_posts
            from staging.stg_landing__posts
            where published_date between $first_day and $last_day
            group by quarter_number
        )
        select
            run_periods.period as quarter,
            coalesce(staging_by_quarter.staging_posts, 0) as staging_posts,
            coalesce(raw_by_quarter.distinct_raw_posts, 0) as distinct_raw_posts
        from run_periods
        left join staging_by_quarter on staging_by_quarter.quarter_number = run_periods.period_number
        left join raw_by_quarter on raw_by_quarter.quarter = run_periods.period
        order by quarter
        """,
        {**instants, "first_day": periods.first_day, "last_day": periods.last_day},
    )


def staging_posts_violations(conn: duckdb.DuckDBPyConnection, periods: RunPeriods) -> pd.DataFrame:
    """One row per run quarter: staging posts, and how many break a rule (null key, duplicate key, negative count), with the first one."""
    return _query(
        conn,
        f"""
        with
        {_RUN_QUARTERS_CTE},
        -- not materialized: each use reads only the columns it needs, straight from the table
        run_posts as not materialized (
            select
                {_STAGING_QUARTER} as quarter_number,
                platform,
                post_id,
                file_path,
                line_number,
                platform is null or post_id is null or handle is null as has_null_key,
                least(likes, comments, reposts, quotes, reactions, coalesce(impressions, 0)) < 0
                    or likes is null or comments is null or reposts is null or quotes is null or reactions is null
                    as has_bad_count
            from staging.stg_landing__posts
            where published_date between $first_day and $last_day
        ),
        rules_by_quarter as (
            select
                quarter_number,
                count(*) as posts,
                count(*) filter (where has_null_key) as null_keys,
                count(*) filter (where has_bad_count) as negative_or_missing_counts
            from run_posts
            group by quarter_number
        ),
        first_broken as (
            -- only the few broken rows get a text
            select quarter_number, min(file_path || ' line ' || line_number) as first_broken_row
            from run_posts
            where has_null_key or has_bad_count
            group by quarter_number
        ),
        repeated_hashes as (
            -- keys taken by their 64-bit hash first: an integer sorts faster than two texts;
            -- a hash seen twice is a duplicated key or (rarely) a collision, told apart below.
            -- Found by sorting the hashes, not grouping them: with every key distinct, a group by
            -- holds one hash-table entry per post
            select key_hash
            from (select hash(platform, post_id) as key_hash from run_posts where not has_null_key)
            qualify key_hash = lag(key_hash) over (order by key_hash)
        ),
        duplicated_keys as (
            -- grouped by the key itself, only the rows of a repeated hash (none when no key repeats)
            select platform, post_id, min(quarter_number) as quarter_number, count(*) - 1 as extra_rows
            from run_posts
            where not has_null_key and hash(platform, post_id) in (select key_hash from repeated_hashes)
            group by platform, post_id
            having count(*) > 1
        ),
        duplicates_by_quarter as (
            select
                quarter_number,
                cast(sum(extra_rows) as bigint) as duplicate_keys,
                min(platform || ' post ' || post_id) as first_duplicate
            from duplicated_keys
            group by quarter_number
        )
        select
            run_periods.period as quarter,
            coalesce(rules_by_quarter.posts, 0) as posts,
            coalesce(rules_by_quarter.null_keys, 0) as null_keys,
            coalesce(duplicates_by_quarter.duplicate_keys, 0) as duplicate_keys,
            coalesce(rules_by_quarter.negative_or_missing_counts, 0) as negative_or_missing_counts,
            coalesce(first_broken.first_broken_row, duplicates_by_quarter.first_duplicate) as first_offending_post
        from run_periods
        left join rules_by_quarter on rules_by_quarter.quarter_number = run_periods.period_number
        left join first_broken on first_broken.quarter_number = run_periods.period_number
        left join duplicates_by_quarter on duplicates_by_quarter.quarter_number = run_periods.period_number
        order by quarter
        """,
        {**periods.quarter_instants(), "first_day": periods.first_day, "last_day": periods.last_day},
    )


# --- marts: accounts -------------------------------------------------------------------------


_MEMBERS_CTE = """
members as (
    -- LANDING.md section 1: a member for the period when member_from <= end and (member_to empty or >= start)
    select distinct
        run_periods.period,
        run_periods.period_start,
        run_periods.period_end,
        accounts.panel,
        accounts.platform,
        accounts.handle
    from run_periods
    inner join staging.stg_landing__accounts as accounts
        on (accounts.member_from is null or accounts.member_from <= run_periods.period_end)
        and (accounts.member_to is null or accounts.member_to >= run_periods.period_start)
)"""


def account_rows_against_members(conn: duckdb.DuckDBPyConnection, periods: RunPeriods, kind: str) -> pd.DataFrame:
    """One row per run period and panel: `account_rows` in fct_account_<kind> and `members` per accounts.csv."""
    period = kind
    return _query(
        conn,
        f"""
        with
        {_RUN_PERIODS_CTE},
        {_MEMBERS_CTE},
        members_by_panel as (
            select period, panel, count(*) as members
            from members
            group by period, panel
        ),
        facts_by_panel as (
            select {_period_select(kind)} as period, panel, count(*) as account_rows
            from marts.fct_account_{kind}
            where {_period_select(kind)} in (select period from run_periods)
            group by all
        )
        select
            coalesce(facts_by_panel.period, members_by_panel.period) as {period},
            coalesce(facts_by_panel.panel, members_by_panel.panel) as panel,
            coalesce(facts_by_panel.account_rows, 0) as account_rows,
            coalesce(members_by_panel.members, 0) as members
        from facts_by_panel
        full outer join members_by_panel
            on members_by_panel.period = facts_by_panel.period and members_by_panel.panel = facts_by_panel.panel
        order by 1, 2
        """,
        periods.bounds(kind),
    )


def account_posts_against_staging(conn: duckdb.DuckDBPyConnection, periods: RunPeriods) -> pd.DataFrame:
    """One row per run quarter and panel: Σ `posts` in fct_account_quarter and the counted staging posts of its members."""
    return _query(
        conn,
        f"""
        with
        {_RUN_PERIODS_CTE},
        {_MEMBERS_CTE},
        posts_by_day as (
            -- counted first per account and day, so the join below sees thousands of rows, not millions
            select platform, handle, published_date, count(*) as posts
            from staging.stg_landing__posts
            where is_counted and published_date between $first_day and $last_day
            group by platform, handle, published_date
        ),
        counted_by_panel as (
            select
                members.period,
                members.panel,
                cast(coalesce(sum(posts_by_day.posts), 0) as bigint) as counted_staging_posts
            from members
            left join posts_by_day
                on posts_by_day.platform = members.platform
                and posts_by_day.handle = members.handle
                and posts_by_day.published_date between members.period_start and members.period_end
            group by members.period, members.panel
        ),
        facts_by_panel as (
            select quarter as period, panel, cast(sum(posts) as bigint) as posts
            from marts.fct_account_quarter
            where quarter in (select period from run_periods)
            group by all
        )
        select
            coalesce(facts_by_panel.period, counted_by_panel.period) as quarter,
            coalesce(facts_by_panel.panel, counted_by_panel.panel) as panel,
            coalesce(facts_by_panel.posts, 0) as posts,
            coalesce(counted_by_panel.counted_staging_posts, 0) as counted_staging_posts
        from facts_by_panel
        full outer join counted_by_panel
            on counted_by_panel.period = facts_by_panel.period and counted_by_panel.panel = facts_by_panel.panel
        order by 1, 2
        """,
        {**periods.bounds("quarter"), "first_day": periods.first_day, "last_day": periods.last_day},
    )


def year_posts_against_quarters(conn: duckdb.DuckDBPyConnection, periods: RunPeriods) -> pd.DataFrame:
    """One row per member of fct_account_year in the run's years: `posts` and `expected_posts`, with where the latter comes from.

    Σ of the member's quarters when this run computed every quarter of the
    year's period (so none is stale from an older run, and the member was in
    the panel all along); else the member's counted staging posts of the year's period.
    """
    return _query(
        conn,
        """
        with
        years as (
            select year, period_start, period_end, panel, platform, handle, posts
            from marts.fct_account_year
            where cast(year as varchar) in (select unnest($period_labels))
        ),
        quarters_of_years as (
            select
                years.year,
                years.panel,
                years.handle,
                count(quarters.quarter) as quarter_rows,
                cast(coalesce(sum(quarters.posts), 0) as bigint) as quarter_posts,
                coalesce(bool_and(list_contains($run_quarters, quarters.quarter)), false) as all_computed_now
            from years
            left join marts.fct_account_quarter as quarters
                on quarters.panel = years.panel
                and quarters.platform = years.platform
                and quarters.handle = years.handle
                and quarters.period_start >= years.period_start
                and quarters.period_end <= years.period_end
            group by years.year, years.panel, years.handle
        ),
        judged as (
            select
                years.*,
                quarters_of_years.quarter_rows = quarter(years.period_end) - quarter(years.period_start) + 1
                    and quarters_of_years.all_computed_now as from_quarters,
                quarters_of_years.quarter_posts
            from years
            inner join quarters_of_years using (year, panel, handle)
        ),
        from_staging as (
            select * from judged where from_quarters is not true
        ),
        staging_days as (
            -- staging is read only for the members whose year is not the sum of this run's quarters
            -- (none in a run of whole years), counted per account and day before the join
            select posts.platform, posts.handle, posts.published_date, count(*) as posts
            from staging.stg_landing__posts as posts
            where posts.is_counted
                and posts.published_date between $years_start and $years_end
                and (posts.platform, posts.handle) in (select platform, handle from from_staging)
            group by posts.platform, posts.handle, posts.published_date
        ),
        staging_counts as (
            select
                from_staging.year,
                from_staging.panel,
                from_staging.handle,
                cast(coalesce(sum(staging_days.posts), 0) as bigint) as staging_posts
            from from_staging
            left join staging_days
                on staging_days.platform = from_staging.platform
                and staging_days.handle = from_staging.handle
                and staging_days.published_date between from_staging.period_start and from_staging.period_end
            group by from_staging.year, from_staging.panel, from_staging.handle
        ),
        compared as (
            select
                judged.year,
                judged.panel,
                judged.handle,
                judged.posts,
                judged.from_quarters,
                judged.quarter_posts,
                staging_counts.staging_posts
            from judged
            left join staging_counts using (year, panel, handle)
        )
        select
            cast(year as varchar) as year,
            panel,
            handle,
            posts,
            case when from_quarters then quarter_posts else staging_posts end as expected_posts,
            case when from_quarters then 'sum of its quarters' else 'counted staging posts' end as expected_from
        from compared
        order by year, panel, handle
        """,
        {
            **periods.bounds("year"),
            "run_quarters": periods.quarter_labels,
            "years_start": dt.date(periods.years[0], 1, 1),
            "years_end": dt.date(periods.years[-1], 12, 31),
        },
    )


def account_rows(conn: duckdb.DuckDBPyConnection, periods: RunPeriods, kind: str) -> pd.DataFrame:
    """The rows of fct_account_<kind> for the run's periods, with `accounts_csv_line`: the member's line in accounts.csv (NULL if none)."""
    return _query(
        conn,
        f"""
        with
        {_RUN_PERIODS_CTE},
        accounts_lines as (
            select panel, platform, handle, min(line_number) as accounts_csv_line
            from raw.accounts
            group by all
        )
        select
            {_period_select(kind)} as {kind},
            facts.* exclude ({kind}),
            accounts_lines.accounts_csv_line
        from marts.fct_account_{kind} as facts
        left join accounts_lines using (panel, platform, handle)
        where {_period_select(kind)} in (select period from run_periods)
        order by 1, panel, handle
        """,
        periods.bounds(kind),
    )


# --- marts: panels and rankings --------------------------------------------------------------


def _account_values_cte(kind: str) -> str:
    """`account_values`: one row per (period, panel, metric, handle) whose value is not NULL (UNPIVOT drops NULLs)."""
    casts = ",\n                ".join(f"cast({metric} as double) as {metric}" for metric in PANEL_METRICS)
    return f"""
        account_values as (
            unpivot (
                select {_period_select(kind)} as period, panel, handle,
                {casts}
                from marts.fct_account_{kind}
                where {_period_select(kind)} in (select period from run_periods)
            )
            on {", ".join(PANEL_METRICS)}
            into name metric value value
        ),
        values_by_metric as (
            select period, panel, metric, count(*) as account_values
            from account_values
            group by all
        )"""


def ranked_rows_against_account_values(conn: duckdb.DuckDBPyConnection, periods: RunPeriods, kind: str) -> pd.DataFrame:
    """One row per run period, panel and metric: `ranked_rows` in rank_account_<kind> and non-NULL `account_values` in fct_account_<kind>."""
    return _query(
        conn,
        f"""
        with
        {_RUN_PERIODS_CTE},
        {_account_values_cte(kind)},
        ranked_by_metric as (
            select {_period_select(kind)} as period, panel, metric, count(*) as ranked_rows
            from marts.rank_account_{kind}
            where {_period_select(kind)} in (select period from run_periods)
            group by all
        )
        select
            coalesce(ranked_by_metric.period, values_by_metric.period) as {kind},
            coalesce(ranked_by_metric.panel, values_by_metric.panel) as panel,
            coalesce(ranked_by_metric.metric, values_by_metric.metric) as metric,
            coalesce(ranked_by_metric.ranked_rows, 0) as ranked_rows,
            coalesce(values_by_metric.account_values, 0) as account_values
        from ranked_by_metric
        full outer join values_by_metric using (period, panel, metric)
        order by 1, 2, 3
        """,
        periods.bounds(kind),
    )


def panel_accounts_against_account_values(conn: duckdb.DuckDBPyConnection, periods: RunPeriods, kind: str) -> pd.DataFrame:
    """One row per run period, panel and metric: `accounts` in fct_panel_<kind> and non-NULL `account_values` in fct_account_<kind>."""
    return _query(
        conn,
        f"""
        with
        {_RUN_PERIODS_CTE},
        {_account_values_cte(kind)},
        panels as (
            select {_period_select(kind)} as period, panel, metric, accounts
            from marts.fct_panel_{kind}
            where {_period_select(kind)} in (select period from run_periods)
        )
        select
            coalesce(panels.period, values_by_metric.period) as {kind},
            coalesce(panels.panel, values_by_metric.panel) as panel,
            coalesce(panels.metric, values_by_metric.metric) as metric,
            coalesce(panels.accounts, 0) as accounts,
            coalesce(values_by_metric.account_values, 0) as account_values
        from panels
        full outer join values_by_metric using (period, panel, metric)
        order by 1, 2, 3
        """,
        periods.bounds(kind),
    )


def panel_rows(conn: duckdb.DuckDBPyConnection, periods: RunPeriods, kind: str) -> pd.DataFrame:
    """The rows of fct_panel_<kind> for the run's periods."""
    return _query(
        conn,
        f"""
        with {_RUN_PERIODS_CTE}
        select {_period_select(kind)} as {kind}, panels.* exclude ({kind})
        from marts.fct_panel_{kind} as panels
        where {_period_select(kind)} in (select period from run_periods)
        order by 1, panel, metric
        """,
        periods.bounds(kind),
    )


def ranked_rows(conn: duckdb.DuckDBPyConnection, periods: RunPeriods, kind: str) -> pd.DataFrame:
    """The rows of rank_account_<kind> for the run's periods, with the member's `accounts_csv_line` (NULL if none)."""
    return _query(
        conn,
        f"""
        with
        {_RUN_PERIODS_CTE},
        accounts_lines as (
            select panel, handle, min(line_number) as accounts_csv_line
            from raw.accounts
            group by all
        )
        select {_period_select(kind)} as {kind}, ranks.* exclude ({kind}), accounts_lines.accounts_csv_line
        from marts.rank_account_{kind} as ranks
        left join accounts_lines using (panel, handle)
        where {_period_select(kind)} in (select period from run_periods)
        order by 1, panel, metric, rank, handle
        """,
        periods.bounds(kind),
    )


# --- marts: top posts and hashtags -----------------------------------------------------------


def top_post_ranks_by_panel(conn: duckdb.DuckDBPyConnection, periods: RunPeriods, kind: str) -> pd.DataFrame:
    """One row per run period and panel of fct_top_posts_<kind>: how many posts, and their lowest, highest and distinct ranks."""
    return _query(
        conn,
        f"""
        with {_RUN_PERIODS_CTE}
        select
            {_period_select(kind)} as {kind},
            panel,
            count(*) as top_posts,
            min(rank) as lowest_rank,
            max(rank) as highest_rank,
            count(distinct rank) as distinct_ranks
        from marts.fct_top_posts_{kind}
        where {_period_select(kind)} in (select period from run_periods)
        group by all
        order by 1, 2
        """,
        periods.bounds(kind),
    )


def top_post_rows(conn: duckdb.DuckDBPyConnection, periods: RunPeriods, kind: str) -> pd.DataFrame:
    """The rows of fct_top_posts_<kind> for the run's periods (without the text), with the period each post was published in."""
    published_period = (
        _label_of("cast(timezone($timezone, published_at) as date)")
        if kind == "quarter"
        else "cast(year(timezone($timezone, published_at)) as varchar)"
    )
    return _query(
        conn,
        f"""
        with
        {_RUN_PERIODS_CTE},
        accounts_lines as (
            select panel, handle, min(line_number) as accounts_csv_line
            from raw.accounts
            group by all
        )
        select
            {_period_select(kind)} as {kind},
            panel,
            rank,
            handle,
            post_id,
            published_at,
            {published_period} as published_{kind},
            post_type,
            likes,
            comments,
            reposts,
            quotes,
            reactions,
            followers_at_publish,
            post_interaction,
            accounts_lines.accounts_csv_line
        from marts.fct_top_posts_{kind} as top_posts
        left join accounts_lines using (panel, handle)
        where {_period_select(kind)} in (select period from run_periods)
        order by 1, panel, rank
        """,
        {**periods.bounds(kind), "timezone": periods.timezone},
    )


def hashtag_rows(conn: duckdb.DuckDBPyConnection, periods: RunPeriods) -> pd.DataFrame:
    """The rows of fct_hashtags_quarter for the run's quarters."""
    return _query(
        conn,
        f"""
        with {_RUN_PERIODS_CTE}
        select quarter, panel, hashtag, posts, accounts, reactions
        from marts.fct_hashtags_quarter
        where quarter in (select period from run_periods)
        order by quarter, panel, hashtag
        """,
        periods.bounds("quarter"),
    )
