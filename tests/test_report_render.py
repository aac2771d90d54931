"""render_quarter_report on a small analysts' database: files, content, escaping, offline HTML, PDF."""

from __future__ import annotations

import datetime as dt
import html.parser
from pathlib import Path

import duckdb
import pytest

from conftest_report import IG_PANEL, MARKUP_TEXT, NEW_ACCOUNT, X_PANEL, write_analytics_db
from dagster_project.reports import render
from dagster_project.reports.formatting import format_count, format_figure, format_rate
from dagster_project.reports.render import ReportResult, RunInfo, render_quarter_report

RUN_INFO = RunInfo(
    files_loaded=[("x/tweets_2023.csv", "x_tweet_activity", 1234), ("instagram/posts.csv", "instagram_posts", 56)],
    checks=[("fct_account_quarter: keys unique", True), ("fct_panel_quarter: rates in [0, 1]", True)],
    newest_data_date=dt.date(2023, 12, 31),
    generated_at=dt.datetime(2024, 1, 5, 10, 0),
)


@pytest.fixture(scope="module")
def analytics_db(tmp_path_factory) -> Path:
    return write_analytics_db(tmp_path_factory.mktemp("marts") / "analytics.duckdb")


@pytest.fixture(scope="module")
def report_fr(analytics_db, tmp_path_factory) -> ReportResult:
    return render_quarter_report(analytics_db, "2023-Q4", tmp_path_factory.mktemp("reports") / "2023-Q4",
                                 run_info=RUN_INFO)


