"""Reads the rows a quarter's report shows from the analysts' database (schema `marts`, MARTS.md).

Only selects, filters, joins and sorts: every figure is read as the marts
store it, none is derived here (STYLE.md: one place per fact).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

Row = dict[str, Any]


class Marts:
    """A read-only connection to the analysts' database, with one method per kind of rows the report shows."""

    def __init__(self, analytics_db: Path):
        if not Path(analytics_db).is_file():
            raise FileNotFoundError(f"analytics database not found: {analytics_db}")
        self._connection = duckdb.connect(str(analytics_db), read_only=True)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> "Marts":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _rows(self, sql: str, parameters: list[Any] | None = None) -> list[Row]:
        cursor = self._connection.execute(sql, parameters or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values)) for values in cursor.fetchall()]

    def has_table(self, name: str) -> bool:
        return bool(self._rows(
            "select 1 from information_schema.tables where table_schema = 'marts' and table_name = ?", [name]
        ))

    def panels(self, quarter: str) -> list[Row]:
        """(panel, platform) of every panel with members in the quarter."""
        return self._rows(
            "select distinct panel, platform from marts.fct_account_quarter where quarter = ? order by panel",
            [quarter],
        )

    def panel_quarters(self, panel: str, metrics: list[str], first_quarter: str, last_quarter: str) -> list[Row]:
        """fct_panel_quarter rows of the panel for these metrics, the quarters from first to last (`YYYY-Qn`) present."""
        return self._rows(
            """
            select * from marts.fct_panel_quarter
            where panel = ? and list_contains(?, metric) and quarter between ? and ?
            order by quarter
            """,
            [panel, metrics, first_quarter, last_quarter],
        )

    def panel_years(self, panel: str, metrics: list[str], first_year: int, last_year: int) -> list[Row]:
        """fct_panel_year rows of the panel for these metrics, the years from first to last present."""
        return self._rows(
            """
            select * from marts.fct_panel_year
            where panel = ? and list_contains(?, metric) and year between ? and ?
            order by year
            """,
            [panel, metrics, first_year, last_year],
        )

    def year_period_end(self, panel: str, year: int) -> Any:
        """The last day the year's figures cover (the year is year-to-date until it is complete)."""
        rows = self._rows(
            "select period_end from marts.fct_account_year where panel = ? and year = ? limit 1", [panel, year]
        )
        return rows[0]["period_end"] if rows else None

    def quarter_ranking(self, quarter: str, panel: str, metric: str) -> list[Row]:
        return self._rows(
            """
            select handle, display_name, value, rank, previous_rank
            from marts.rank_account_quarter
            where quarter = ? and panel = ? and metric = ?
            order by rank, handle
            """,
            [quarter, panel, metric],
        )

    def year_ranking(self, year: int, panel: str, metric: str) -> list[Row]:
        return self._rows(
            """
            select handle, display_name, value, rank, previous_rank
            from marts.rank_account_year
            where year = ? and panel = ? and metric = ?
            order by rank, handle
            """,
            [year, panel, metric],
        )

    def audience(self, quarter: str, previous_quarter: str, year: int, panel: str) -> list[Row]:
        """One row per member: followers and following at the quarter's end, their ranks,
        followers at the previous quarter's end and the year's follower growth; ranked by followers."""
        return self._rows(
            """
            with members as (
                select * from marts.fct_account_quarter where quarter = ? and panel = ?
            ),

            followers_ranks as (
                select handle, rank from marts.rank_account_quarter
                where quarter = ? and panel = ? and metric = 'followers_end'
            ),

            following_ranks as (
                select handle, rank from marts.rank_account_quarter
                where quarter = ? and panel = ? and metric = 'following_end'
            ),

            previous_quarter as (
                select handle, followers_end from marts.fct_account_quarter where quarter = ? and panel = ?
            ),

            year_to_date as (
                select handle, followers_start, followers_growth_pct from marts.fct_account_year
                where year = ? and panel = ?
            )

            select
                members.handle,
                members.display_name,
                members.followers_end,
                members.following_end,
                followers_ranks.rank as followers_rank,
                following_ranks.rank as following_rank,
                previous_quarter.followers_end as previous_followers_end,
                year_to_date.followers_start as year_followers_start,
                year_to_date.followers_growth_pct as year_followers_growth_pct
            from members
            left join followers_ranks on followers_ranks.handle = members.handle
            left join following_ranks on following_ranks.handle = members.handle
            left join previous_quarter on previous_quarter.handle = members.handle
            left join year_to_date on year_to_date.handle = members.handle
            order by followers_ranks.rank nulls last, members.handle
            """,
            [quarter, panel, quarter, panel, quarter, panel, previous_quarter, panel, year, panel],
        )

    def top_posts(self, quarter: str, panel: str, limit: int) -> list[Row]:
        return self._rows(
            "select * from marts.fct_top_posts_quarter where quarter = ? and panel = ? and rank <= ? order by rank",
            [quarter, panel, limit],
        )

    def hashtags(self, quarter: str, panel: str, limit: int) -> list[Row]:
        """The quarter's most used hashtags: by posts, then reactions, then name."""
        return self._rows(
            """
            select hashtag, posts, accounts, reactions
            from marts.fct_hashtags_quarter
            where quarter = ? and panel = ?
            order by posts desc, reactions desc, hashtag
            limit ?
            """,
            [quarter, panel, limit],
        )

    def landing_files(self) -> list[Row] | None:
        """marts.landing_files rows by path, or None where the database has no such table."""
        if not self.has_table("landing_files"):
            return None
        return self._rows("select path, format, rows, loaded_at from marts.landing_files order by path")
