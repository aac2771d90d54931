"""What a quarter's report shows, read from the marts and written out as text.

`build_report` turns marts rows into a ReportView: every figure already
formatted for the reader's language, kept beside the value it was read from
(the HTML carries it in data attributes, so a test can compare the page with
the marts). The HTML template and the PDF writer both draw this one view.
Reading, picking, sorting and formatting only: no figure is computed here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dagster_project.quarters import Quarter
from dagster_project.reports import charts, i18n
from dagster_project.reports.formatting import (
    MISSING,
    format_count,
    format_date,
    format_datetime,
    format_figure,
    format_growth_pct,
    format_quarter,
    format_rate,
)
from dagster_project.reports.markdown import Block, parse_blocks
from dagster_project.reports.marts import Marts, Row

HEADLINE_METRICS = ["posts", "likes_per_post", "reposts_per_post", "reactions_per_post", "post_interaction_rate"]
RANKING_METRICS = ["likes_per_post", "reposts_per_post", "post_interaction_rate"]
ACTIVITY_METRICS = ["posts_per_day", "reactions_per_post"]
RATE_METRICS = {"post_interaction_rate"}
# Instagram has no reposts or quotes (METRICS.md): its panels show no repost figure.
PLATFORMS_WITHOUT_REPOSTS = {"instagram"}
TOP_OF_QUARTER = 5
TOP_POSTS_SHOWN = 3
HASHTAGS_SHOWN = 10
ACTIVITY_QUARTERS_SHOWN = 8
MEAN, MEDIAN, POOLED = "mean_of_accounts", "median_of_accounts", "pooled"


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What the run that produced the marts knows and the marts do not: the data section's facts."""

    files_loaded: Sequence[tuple[str, str, int]] = ()  # (path, format, rows)
    checks: Sequence[tuple[str, bool]] = ()  # (check name, passed)
    newest_data_date: dt.date | None = None
    generated_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Cell:
    """A formatted figure with where it comes from: the page's data attributes."""

    text: str
    value: Any
    metric: str
    period: str  # "2023-Q4" or "2023"
    stat: str  # "mean_of_accounts", "median_of_accounts", "pooled" or "value"


@dataclasses.dataclass(frozen=True)
class Piece:
    """Part of a sentence: plain text, or a figure (then `cell` is set)."""

    text: str
    cell: Cell | None = None


@dataclasses.dataclass(frozen=True)
class HeadlineRow:
    metric: str
    label: str
    cells: list[Cell]
    quarter_sentence: list[Piece]
    year_sentence: list[Piece]


@dataclasses.dataclass(frozen=True)
class RankingPair:
    """The quarter's top 5 and the year's full ranking of one metric."""

    label: str
    quarter_top: charts.BarChart
    year_ranking: charts.BarChart


@dataclasses.dataclass(frozen=True)
class AudienceRow:
    followers_rank: str
    display_name: str
    handle: str
    followers_end: Cell
    previous_followers_end: str
    growth: Cell
    growth_tone: str
    following_end: str
    following_rank: str


@dataclasses.dataclass(frozen=True)
class TopPost:
    rank: int
    display_name: str
    handle: str
    published: str
    text: str
    permalink: str | None
    figures: list[tuple[str, str]]
    post_interaction: Cell


@dataclasses.dataclass(frozen=True)
class HashtagRow:
    hashtag: str
    posts: str
    accounts: str
    reactions: str


@dataclasses.dataclass(frozen=True)
class PanelView:
    anchor: str
    panel: str
    platform: str
    platform_name: str
    accounts: str
    headline_columns: list[str]
    headline_rows: list[HeadlineRow]
    rankings: list[RankingPair]
    audience_columns: list[str]
    audience_rows: list[AudienceRow]
    followers_chart: charts.BarChart
    activity_charts: list[charts.ColumnChart]
    top_posts: list[TopPost]
    hashtags: list[HashtagRow]


@dataclasses.dataclass(frozen=True)
class DataSection:
    files: list[tuple[str, str, str, str]] | None  # (path, format, rows, loaded at); None: not provided
    files_summary: str
    checks: list[tuple[str, bool]] | None
    checks_summary: str
    newest_data: str
    definitions: list[Block] | None  # None: docs/metrics.md was not there


@dataclasses.dataclass(frozen=True)
class ReportView:
    language: str
    quarter: str
    quarter_name: str
    title: str
    generated: str
    generated_at: dt.datetime  # the same instant as `generated`, time-zone aware: the PDF's creation date
    texts: dict[str, str]
    panels: list[PanelView]
    data: DataSection