class _Elements(html.parser.HTMLParser):
    """Every start tag of a page with its attributes, and the page's text."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _marts_value(analytics_db: Path, table: str, period_column: str, period, panel: str, metric: str, stat: str):
    with duckdb.connect(str(analytics_db), read_only=True) as connection:
        return connection.execute(
            f"select {stat} from marts.{table} where {period_column} = ? and panel = ? and metric = ?",
            [period, panel, metric],
        ).fetchone()[0]


def test_the_report_writes_html_and_pdf_into_the_quarters_folder(report_fr):
    folder = report_fr.html_path.parent
    assert report_fr.html_path == folder / "index.html"
    assert report_fr.pdf_path == folder / "report.pdf"
    assert sorted(path.name for path in folder.iterdir()) == ["index.html", "report.pdf"]  # no temporary file left
    assert report_fr.pdf_path.read_bytes().startswith(b"%PDF-")
    assert report_fr.pdf_path.read_bytes().count(b"/Type /Page\n") >= 4


def test_post_text_with_markup_is_shown_as_text(report_fr):
    page = report_fr.html_path.read_text(encoding="utf-8")
    elements = _Elements(page)
    assert "script" not in {tag for tag, _ in elements.tags}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt; &amp; &#34;quotes&#34;" in page
    assert MARKUP_TEXT in "".join(elements.text)


def test_the_html_fetches_nothing_and_runs_no_script(report_fr):
    elements = _Elements(report_fr.html_path.read_text(encoding="utf-8"))
    for tag, attributes in elements.tags:
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)
        for name in ("src", "srcset", "data", "poster", "action", "xlink:href"):
            assert name not in attributes or attributes[name].startswith("data:"), (tag, attributes)
        if tag == "link":
            assert attributes["href"].startswith("data:")
        if tag == "a":
            assert attributes["href"].startswith(("#", "https://", "http://")), attributes
    policy = [attributes for _, attributes in elements.tags
              if attributes.get("http-equiv") == "Content-Security-Policy"]
    assert policy and "default-src 'none'" in policy[0]["content"]


def test_a_permalink_that_is_not_a_web_address_is_not_linked(report_fr):
    elements = _Elements(report_fr.html_path.read_text(encoding="utf-8"))
    links = [attributes["href"] for tag, attributes in elements.tags if tag == "a"]
    assert not any("javascript" in link for link in links)
    assert any(link.startswith("https://example.org/") for link in links)


def test_every_figure_on_the_page_is_the_marts_value(report_fr, analytics_db):
    elements = _Elements(report_fr.html_path.read_text(encoding="utf-8"))
    figures = [attributes for _, attributes in elements.tags
               if attributes.get("data-stat") in ("mean_of_accounts", "median_of_accounts", "pooled")]
    assert len(figures) > 50
    for figure in figures:
        period = figure["data-period"]
        table, column, key = (("fct_panel_year", "year", int(period)) if "-" not in period
                              else ("fct_panel_quarter", "quarter", period))
        expected = _marts_value(analytics_db, table, column, key, figure["data-panel"], figure["data-metric"],
                                figure["data-stat"])
        assert float(figure["data-value"]) == pytest.approx(expected, rel=1e-12), figure


def test_headline_figures_read_as_a_french_reader_expects(report_fr, analytics_db):
    page = report_fr.html_path.read_text(encoding="utf-8")
    likes = _marts_value(analytics_db, "fct_panel_quarter", "quarter", "2023-Q4", X_PANEL, "likes_per_post",
                         "mean_of_accounts")
    likes_q2 = _marts_value(analytics_db, "fct_panel_quarter", "quarter", "2023-Q2", X_PANEL, "likes_per_post",
                            "mean_of_accounts")
    rate = _marts_value(analytics_db, "fct_panel_year", "year", 2023, X_PANEL, "post_interaction_rate",
                        "mean_of_accounts")
    text = "".join(_Elements(page).text)
    assert f"{format_figure(likes, 'fr')} likes par tweet (vs " in text
    assert f"{format_figure(likes_q2, 'fr')} au T2" in text
    assert f"{format_rate(rate, 'fr')}" in text and "\u202f%" in format_rate(rate, "fr")
    assert "Benchmark des réseaux sociaux — T4 2023 & 2023" in text


def test_instagram_panels_show_no_repost_figures(report_fr):
    elements = _Elements(report_fr.html_path.read_text(encoding="utf-8"))
    instagram_metrics = {attributes.get("data-metric") for _, attributes in elements.tags
                         if attributes.get("data-panel") == IG_PANEL}
    x_metrics = {attributes.get("data-metric") for _, attributes in elements.tags
                 if attributes.get("data-panel") == X_PANEL}
    assert "reposts_per_post" in x_metrics
    assert "reposts_per_post" not in instagram_metrics
    assert "likes_per_post" in instagram_metrics


def test_charts_are_inline_svg_with_titles(report_fr):
    elements = _Elements(report_fr.html_path.read_text(encoding="utf-8"))
    charts = [attributes for tag, attributes in elements.tags if tag == "svg"]
    # X: 3 metrics × (top 5 + year ranking), followers, 2 activity charts; Instagram has no reposts: 2 × 2 + 3.
    assert len(charts) == 9 + 7
    assert all(attributes["role"] == "img" for attributes in charts)
    assert sum(1 for tag, _ in elements.tags if tag == "title") == 1 + len(charts)


def test_an_account_without_a_follower_count_at_the_start_is_new(report_fr, analytics_db):
    page = report_fr.html_path.read_text(encoding="utf-8")
    assert f"@{NEW_ACCOUNT}" in page
    row = page[page.index(f"@{NEW_ACCOUNT}"):]
    assert "nouveau" in row[:row.index("</tr>")]


def test_the_data_section_lists_files_checks_and_the_newest_date(report_fr):
    text = "".join(_Elements(report_fr.html_path.read_text(encoding="utf-8")).text)
    assert "x/tweets_2023.csv" in text and format_count(1234, "fr") in text
    assert "Contrôles réussis\u00a0: 2 sur 2." in text
    assert "31 décembre 2023" in text


def test_the_headline_markdown_has_a_table_per_panel(report_fr):
    markdown = report_fr.headline_markdown
    assert markdown.count("| Indicateur |") == 2
    assert f"### {X_PANEL} (X)" in markdown and f"### {IG_PANEL} (Instagram)" in markdown
    assert "RT par tweet" in markdown


def test_english_reports_use_english_words_and_marks(analytics_db, tmp_path):
    result = render_quarter_report(analytics_db, "2023-Q4", tmp_path, language="en")
    text = "".join(_Elements(result.html_path.read_text(encoding="utf-8")).text)
    assert "Social media benchmark — Q4 2023 & 2023" in text
    assert "likes per tweet (vs " in text and "in Q2" in text
    assert "\u202f" not in text
    assert "Not provided for this rendering." in text  # no run info, no landing_files table


def test_the_landing_files_table_is_preferred_to_the_run_info(tmp_path):
    database = write_analytics_db(tmp_path / "analytics.duckdb", with_landing_files=True)
    result = render_quarter_report(database, "2023-Q4", tmp_path / "out", run_info=RUN_INFO)
    text = "".join(_Elements(result.html_path.read_text(encoding="utf-8")).text)
    assert "instagram/posts_2023.csv" in text
    assert "instagram/posts.csv" not in text


@pytest.mark.parametrize("quarter", ["2023-Q1", "2023-Q2", "2023-Q3", "2024-Q1"])
def test_every_quarter_gets_its_html_and_pdf_even_without_data(analytics_db, tmp_path, quarter):
    result = render_quarter_report(analytics_db, quarter, tmp_path / quarter)
    assert result.html_path.is_file() and result.pdf_path.is_file()
    if quarter == "2024-Q1":
        assert "Aucun panel n’a de données pour ce trimestre." in result.html_path.read_text(encoding="utf-8")


def test_a_second_quarter_is_compared_with_the_first_only(analytics_db, tmp_path):
    result = render_quarter_report(analytics_db, "2023-Q2", tmp_path)
    text = "".join(_Elements(result.html_path.read_text(encoding="utf-8")).text)
    assert "au T1)" in text and "au T3" not in text
    assert "Sur 2023\u00a0:" in text


def test_the_definitions_appendix_is_read_from_docs_metrics_md(analytics_db, tmp_path, monkeypatch):
    definitions = tmp_path / "metrics.md"
    definitions.write_text(
        "# Metrics\n\n| metric | definition |\n| --- | --- |\n| `likes_per_post` | likes / n <i>x</i> |\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(render, "DEFINITIONS_PATH", definitions)
    result = render_quarter_report(analytics_db, "2023-Q4", tmp_path / "out")
    page = result.html_path.read_text(encoding="utf-8")
    assert "<code>likes_per_post</code>" in page
    assert "likes / n &lt;i&gt;x&lt;/i&gt;" in page


def test_a_missing_definitions_file_gives_a_pointer_instead(analytics_db, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "DEFINITIONS_PATH", tmp_path / "absent.md")
    result = render_quarter_report(analytics_db, "2023-Q4", tmp_path / "out")
    assert "docs/metrics.md" in result.html_path.read_text(encoding="utf-8")


def test_a_rerun_replaces_the_files(analytics_db, tmp_path):
    first = render_quarter_report(analytics_db, "2023-Q4", tmp_path, run_info=RUN_INFO)
    first.html_path.write_text("stale", encoding="utf-8")
    second = render_quarter_report(analytics_db, "2023-Q4", tmp_path, run_info=RUN_INFO)
    assert second.html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["index.html", "report.pdf"]


def test_a_large_panels_ranking_runs_on_over_several_pdf_pages(tmp_path):
    database = write_analytics_db(tmp_path / "analytics.duckdb", extra_x_accounts=60)
    result = render_quarter_report(database, "2023-Q4", tmp_path / "out")
    small = render_quarter_report(write_analytics_db(tmp_path / "small.duckdb"), "2023-Q4", tmp_path / "small")
    pages = result.pdf_path.read_bytes().count(b"/Type /Page\n")
    assert pages > small.pdf_path.read_bytes().count(b"/Type /Page\n") + 3
    assert "66 comptes" in result.html_path.read_text(encoding="utf-8")


def test_bad_arguments_are_named(analytics_db, tmp_path):
    with pytest.raises(ValueError, match="not a quarter"):
        render_quarter_report(analytics_db, "2023Q4", tmp_path)
    with pytest.raises(ValueError, match="language"):
        render_quarter_report(analytics_db, "2023-Q4", tmp_path, language="de")
    with pytest.raises(FileNotFoundError, match="analytics database"):
        render_quarter_report(tmp_path / "missing.duckdb", "2023-Q4", tmp_path)


def _without_dates(pdf: bytes) -> list[bytes]:
    """The PDF's lines but its creation date and the ID made from it."""
    return [line for line in pdf.split(b"\n") if b"CreationDate" not in line and not line.startswith(b"/ID ")]


