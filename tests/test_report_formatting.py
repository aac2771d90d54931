"""The report's small pure helpers: number and date formatting, notes beside bars, links, chart layout, Markdown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dagster_project.reports import charts
from dagster_project.reports.formatting import (
    automatic_decimals,
    format_count,
    format_date,
    format_datetime,
    format_figure,
    format_growth_pct,
    format_number,
    format_quarter,
    format_rate,
)
from dagster_project.reports.markdown import parse_blocks
from dagster_project.reports.view import growth_note, movement, safe_link, year_label

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "decimals", "french", "english"),
    [
        (2.7, 1, "2,7", "2.7"),
        (10000, 0, f"10{NNBSP}000", "10,000"),
        (1234567.891, 2, f"1{NNBSP}234{NNBSP}567,89", "1,234,567.89"),
        (999, 0, "999", "999"),
        (0.15, 1, "0,2", "0.2"),  # half up, not the float's 0.1499…
        (2.675, 2, "2,68", "2.68"),
        (-1234.5, 0, f"-1{NNBSP}235", "-1,235"),
        (-0.001, 2, "0,00", "0.00"),  # no "-0,00"
    ],
)
def test_numbers_are_written_with_the_languages_marks(value, decimals, french, english):
    assert format_number(value, decimals, "fr") == french
    assert format_number(value, decimals, "en") == english


def test_missing_values_are_a_dash_everywhere():
    for formatter in (format_figure, format_count, format_rate, format_growth_pct):
        assert formatter(None, "fr") == "—"
        assert formatter(float("nan"), "en") == "—"
    assert format_date(None, "fr") == "—"


@pytest.mark.parametrize(("value", "decimals"), [(0.06, 2), (0.84, 2), (2.7, 1), (9.94, 1), (27.4, 0), (10000, 0)])
def test_a_figure_gets_as_many_decimals_as_its_size_needs(value, decimals):
    assert automatic_decimals(value) == decimals


def test_per_post_figures_read_like_the_original_report():
    assert format_figure(2.7123, "fr") == "2,7"
    assert format_figure(0.8412, "fr") == "0,84"
    assert format_figure(31.6, "fr") == "32"
    assert format_figure(0.2833, "en") == "0.28"


def test_rates_stored_as_fractions_are_shown_as_percentages():
    assert format_rate(0.0006, "fr") == f"0,06{NNBSP}%"
    assert format_rate(0.031, "fr") == f"3,1{NNBSP}%"
    assert format_rate(0.0024, "en") == "0.24%"
    assert format_rate(0.125, "en") == "13%"


def test_growth_in_percent_is_signed():
    assert format_growth_pct(21.4, "fr") == f"+21{NNBSP}%"
    assert format_growth_pct(153.7, "en") == "+154%"
    assert format_growth_pct(-4.2, "fr") == f"-4{NNBSP}%"
    assert format_growth_pct(0.4, "fr") == f"+0,4{NNBSP}%"
    assert format_growth_pct(0, "en") == "0.0%"


def test_counts_group_thousands():
    assert format_count(10000, "fr") == f"10{NNBSP}000"
    assert format_count(1408, "en") == "1,408"


def test_quarters_are_T_in_french_and_Q_in_english():
    assert format_quarter("2023-Q4", "fr") == "T4 2023"
    assert format_quarter("2023-Q4", "en") == "Q4 2023"
    assert format_quarter("2023-Q2", "fr", with_year=False) == "T2"
    with pytest.raises(ValueError):
        format_quarter("2023-4", "fr")


def test_dates_and_times_are_spelt_out():
    assert format_date(dt.date(2023, 12, 31), "fr") == "31 décembre 2023"
    assert format_date(dt.date(2023, 8, 1), "en") == "1 August 2023"
    assert format_datetime(dt.datetime(2023, 10, 12, 14, 5), "fr") == "12 octobre 2023, 14:05"


def test_a_year_is_labelled_year_to_date_until_its_last_day():
    assert year_label(2023, dt.date(2023, 12, 31), "fr") == "2023"
    assert year_label(2023, None, "fr") == "2023"
    assert year_label(2023, dt.date(2023, 9, 30), "fr") == "2023 (T1–T3)"
    assert year_label(2023, dt.date(2023, 6, 30), "en") == "2023 (Q1–Q2)"


def test_ranking_movement_says_places_gained_lost_or_new():
    assert movement(1, 3, "fr") == ("▲ 2", "up")
    assert movement(4, 1, "en") == ("▼ 3", "down")
    assert movement(2, 2, "fr") == ("=", "same")
    assert movement(5, None, "fr") == ("nouveau", "new")
    assert movement(5, None, "en") == ("new", "new")


def test_follower_growth_is_new_where_there_is_no_start():
    assert growth_note(None, None, "fr") == ("nouveau", "new")
    assert growth_note(1000, 21.0, "fr") == (f"+21{NNBSP}%", "up")
    assert growth_note(1000, -3.0, "en") == ("-3%", "down")
    assert growth_note(0, None, "fr") == ("—", "neutral")


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://x.com/a/status/1", "https://x.com/a/status/1"),
        ("http://instagram.com/p/abc", "http://instagram.com/p/abc"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("//evil.example/x", None),
        (None, None),
    ],
)
def test_only_web_addresses_become_links(url, linked):
    assert safe_link(url) == linked


def test_bar_lengths_are_proportional_to_the_largest_value():
    inputs = [charts.BarInput(name, value, str(value), "", "neutral") for name, value in
              [("a", 4.0), ("b", 2.0), ("c", None), ("d", -1.0)]]
    chart = charts.bar_chart("t", "p", "m", "2023-Q4", inputs, "none")
    lengths = [bar.length for bar in chart.bars]
    assert lengths == [chart.bar_area_width, chart.bar_area_width / 2, 0.0, 0.0]
    assert [bar.y for bar in chart.bars] == sorted(bar.y for bar in chart.bars)
    assert chart.height > 3 * charts.ROW_HEIGHT


def test_decimal_values_from_decimal_columns_are_charted_too():
    inputs = [charts.BarInput("a", Decimal("0.25"), "", "", "neutral"), charts.BarInput("b", Decimal("0.5"), "", "", "")]
    chart = charts.bar_chart("t", "p", "m", "2023", inputs, "")
    assert [bar.length for bar in chart.bars] == [chart.bar_area_width / 2, chart.bar_area_width]
    assert format_figure(Decimal("0.845"), "fr") == "0,85"


def test_an_empty_chart_keeps_a_height_and_says_so():
    chart = charts.bar_chart("t", "p", "m", "2023-Q4", [], "Pas de données")
    assert chart.bars == [] and chart.height > 0 and chart.empty_text == "Pas de données"
    columns = charts.column_chart("t", "p", "m", "2023-Q4", [], "Pas de données")
    assert columns.columns == []


def test_columns_stand_on_the_baseline_and_the_tallest_fills_the_area():
    chart = charts.column_chart("t", "p", "m", "2023-Q4",
                                [("T1", 1.0, "1", False), ("T2", 2.0, "2", True), ("T3", 0.0, "0", False)], "")
    tallest = chart.columns[1]
    assert tallest.top == charts.COLUMN_AREA_TOP and tallest.is_current
    assert all(round(column.top + column.height, 1) == chart.baseline for column in chart.columns)
    assert chart.columns[2].height == 0


def test_long_account_names_are_shortened_with_an_ellipsis():
    assert charts.shorten("Boehringer Ingelheim France", 30) == "Boehringer Ingelheim France"
    assert charts.shorten("A very long account name that goes on", 12) == "A very long…"


def test_markdown_blocks_keep_headings_lists_tables_and_code_as_text():
    blocks = parse_blocks(
        "# Metrics\n\nA **bold** rule with `code` and <b>tags</b>.\n\n"
        "- one\n  continued\n- two\n\n| a | b |\n| --- | --- |\n| 1 | `x` |\n\n"
        "```\nselect 1\n```\n\n    indented code\n"
    )
    assert [block.kind for block in blocks] == ["heading", "paragraph", "list", "table", "code", "code"]
    assert blocks[0].level == 1
    assert [(span.text, span.style) for span in blocks[1].spans] == [
        ("A ", "text"), ("bold", "strong"), (" rule with ", "text"), ("code", "code"), (" and <b>tags</b>.", "text"),
    ]
    assert [[span.text for span in item] for item in blocks[2].items] == [["one continued"], ["two"]]
    assert [[span.text for span in cell] for cell in blocks[3].header] == [["a"], ["b"]]
    assert blocks[3].rows[0][1][0].style == "code"
    assert blocks[4].code == "select 1"
    assert blocks[5].code == "indented code"