def _figure_text(metric: str, value: Any, language: str) -> str:
    if metric in RATE_METRICS:
        return format_rate(value, language)
    if metric in {"followers_end", "following_end", "posts"} and isinstance(value, int):
        return format_count(value, language)
    return format_figure(value, language)


def _fill(template: str, **values: Piece | str) -> list[Piece]:
    """The template's {name} placeholders replaced by pieces (figures) or text."""
    pieces = []
    for part in re.split(r"(\{\w+\})", template):
        if part.startswith("{") and part.endswith("}"):
            value = values[part[1:-1]]
            pieces.append(value if isinstance(value, Piece) else Piece(str(value)))
        elif part:
            pieces.append(Piece(part))
    return pieces


def _capitalized(pieces: list[Piece]) -> list[Piece]:
    first = pieces[0]
    return [dataclasses.replace(first, text=first.text[:1].upper() + first.text[1:]), *pieces[1:]]


def year_label(year: int, period_end: dt.date | None, language: str) -> str:
    """"2023", or "2023 (T1–T3)" while the year's figures stop before its end (year to date)."""
    if period_end is None or period_end == dt.date(year, 12, 31):
        return str(year)
    last = Quarter.containing(period_end)
    first = format_quarter(Quarter(year, 1).label, language, with_year=False)
    return i18n.TEXTS[language]["year_to_date"].format(
        year=year, first=first, last=format_quarter(last.label, language, with_year=False)
    )


def movement(rank: int, previous_rank: int | None, language: str) -> tuple[str, str]:
    """The note beside a ranked bar and its tone: ("▲ 2", "up"), ("▼ 1", "down"), ("=", "same"), ("new", "new")."""
    if previous_rank is None:
        return i18n.TEXTS[language]["new"], "new"
    if previous_rank > rank:
        return f"▲ {previous_rank - rank}", "up"
    if previous_rank < rank:
        return f"▼ {rank - previous_rank}", "down"
    return "=", "same"


def growth_note(start: Any, growth_pct: Any, language: str) -> tuple[str, str]:
    """The follower growth as text and tone; "nouveau" for an account with no count at the start."""
    if start is None:
        return i18n.TEXTS[language]["new"], "new"
    if growth_pct is None:
        return MISSING, "neutral"
    tone = "up" if growth_pct > 0 else "down" if growth_pct < 0 else "same"
    return format_growth_pct(growth_pct, language), tone


def safe_link(url: Any) -> str | None:
    """The permalink when it is a web address; anything else (javascript:, data:) is not linked."""
    if isinstance(url, str) and re.match(r"^https?://", url.strip(), flags=re.IGNORECASE):
        return url.strip()
    return None


def _account_name(row: Row) -> str:
    return row.get("display_name") or f"@{row['handle']}"


def _when(value: Any, timezone: ZoneInfo, language: str) -> str:
    if isinstance(value, dt.datetime):
        return format_datetime(value.astimezone(timezone) if value.tzinfo else value, language)
    if isinstance(value, dt.date):
        return format_date(value, language)
    return MISSING if value is None else str(value)


