"""A quarter's report, as `index.html` and `report.pdf`: the entry point the Dagster asset calls.

The HTML is one self-contained file (CSS and SVG charts inline, no script,
a Content-Security-Policy that forbids any fetch), so it opens offline from
the disk. Both files are written beside each other under temporary names
and renamed over the old ones, so a reader never opens a half-written report.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from dagster_project import settings
from dagster_project.quarters import Quarter
from dagster_project.reports.marts import Marts
from dagster_project.reports.pdf import pdf_bytes
from dagster_project.reports.view import ReportView, RunInfo, build_report

__all__ = ["ReportResult", "RunInfo", "render_quarter_report", "render_quarter_reports", "DEFINITIONS_PATH"]

DEFINITIONS_PATH = settings.REPO_ROOT / "docs" / "metrics.md"
HTML_NAME = "index.html"
PDF_NAME = "report.pdf"

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    # Always on, whatever the file name: post texts and account names are data, never markup.
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclasses.dataclass(frozen=True)
class ReportResult:
    html_path: Path
    pdf_path: Path
    headline_markdown: str  # the headline figures of every panel, for the asset's Dagster metadata


def render_quarter_report(
    analytics_db: Path,
    quarter: str,
    out_dir: Path,
    language: str = "fr",
    run_info: RunInfo | None = None,
) -> ReportResult:
    """Writes the quarter's report (index.html and report.pdf) into out_dir and returns their paths.

    `analytics_db` is a DuckDB file with the MARTS.md tables in schema `marts`;
    `quarter` is `YYYY-Qn`. Earlier quarters and years are read from the same
    tables where present; a missing one is left out, never an error.
    """
    parsed = Quarter.parse(quarter)
    timezone = ZoneInfo(settings.timezone_name())
    with Marts(Path(analytics_db)) as marts:
        report = build_report(marts, parsed, language, run_info, DEFINITIONS_PATH, timezone)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = _write_atomically(out_dir / HTML_NAME, html_text(report).encode("utf-8"))
    pdf_path = _write_atomically(out_dir / PDF_NAME, pdf_bytes(report))
    return ReportResult(html_path=html_path, pdf_path=pdf_path, headline_markdown=headline_markdown(report))


def render_quarter_reports(
    analytics_db: Path,
    quarters: Sequence[str],
    reports_dir: Path,
    language: str = "fr",
    run_info: RunInfo | None = None,
    workers: int | None = None,
) -> list[tuple[str, ReportResult]]:
    """render_quarter_report for each quarter, into reports_dir/<quarter>, in the quarters' order.

    Laying out a PDF is pure Python, about a second per quarter: a run of
    several quarters renders them in worker processes, one per core (at most
    `workers`). Each worker reads analytics.duckdb read-only, which DuckDB
    allows from several processes. Workers are spawned, not forked: the
    caller is a Dagster process with threads. The first error is raised here.
    """
    quarters = list(quarters)
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = max(1, min(workers, len(quarters)))
    arguments = [(Path(analytics_db), quarter, Path(reports_dir) / quarter, language, run_info) for quarter in quarters]
    if workers == 1:
        return [(quarter, render_quarter_report(*args)) for quarter, args in zip(quarters, arguments)]
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(render_quarter_report, *args) for args in arguments]
        return [(quarter, future.result()) for quarter, future in zip(quarters, futures)]


def remove_reports_of_other_quarters(reports_dir: Path, quarters: Sequence[str]) -> list[str]:
    """Removes the reports of quarters that are not in `quarters`; returns their labels, in order.

    For `bts run --all`, whose quarters are all that has data: the marts keep no
    other quarter, and a report left behind would show figures of posts that
    have left the warehouse. Only what render_quarter_report writes goes (the
    HTML page and the PDF), and the folder when nothing else is left in it; a
    folder whose name is not a quarter, or a file someone put there, stays.
    """
    keep = set(quarters)
    removed = []
    if not Path(reports_dir).is_dir():
        return removed
    for folder in sorted(Path(reports_dir).iterdir()):
        if folder.name in keep or not folder.is_dir() or not Quarter.is_label(folder.name):
            continue
        reports = [folder / name for name in (HTML_NAME, PDF_NAME) if (folder / name).is_file()]
        if not reports:
            continue  # no report there: nothing to say removed
        for path in reports:
            path.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()
        removed.append(folder.name)
    return removed


def html_text(report: ReportView) -> str:
    """The report as one self-contained HTML page."""
    return _TEMPLATES.get_template("report.html.j2").render(report=report)


def headline_markdown(report: ReportView) -> str:
    """A Markdown table of the headline figures per panel, for the Dagster UI."""
    if not report.panels:
        return report.texts["no_panel"]
    sections = [f"## {report.title}"]
    for panel in report.panels:
        header = panel.headline_columns
        lines = [
            f"### {_markdown_cell(panel.panel)} ({panel.platform_name})",
            "",
            "| " + " | ".join(_markdown_cell(column) for column in header) + " |",
            "|" + "---|" * len(header),
        ]
        for row in panel.headline_rows:
            cells = [row.label, *(cell.text for cell in row.cells)]
            lines.append("| " + " | ".join(_markdown_cell(cell) for cell in cells) + " |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n"


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _write_atomically(path: Path, content: bytes) -> Path:
    """Writes content to path through a temporary file in the same folder, renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o644)  # mkstemp creates it 0600; readers of the report are other users too
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