def test_the_quick_table_height_pass_draws_the_same_pdf_as_fpdf2s_own(tmp_path, monkeypatch):
    # a large panel: the audience table runs over pages (headings repeated), definitions' cells wrap
    database = write_analytics_db(tmp_path / "analytics.duckdb", extra_x_accounts=60)
    quick = render_quarter_report(database, "2023-Q4", tmp_path / "quick", run_info=RUN_INFO)

    from fpdf import FPDF

    from dagster_project.reports import pdf

    monkeypatch.setattr(pdf._ReportPDF, "_quick_table", FPDF.table)
    pdf._TEXT_WIDTHS.clear()
    monkeypatch.setattr(pdf._RememberingTTFFont, "get_text_width", pdf.TTFFont.get_text_width)
    reference = render_quarter_report(database, "2023-Q4", tmp_path / "fpdf2", run_info=RUN_INFO)

    assert _without_dates(quick.pdf_path.read_bytes()) == _without_dates(reference.pdf_path.read_bytes())


def test_several_quarters_render_in_worker_processes_exactly_as_one_by_one(analytics_db, tmp_path):
    quarters = ["2023-Q3", "2023-Q4", "2024-Q1"]
    parallel = render.render_quarter_reports(analytics_db, quarters, tmp_path / "parallel", run_info=RUN_INFO, workers=2)
    assert [label for label, _result in parallel] == quarters
    for label, result in parallel:
        alone = render_quarter_report(analytics_db, label, tmp_path / "alone" / label, run_info=RUN_INFO)
        assert result.html_path == tmp_path / "parallel" / label / "index.html"
        assert result.html_path.read_bytes() == alone.html_path.read_bytes()
        assert result.pdf_path.read_bytes() == alone.pdf_path.read_bytes()
        assert result.headline_markdown == alone.headline_markdown