class _PanelBuilder:
    """Builds one panel's view from the marts."""

    def __init__(self, marts: Marts, quarter: Quarter, panel: str, platform: str, language: str, timezone: ZoneInfo):
        self.marts = marts
        self.quarter = quarter
        self.panel = panel
        self.platform = platform
        self.language = language
        self.timezone = timezone
        self.texts = i18n.TEXTS[language]
        excluded = {"reposts_per_post"} if platform in PLATFORMS_WITHOUT_REPOSTS else set()
        self.headline_metrics = [metric for metric in HEADLINE_METRICS if metric not in excluded]
        self.ranking_metrics = [metric for metric in RANKING_METRICS if metric not in excluded]
        wanted = sorted(set(HEADLINE_METRICS) | set(ACTIVITY_METRICS))
        # The report shows the quarter, the year's earlier ones, the previous one and the activity charts' last
        # ACTIVITY_QUARTERS_SHOWN; the year and the one before: those are all it reads.
        first_shown = quarter
        for _ in range(ACTIVITY_QUARTERS_SHOWN - 1):
            first_shown = first_shown.previous()
        rows = marts.panel_quarters(panel, wanted, first_shown.label, quarter.label)
        self.by_quarter = {(row["quarter"], row["metric"]): row for row in rows}
        rows = marts.panel_years(panel, wanted, quarter.year - 1, quarter.year)
        self.by_year = {(row["year"], row["metric"]): row for row in rows}
        self.year_period_end = marts.year_period_end(panel, quarter.year)
        self.year_name = year_label(quarter.year, self.year_period_end, language)
        self.previous_year_name = year_label(quarter.year - 1, marts.year_period_end(panel, quarter.year - 1), language)

    def quarter_name(self, label: str, with_year: bool = True) -> str:
        return format_quarter(label, self.language, with_year)

    def cell(self, metric: str, period: str | int, stat: str) -> Cell:
        """The panel table's figure for this period and statistic; "—" when the marts have no row."""
        table = self.by_year if isinstance(period, int) else self.by_quarter
        row = table.get((period, metric))
        value = None if row is None else row[stat]
        return Cell(_figure_text(metric, value, self.language), value, metric, str(period), stat)

    def build(self) -> PanelView:
        posts_row = self.by_quarter.get((self.quarter.label, "posts"))
        audience_rows = self.audience_rows()
        return PanelView(
            anchor=f"panel-{self.panel}",
            panel=self.panel,
            platform=self.platform,
            platform_name=i18n.platform_name(self.platform),
            accounts=format_count(None if posts_row is None else posts_row["accounts"], self.language),
            headline_columns=self.headline_columns(),
            headline_rows=[self.headline_row(metric) for metric in self.headline_metrics],
            rankings=[self.ranking_pair(metric) for metric in self.ranking_metrics],
            audience_columns=self.audience_columns(),
            audience_rows=audience_rows,
            followers_chart=self.followers_chart(audience_rows),
            activity_charts=[self.activity_chart(metric) for metric in ACTIVITY_METRICS],
            top_posts=self.top_posts(),
            hashtags=self.hashtags(),
        )

    # Headline figures

    def quarters_of_year(self) -> list[Quarter]:
        """The year's quarters up to the report's, those the panel table has (the report's always)."""
        present = {quarter for quarter, _ in self.by_quarter}
        return [
            Quarter(self.quarter.year, number)
            for number in range(1, self.quarter.number + 1)
            if number == self.quarter.number or Quarter(self.quarter.year, number).label in present
        ]

    def has_previous_year(self) -> bool:
        return any(year == self.quarter.year - 1 for year, _ in self.by_year)

    def headline_periods(self) -> list[tuple[str | int, str]]:
        periods: list[tuple[str | int, str]] = [(quarter.label, MEAN) for quarter in self.quarters_of_year()]
        periods += [(self.quarter.year, MEAN), (self.quarter.year, MEDIAN)]
        if self.has_previous_year():
            periods.append((self.quarter.year - 1, MEAN))
        return periods

    def headline_columns(self) -> list[str]:
        names = {MEAN: self.texts["mean"], MEDIAN: self.texts["median"]}
        columns = [self.texts["indicator"]]
        for period, stat in self.headline_periods():
            if isinstance(period, str):
                columns.append(self.quarter_name(period))
            else:
                name = self.year_name if period == self.quarter.year else self.previous_year_name
                columns.append(f"{name} {names[stat]}")
        return columns

    def compared_quarters(self) -> list[Quarter]:
        """The quarters a headline figure is set against: the year's earlier ones, or for a Q1 the last Q4."""
        earlier = self.quarters_of_year()[:-1]
        return earlier or [self.quarter.previous()]

    def headline_row(self, metric: str) -> HeadlineRow:
        label = i18n.metric_label(metric, self.platform, self.language)
        current = self.cell(metric, self.quarter.label, MEAN)
        sentence = _fill(i18n.METRIC_PHRASES[self.language][metric],
                         value=Piece(current.text, current), post=i18n.post_noun(self.platform, self.language))
        comparisons = []
        for quarter in self.compared_quarters():
            earlier = self.cell(metric, quarter.label, MEAN)
            if earlier.value is not None:
                same_year = quarter.year == self.quarter.year
                comparisons.append((earlier, self.texts["in_period"].format(
                    period=self.quarter_name(quarter.label, with_year=not same_year))))
        if comparisons:
            sentence.append(Piece(f" ({self.texts['vs']} "))
            for index, (earlier, when) in enumerate(comparisons):
                if index:
                    last = index == len(comparisons) - 1
                    sentence.append(Piece(f" {self.texts['and']} " if last else ", "))
                sentence += [Piece(earlier.text, earlier), Piece(f" {when}")]
            sentence.append(Piece(")"))

        year = self.quarter.year
        mean, median = self.cell(metric, year, MEAN), self.cell(metric, year, MEDIAN)
        year_sentence = _fill(self.texts["year_sentence"], year=self.year_name,
                              mean=Piece(mean.text, mean), median=Piece(median.text, median))
        previous = self.cell(metric, year - 1, MEAN)
        if previous.value is not None:
            year_sentence += _fill(self.texts["previous_year_clause"],
                                   value=Piece(previous.text, previous), year=self.previous_year_name)
        return HeadlineRow(
            metric=metric,
            label=label,
            cells=[self.cell(metric, period, stat) for period, stat in self.headline_periods()],
            quarter_sentence=_capitalized(sentence),
            year_sentence=year_sentence,
        )

    # Rankings

    def bar_inputs(self, metric: str, rows: list[Row]) -> list[charts.BarInput]:
        inputs = []
        for row in rows:
            note, tone = movement(row["rank"], row["previous_rank"], self.language)
            inputs.append(charts.BarInput(
                label=f"{row['rank']}. {_account_name(row)}",
                value=row["value"],
                value_text=_figure_text(metric, row["value"], self.language),
                note=note,
                tone=tone,
            ))
        return inputs

    def ranking_pair(self, metric: str) -> RankingPair:
        label = i18n.metric_label(metric, self.platform, self.language)
        quarter_rows = [row for row in self.marts.quarter_ranking(self.quarter.label, self.panel, metric)
                        if row["rank"] <= TOP_OF_QUARTER]
        year_rows = self.marts.year_ranking(self.quarter.year, self.panel, metric)
        return RankingPair(
            label=label,
            quarter_top=charts.bar_chart(
                f"{self.texts['top5']} {self.quarter_name(self.quarter.label)} — {label}",
                self.panel, metric, self.quarter.label, self.bar_inputs(metric, quarter_rows), self.texts["no_data"],
            ),
            year_ranking=charts.bar_chart(
                f"{self.texts['ranking_of_year']} {self.year_name} — {label}",
                self.panel, metric, str(self.quarter.year), self.bar_inputs(metric, year_rows), self.texts["no_data"],
            ),
        )

    # Audience

    def audience_columns(self) -> list[str]:
        quarter = self.quarter_name(self.quarter.label)
        previous = self.quarter_name(self.quarter.previous().label)
        previous_year = self.quarter.year - 1
        if self.year_period_end in (None, self.quarter.end):
            growth = self.texts["growth_since"].format(year=previous_year)
        else:
            growth = self.texts["growth_between"].format(
                year=previous_year, date=format_date(self.year_period_end, self.language))
        return [
            self.texts["rank"],
            self.texts["account"],
            self.texts["followers_end"].format(quarter=quarter),
            self.texts["followers_end"].format(quarter=previous),
            growth,
            self.texts["following_end"].format(quarter=quarter),
            self.texts["following_rank"],
        ]

    def audience_rows(self) -> list[AudienceRow]:
        rows = self.marts.audience(self.quarter.label, self.quarter.previous().label, self.quarter.year, self.panel)
        audience = []
        for row in rows:
            growth_text, tone = growth_note(row["year_followers_start"], row["year_followers_growth_pct"],
                                            self.language)
            audience.append(AudienceRow(
                followers_rank=MISSING if row["followers_rank"] is None else str(row["followers_rank"]),
                display_name=_account_name(row),
                handle=row["handle"],
                followers_end=Cell(format_count(row["followers_end"], self.language), row["followers_end"],
                                   "followers_end", self.quarter.label, "value"),
                previous_followers_end=format_count(row["previous_followers_end"], self.language),
                growth=Cell(growth_text, row["year_followers_growth_pct"], "followers_growth_pct",
                            str(self.quarter.year), "value"),
                growth_tone=tone,
                following_end=format_count(row["following_end"], self.language),
                following_rank=MISSING if row["following_rank"] is None else str(row["following_rank"]),
            ))
        return audience

    def followers_chart(self, audience: list[AudienceRow]) -> charts.BarChart:
        inputs = [
            charts.BarInput(
                label=f"{row.followers_rank}. {row.display_name}",
                value=row.followers_end.value,
                value_text=row.followers_end.text,
                note=row.growth.text,
                tone=row.growth_tone,
            )
            for row in audience
            if row.followers_end.value is not None
        ]
        title = self.texts["followers_chart"].format(quarter=self.quarter_name(self.quarter.label))
        return charts.bar_chart(title, self.panel, "followers_end", self.quarter.label, inputs, self.texts["no_data"])

    # Activity

    def activity_chart(self, metric: str) -> charts.ColumnChart:
        quarters = sorted(
            Quarter.parse(quarter) for quarter, row_metric in self.by_quarter
            if row_metric == metric and Quarter.parse(quarter) <= self.quarter
        )[-ACTIVITY_QUARTERS_SHOWN:]
        points = []
        for quarter in quarters:
            figure = self.cell(metric, quarter.label, POOLED)
            points.append((self.quarter_name(quarter.label), figure.value, figure.text, quarter == self.quarter))
        title = self.texts[f"{metric}_chart"]
        return charts.column_chart(title, self.panel, metric, self.quarter.label, points, self.texts["no_data"])

    # Posts and hashtags

    def top_posts(self) -> list[TopPost]:
        has_reposts = self.platform not in PLATFORMS_WITHOUT_REPOSTS
        parts = ["likes", "comments", *(["reposts", "quotes"] if has_reposts else []), "reactions",
                 "followers_at_publish"]
        posts = []
        for row in self.marts.top_posts(self.quarter.label, self.panel, TOP_POSTS_SHOWN):
            interaction = row["post_interaction"]
            posts.append(TopPost(
                rank=row["rank"],
                display_name=_account_name(row),
                handle=row["handle"],
                published=_when(row["published_at"], self.timezone, self.language),
                text=row["text"] or "",
                permalink=safe_link(row["permalink"]),
                figures=[(self.texts[part], format_count(row[part], self.language)) for part in parts],
                post_interaction=Cell(format_rate(interaction, self.language), interaction, "post_interaction",
                                      self.quarter.label, "value"),
            ))
        return posts

    def hashtags(self) -> list[HashtagRow]:
        return [
            HashtagRow(
                hashtag=row["hashtag"],
                posts=format_count(row["posts"], self.language),
                accounts=format_count(row["accounts"], self.language),
                reactions=format_count(row["reactions"], self.language),
            )
            for row in self.marts.hashtags(self.quarter.label, self.panel, HASHTAGS_SHOWN)
        ]


