"""The 2023-Q4 report opened in Debian's headless Chromium, as a reader opens it: from the disk, offline.

Set BTS_REPORT_SCREENSHOT=docs/report-2023-Q4.png to keep the screenshot
(the committed one is taken this way, or with `python -m
dagster_project.reports.browser` on a report of the demo data).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from conftest_report import IG_PANEL, MARKUP_TEXT, X_PANEL, write_analytics_db
from dagster_project.reports.browser import CHROMIUM, HeadlessChromium
from dagster_project.reports.formatting import format_figure, format_rate
from dagster_project.reports.render import RunInfo, render_quarter_report

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: apt-get install chromium (CI does)"),
]

FIGURES_JS = """
JSON.stringify([...document.querySelectorAll('[data-stat$="_of_accounts"], [data-stat="pooled"]')].map(element => ({
    panel: element.dataset.panel, metric: element.dataset.metric, period: element.dataset.period,
    stat: element.dataset.stat, value: element.dataset.value, text: element.textContent.trim(),
})))
"""
CHARTS_JS = """
JSON.stringify([...document.querySelectorAll('svg')].map(svg => ({
    role: svg.getAttribute('role'), title: svg.querySelector(':scope > title')?.textContent ?? '',
    items: Number(svg.dataset.items), drawn: svg.querySelectorAll('rect').length,
    width: svg.getBoundingClientRect().width, panel: svg.dataset.panel, metric: svg.dataset.metric,
})))
"""


@pytest.fixture(scope="module")
def analytics_db(tmp_path_factory) -> Path:
    return write_analytics_db(tmp_path_factory.mktemp("marts") / "analytics.duckdb", with_landing_files=True)


@pytest.fixture(scope="module")
def browser():
    with HeadlessChromium() as chromium:
        yield chromium


def _panel_value(analytics_db: Path, figure: dict) -> float | None:
    period = figure["period"]
    table, column, key = (("fct_panel_year", "year", int(period)) if "-" not in period
                          else ("fct_panel_quarter", "quarter", period))
    with duckdb.connect(str(analytics_db), read_only=True) as connection:
        return connection.execute(
            f"select {figure['stat']} from marts.{table} where {column} = ? and panel = ? and metric = ?",
            [key, figure["panel"], figure["metric"]],
        ).fetchone()[0]


def test_the_french_report_opens_offline_without_errors_and_shows_the_marts(analytics_db, browser, tmp_path):
    result = render_quarter_report(analytics_db, "2023-Q4", tmp_path / "2023-Q4", language="fr",
                                   run_info=RunInfo(checks=[("blocking checks", True)]))
    visit = browser.open(result.html_path)

    assert visit.errors == []
    assert visit.remote_requests == []
    assert visit.requests == [visit.url]  # the page itself, and nothing else

    charts = json.loads(browser.evaluate(CHARTS_JS))
    assert len(charts) == 16
    for chart in charts:
        assert chart["role"] == "img" and chart["title"], chart
        assert chart["items"] > 0 and chart["drawn"] >= chart["items"], chart
        assert chart["width"] > 200, chart  # laid out, not collapsed

    figures = json.loads(browser.evaluate(FIGURES_JS))
    assert {figure["panel"] for figure in figures} == {X_PANEL, IG_PANEL}
    for figure in figures:
        expected = _panel_value(analytics_db, figure)
        assert float(figure["value"]) == pytest.approx(expected, rel=1e-12), figure
        formatter = format_rate if figure["metric"] == "post_interaction_rate" else format_figure
        assert figure["text"] == formatter(expected, "fr"), figure

    key = next(figure for figure in figures if (figure["panel"], figure["metric"], figure["period"], figure["stat"])
               == (X_PANEL, "likes_per_post", "2023-Q4", "mean_of_accounts"))
    assert "," in key["text"] and "." not in key["text"]

    post_texts = browser.evaluate("[...document.querySelectorAll('.post-text')].map(e => e.textContent)")
    assert MARKUP_TEXT in post_texts
    assert browser.evaluate("document.querySelectorAll('script, b, iframe, img').length") == 0

    screenshot = browser.screenshot(Path(os.environ.get("BTS_REPORT_SCREENSHOT") or tmp_path / "report.png"))
    assert screenshot.read_bytes().startswith(b"\x89PNG")


def test_the_english_report_opens_without_errors(analytics_db, browser, tmp_path):
    result = render_quarter_report(analytics_db, "2023-Q4", tmp_path, language="en")
    visit = browser.open(result.html_path)
    assert visit.errors == [] and visit.remote_requests == []
    assert browser.evaluate("document.documentElement.lang") == "en"
    assert browser.evaluate("document.querySelectorAll('svg[role=img] > title').length") == 16


def test_the_browser_reports_errors_and_network_requests(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script>',
                    encoding="utf-8")
    visit = browser.open(page)
    assert any("boom" in error for error in visit.errors)
    assert visit.remote_requests == ["http://127.0.0.1:9/x.png"]