def test_an_error_in_a_worker_process_reaches_the_caller(analytics_db, tmp_path):
    with pytest.raises(ValueError, match="not a quarter"):
        render.render_quarter_reports(analytics_db, ["2023-Q4", "2023Q3"], tmp_path, workers=2)


def test_the_pdfs_creation_date_is_the_runs_instant_in_the_reports_timezone(analytics_db, tmp_path):
    # RUN_INFO's 2024-01-05 10:00 carries no zone: it is read in the report's (Europe/Paris)
    result = render_quarter_report(analytics_db, "2023-Q4", tmp_path, run_info=RUN_INFO)
    assert b"/CreationDate (D:20240105100000+01'00')" in result.pdf_path.read_bytes()


def test_reports_of_other_quarters_are_removed_but_nothing_else(tmp_path):
    """`bts run --all` removes the reports of quarters the marts no longer hold (reports/assets.py)."""
    reports = tmp_path / "reports"
    for label in ("2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"):
        (reports / label).mkdir(parents=True)
        (reports / label / render.HTML_NAME).write_text("<html></html>")
        (reports / label / render.PDF_NAME).write_bytes(b"%PDF")
    (reports / "2023-Q3" / "notes.txt").write_text("the reader's own notes")
    (reports / "archive").mkdir()
    (reports / "archive" / render.HTML_NAME).write_text("kept: not a quarter's folder")
    (reports / "2022-Q4").write_text("a file, not a folder")
    (reports / "2022-Q3").mkdir()
    (reports / "2022-Q3" / "notes.txt").write_text("a quarter's folder with no report: not said removed")

    removed = render.remove_reports_of_other_quarters(reports, ["2023-Q4", "2024-Q1"])

    assert removed == ["2023-Q3", "2024-Q2"]
    assert sorted(path.name for path in reports.iterdir()) == ["2022-Q3", "2022-Q4", "2023-Q3", "2023-Q4", "2024-Q1",
                                                               "archive"]
    assert [path.name for path in (reports / "2023-Q3").iterdir()] == ["notes.txt"]
    for label in ("2023-Q4", "2024-Q1"):
        assert sorted(path.name for path in (reports / label).iterdir()) == [render.HTML_NAME, render.PDF_NAME]
    assert (reports / "archive" / render.HTML_NAME).exists()
    assert render.remove_reports_of_other_quarters(tmp_path / "none yet", ["2023-Q4"]) == []