def _panel_order(row: Row) -> tuple[int, str, str]:
    # The original report started with X, then Instagram; other platforms follow.
    platforms = list(i18n.PLATFORM_NAMES)
    position = platforms.index(row["platform"]) if row["platform"] in platforms else len(platforms)
    return position, row["platform"], row["panel"]


def _data_section(marts: Marts, run_info: RunInfo | None, definitions_path: Path, language: str,
                  timezone: ZoneInfo) -> DataSection:
    texts = i18n.TEXTS[language]
    landing_files = marts.landing_files()
    if landing_files is not None:
        files = [(row["path"], row["format"], row["rows"], _when(row["loaded_at"], timezone, language))
                 for row in landing_files]
    elif run_info is not None:
        files = [(path, file_format, rows, "") for path, file_format, rows in run_info.files_loaded]
    else:
        files = None
    files_summary = texts["not_provided"] if files is None else texts["files_summary"].format(
        files=format_count(len(files), language),
        rows=format_count(sum(rows or 0 for _, _, rows, _ in files), language),
    )
    checks = None if run_info is None else [(name, bool(passed)) for name, passed in run_info.checks]
    checks_summary = texts["not_provided"] if checks is None else texts["checks_summary"].format(
        passed=format_count(sum(passed for _, passed in checks), language),
        total=format_count(len(checks), language),
    )
    return DataSection(
        files=None if files is None else [(path, file_format, format_count(rows, language), loaded)
                                          for path, file_format, rows, loaded in files],
        files_summary=files_summary,
        checks=checks,
        checks_summary=checks_summary,
        newest_data=format_date(run_info.newest_data_date if run_info else None, language),
        definitions=parse_blocks(definitions_path.read_text(encoding="utf-8")) if definitions_path.is_file()
        else None,
    )


def build_report(marts: Marts, quarter: Quarter, language: str, run_info: RunInfo | None, definitions_path: Path,
                 timezone: ZoneInfo) -> ReportView:
    """Everything the quarter's report shows, formatted for `language`."""
    if language not in i18n.TEXTS:
        raise ValueError(f"report language must be one of {', '.join(i18n.TEXTS)}, not {language!r}")
    texts = i18n.TEXTS[language]
    panels = [
        _PanelBuilder(marts, quarter, row["panel"], row["platform"], language, timezone).build()
        for row in sorted(marts.panels(quarter.label), key=_panel_order)
    ]
    generated_at = (run_info.generated_at if run_info and run_info.generated_at else dt.datetime.now(timezone))
    quarter_name = format_quarter(quarter.label, language)
    return ReportView(
        language=language,
        quarter=quarter.label,
        quarter_name=quarter_name,
        title=f"{texts['title']} — {quarter_name} & {quarter.year}",
        generated=_when(generated_at, timezone, language),
        generated_at=generated_at if generated_at.tzinfo else generated_at.replace(tzinfo=timezone),
        texts=texts,
        panels=panels,
        data=_data_section(marts, run_info, definitions_path, language, timezone),
    )
