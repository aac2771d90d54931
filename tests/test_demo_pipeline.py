"""The demo data through the whole pipeline, as `make demo` runs it: marts, DEMO.md's figures, the reports."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.quarters import Quarter, quarter_range
from dagster_project.reports.browser import CHROMIUM, HeadlessChromium

REPO = Path(__file__).resolve().parents[1]
BTS = Path(sys.executable).parent / "bts"
DEMO_QUARTERS = [quarter.label for quarter in quarter_range(Quarter.parse("2022-Q1"), Quarter.parse("2023-Q4"))]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("demo-warehouse")
    environment = {**os.environ, "BTS_WAREHOUSE_DIR": str(warehouse), "BTS_RUN_DATE": "2026-11-26"}
    completed = subprocess.run([str(BTS), "run", "--all"], cwd=REPO, env=environment, capture_output=True, text=True)
    return warehouse, completed


def query(warehouse: Path, sql: str, params=None):
    with duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def test_make_demo_runs_every_quarter_and_says_where_the_outputs_are(demo_run):
    warehouse, completed = demo_run
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert "running 2022-Q1 to 2023-Q4" in completed.stderr
    assert f"analysts' database: {warehouse / 'analytics.duckdb'}" in completed.stderr
    # the terminal is for people: no Python warning or traceback from any process of the run
    assert not re.search(r"\w*(Warning|Error): |Traceback", completed.stderr), completed.stderr[-4000:]
    for label in DEMO_QUARTERS:
        assert (warehouse / "reports" / label / "index.html").stat().st_size > 10_000
        assert (warehouse / "reports" / label / "report.pdf").read_bytes().startswith(b"%PDF")
    assert query(warehouse, "select distinct quarter from marts.fct_account_quarter order by 1") == [(q,) for q in DEMO_QUARTERS]
    # dbt's artifacts of the build sit beside the warehouse they describe
    (build,) = (warehouse / "dbt").iterdir()
    results = json.loads((build / "run_results.json").read_text())
    assert results["results"] and all(result["status"] in ("success", "pass") for result in results["results"])


@pytest.mark.parametrize(
    "table, period, panel, metric, column, published",
    [
        ("fct_panel_quarter", "2023-Q2", "x_pharma_fr", "likes_per_post", "mean_of_accounts", 3.0),
        ("fct_panel_quarter", "2023-Q3", "x_pharma_fr", "likes_per_post", "mean_of_accounts", 3.4),
        ("fct_panel_quarter", "2023-Q4", "x_pharma_fr", "likes_per_post", "mean_of_accounts", 2.7),
        ("fct_panel_year", 2023, "x_pharma_fr", "likes_per_post", "mean_of_accounts", 3.2),
        ("fct_panel_year", 2023, "x_pharma_fr", "likes_per_post", "median_of_accounts", 1.6),
        ("fct_panel_quarter", "2023-Q4", "x_pharma_fr", "reposts_per_post", "mean_of_accounts", 0.7),
        ("fct_panel_year", 2023, "x_pharma_fr", "post_interaction_rate", "mean_of_accounts", 0.0006),
        ("fct_panel_year", 2022, "x_pharma_fr", "post_interaction_rate", "mean_of_accounts", 0.0024),
        ("fct_panel_quarter", "2023-Q4", "ig_corporate_fr", "posts_per_day", "pooled", 0.45),
        ("fct_panel_year", 2023, "ig_corporate_fr", "reactions_per_post", "pooled", 31),
        ("fct_panel_year", 2023, "ig_corporate_fr", "post_interaction_rate", "mean_of_accounts", 0.031),
        ("fct_panel_year", 2023, "ig_campaigns_fr", "posts", "mean_of_accounts", 91),
    ],
)
def test_the_demo_lands_near_the_published_report(demo_run, table, period, panel, metric, column, published):
    warehouse, _ = demo_run
    period_column = "year" if table.endswith("year") else "quarter"
    (value,) = query(
        warehouse,
        f"select {column} from marts.{table} where {period_column} = ? and panel = ? and metric = ?",
        [period, panel, metric],
    )[0]
    assert value == pytest.approx(published, rel=0.15)


def test_the_instagram_follower_ranking_matches_the_published_one(demo_run):
    warehouse, _ = demo_run
    rows = query(
        warehouse,
        "select followers_end, round(followers_growth_pct) from marts.fct_account_year "
        "where year = 2023 and panel = 'ig_corporate_fr' order by followers_end desc",
    )
    assert rows == [(10000, 21), (1408, 4), (1201, None), (1161, 42), (992, 19), (366, 154)]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: apt-get install chromium (CI does)")
def test_the_demo_2023_q4_report_opens_offline_and_shows_the_marts(demo_run):
    warehouse, _ = demo_run
    with HeadlessChromium() as browser:
        visit = browser.open(warehouse / "reports" / "2023-Q4" / "index.html")
        assert visit.errors == []
        assert visit.remote_requests == []
        charts = json.loads(browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('svg')].map(svg => ({title: svg.querySelector(':scope > title')?.textContent ?? '', "
            "items: Number(svg.dataset.items), drawn: svg.querySelectorAll('rect').length})))"
        ))
        figures = json.loads(browser.evaluate(
            "JSON.stringify([...document.querySelectorAll('[data-stat]')].map(e => ({...e.dataset})))"
        ))
    assert len(charts) >= 3 * 5  # per panel: rankings, followers, activity
    assert all(chart["title"] and chart["drawn"] >= chart["items"] > 0 for chart in charts), charts
    panel_figures = [figure for figure in figures if figure.get("stat") in ("mean_of_accounts", "median_of_accounts", "pooled")]
    assert {figure["panel"] for figure in panel_figures} == {"x_pharma_fr", "ig_corporate_fr", "ig_campaigns_fr"}
    for figure in panel_figures:
        period = figure["period"]
        table, column, key = ("fct_panel_year", "year", int(period)) if "-" not in period else ("fct_panel_quarter", "quarter", period)
        (expected,) = query(
            warehouse, f"select {figure['stat']} from marts.{table} where {column} = ? and panel = ? and metric = ?",
            [key, figure["panel"], figure["metric"]],
        )[0]
        assert float(figure["value"]) == pytest.approx(expected, rel=1e-12), figure
