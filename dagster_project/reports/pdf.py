"""The report as a PDF, drawn with fpdf2 from the same view as the HTML.

fpdf2 is pure Python: no browser and no system library, so `make demo` makes
the PDF on a fresh machine. Text is set in Source Sans Pro from the
`font-source-sans-pro` wheel (a TTF with the French letters, the narrow
no-break space and ▲▼); charts are drawn from the charts.py layouts with
rectangles and text, the same geometry as the page's SVG. fpdf2 writes text
as text (no markup is interpreted), so post texts stay what they are.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import font_source_sans_pro
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, TTFFont
from fpdf.table import Table
from fpdf.util import Padding

from dagster_project.reports import charts
from dagster_project.reports.markdown import plain_text
from dagster_project.reports.view import Piece, ReportView

FONT_DIR = Path(font_source_sans_pro.__file__).parent / "files"
FONT = "SourceSansPro"
MARGIN = 12  # mm
PX = 0.24  # mm per chart pixel: a 540 px chart is 130 mm, two fit side by side on landscape A4
GUTTER = 8  # mm between two charts side by side
LINE = 5  # mm, body text line height
INK = (29, 36, 51)
MUTED = (91, 100, 120)
ACCENT = (31, 95, 168)
ACCENT_SOFT = (155, 187, 224)
CURRENT = (15, 61, 115)
BAND = (243, 245, 249)
TONES = {"up": (26, 127, 55), "down": (192, 57, 43), "new": (138, 90, 0), "same": MUTED, "neutral": MUTED}


@functools.cache
def _font_characters() -> frozenset[int]:
    return frozenset(TTFont(FONT_DIR / "SourceSansPro-Regular.ttf").getBestCmap())


def printable(text: str) -> str:
    """The text without the characters the font cannot draw (emoji mostly; the HTML keeps them)."""
    characters = _font_characters()
    return "".join(character for character in text if ord(character) in characters or character in "\n\t")


# Text widths by font, text and size. fpdf2's line breaking measures every cell's text one
# character at a time, and the line so far again after each character: the same texts many
# times over (each table cell is laid out twice, once for its row's height and once drawn).
_TEXT_WIDTHS: dict[tuple[str, str, float], tuple[int, float]] = {}
_MAX_REMEMBERED_WIDTHS = 500_000


class _RememberingTTFFont(TTFFont):
    """fpdf2's TrueType font, answering `get_text_width` from a cache: the same figures, since a width depends only on its arguments."""

    __slots__ = ()

    def get_text_width(self, text, font_size_pt, text_shaping_params):
        if text_shaping_params:
            return super().get_text_width(text, font_size_pt, text_shaping_params)
        key = (self.fontkey, text, font_size_pt)
        width = _TEXT_WIDTHS.get(key)
        if width is None:
            if len(_TEXT_WIDTHS) >= _MAX_REMEMBERED_WIDTHS:
                _TEXT_WIDTHS.clear()
            width = _TEXT_WIDTHS[key] = super().get_text_width(text, font_size_pt, text_shaping_params)
        elif font_size_pt > self.biggest_size_pt:
            self.biggest_size_pt = font_size_pt  # as the measure would have noted it
        return width


# Characters that make fpdf2's line breaking do more than lay a line out: those cells take its way.
_LINE_BREAK_SPECIALS = frozenset("\n\r\f\u00ad")


class _QuickTable(Table):
    """fpdf2's table, with the height of a plain one-line cell worked out instead of laid out.

    fpdf2 lays every cell out twice: once with writing disabled, for its row's height, and
    once drawn. For a body cell of plain text that fits its column on one line (most of the
    report's cells) the first pass can only find one line: its height is the line height plus
    the vertical padding, as fpdf2 computes it. Every other cell (headings, wrapped or special
    text) takes fpdf2's own pass. The drawing pass is fpdf2's, untouched.
    """

    def _render_table_cell(self, i, j, cell, row_height, cell_height_info=None, cell_x_positions=None, **kwargs):
        if cell_height_info is None and self._one_plain_line(i, j, cell):
            padding = Padding.new(cell.padding) if cell.padding else self._padding
            self._fpdf.set_x(0)  # as fpdf2's height pass leaves it (it restores the position after the table's pass)
            return False, 0, (0.0 + row_height) + padding.top + padding.bottom
        return super()._render_table_cell(
            i, j, cell, row_height, cell_height_info=cell_height_info, cell_x_positions=cell_x_positions, **kwargs
        )

    def _one_plain_line(self, i: int, j: int, cell) -> bool:
        fpdf = self._fpdf
        if (
            not cell.text
            or cell.img is not None
            or cell.rowspan != 1
            or cell.colspan != 1
            or cell.style is not None
            or cell.padding is not None
            or i < self._num_heading_rows
            or self.rows[i].style is not None
            or self._markdown
            or self._cell_fill_mode.should_fill_cell(i, j)
            or fpdf.text_shaping
            or fpdf.char_spacing
            or fpdf.font_stretching != 100
            or not fpdf.is_ttf_font
            or _LINE_BREAK_SPECIALS.intersection(cell.text)
        ):
            return False
        # the body cells' font is the table's initial one, the current font during the height pass
        if fpdf.font_face() != self._initial_style:
            return False
        _, width = fpdf.current_font.get_text_width(cell.text, fpdf.font_size_pt, None)
        padding = Padding.new(cell.padding) if cell.padding else self._padding
        room = self._get_col_width(i, j, cell.colspan) - padding.left - padding.right
        # a margin well above fpdf2's float tolerance: a text near the edge takes fpdf2's own pass
        return width / fpdf.k < room - 0.01


class _ReportPDF(FPDF):
    def __init__(self, report: ReportView):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report = report
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.add_font(FONT, "", FONT_DIR / "SourceSansPro-Regular.ttf")
        self.add_font(FONT, "B", FONT_DIR / "SourceSansPro-Bold.ttf")
        self.add_font(FONT, "I", FONT_DIR / "SourceSansPro-It.ttf")
        for font in self.fonts.values():
            if type(font) is TTFFont:
                font.__class__ = _RememberingTTFFont
        self.set_title(report.title)
        self.set_lang(report.language)
        self.set_creator("bts-benchmark")
        # the run's instant, as the HTML shows it, not the moment this file was laid out:
        # the same marts and run give the same bytes, whichever process wrote them
        self.set_creation_date(report.generated_at)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, printable(f"{self.report.title} · {self.report.texts['page']} {self.page_no()}"), align="R")

    # Text

    def text_line(self, text: str, size: float = 10, style: str = "", color: tuple[int, int, int] = INK,
                  height: float = LINE) -> None:
        self.set_font(FONT, style, size)
        self.set_text_color(*color)
        self.multi_cell(0, height, printable(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str, level: int, keep_with: float = 0) -> None:
        """A heading; `keep_with` mm of what follows must fit under it, or both go to the next page."""
        sizes = {2: 15, 3: 12.5, 4: 10.5}
        if level == 2:
            self.ensure_room(40)
            self.ln(2)
            self.set_fill_color(*ACCENT)
            self.set_text_color(255, 255, 255)
            self.set_font(FONT, "B", sizes[2])
            self.cell(0, 9, printable(text), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(2)
            return
        self.ensure_room(max(keep_with + 12, 30 if level == 3 else 20))
        self.ln(2 if level > 3 else 3)
        self.text_line(text, size=sizes[level], style="B", color=INK if level < 4 else MUTED, height=6)
        if level == 3:
            self.set_draw_color(217, 221, 230)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(1.5)

    def sentence(self, pieces: list[Piece], size: float = 10, color: tuple[int, int, int] = INK) -> None:
        self.set_text_color(*color)
        for piece in pieces:
            self.set_font(FONT, "B" if piece.cell else "", size)
            self.write(LINE, printable(piece.text))
        self.ln(LINE)

    def ensure_room(self, height: float) -> None:
        """Starts a new page unless `height` mm still fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    # Tables

    def data_table(self, header: list[str], rows: list[list[str]], col_widths: list[float] | None = None,
                   left_columns: int = 1, size: float = 8.5) -> None:
        """A table whose first `left_columns` columns are text, the others right-aligned figures."""
        self.set_font(FONT, "", size)
        self.set_text_color(*INK)
        self.set_draw_color(217, 221, 230)
        # The table takes the current fill colour as its cells' background: white, not the last heading's blue.
        self.set_fill_color(255, 255, 255)
        alignment = ["LEFT" if index < left_columns else "RIGHT" for index in range(len(header))]
        with self._quick_table(
            col_widths=col_widths,
            text_align=alignment,
            line_height=4.6,
            borders_layout="HORIZONTAL_LINES",
            headings_style=FontFace(emphasis="BOLD", fill_color=BAND),
            padding=(0.8, 1.5),
        ) as table:
            for cells in [header, *rows]:
                row = table.row()
                for text in cells:
                    row.cell(printable(text))
        self.ln(2)

    @contextlib.contextmanager
    def _quick_table(self, **options) -> Iterator[_QuickTable]:
        """`FPDF.table`, with the quicker height pass of `_QuickTable`."""
        table = _QuickTable(self, **options)
        yield table
        table.render()

    # Charts

    def chart_pair(self, pair: list[charts.BarChart | charts.ColumnChart]) -> None:
        """Draws up to two charts side by side, each with its title above; a chart taller than a page runs on."""
        height = chart_pair_height(pair)
        if height > self.page_break_trigger - self.t_margin:
            for chart in pair:
                self._long_bar_chart(chart)
            return
        self.ensure_room(height)
        top = self.get_y()
        for index, chart in enumerate(pair):
            left = self.l_margin + index * (chart.width * PX + GUTTER)
            self._chart_title(chart, left, top)
            if isinstance(chart, charts.BarChart):
                if not chart.bars:
                    self._text_at(left, top + 6, chart.width * PX, chart.row_height * PX, chart.empty_text, "C", 8,
                                  MUTED, "I")
                for bar in chart.bars:
                    self._bar_row(chart, bar, left, top + 6 + bar.y * PX)
            else:
                self._column_chart(chart, left, top + 6)
        self.set_xy(self.l_margin, top + height)

    def _chart_title(self, chart: charts.BarChart | charts.ColumnChart, left: float, top: float) -> None:
        self.set_xy(left, top)
        self.set_font(FONT, "B", 8.5)
        self.set_text_color(*INK)
        self.cell(chart.width * PX, 5, printable(chart.title))

    def _long_bar_chart(self, chart: charts.BarChart) -> None:
        """A bar chart with more rows than a page holds (a large panel's ranking), continued page after page."""
        row = chart.row_height * PX
        self.ensure_room(6 + row)
        self._chart_title(chart, self.l_margin, self.get_y())
        y = self.get_y() + 6
        for bar in chart.bars:
            if y + row > self.page_break_trigger:
                self.add_page()
                y = self.t_margin
            self._bar_row(chart, bar, self.l_margin, y)
            y += row
        self.set_xy(self.l_margin, y + 2)

    def _text_at(self, left: float, top: float, width: float, height: float, text: str, align: str,
                 size: float, color: tuple[int, int, int], style: str = "") -> None:
        self.set_xy(left, top)
        self.set_font(FONT, style, size)
        self.set_text_color(*color)
        self.cell(width, height, printable(text), align=align)

    def _bar_row(self, chart: charts.BarChart, bar: charts.Bar, left: float, y: float) -> None:
        row = chart.row_height * PX
        self._text_at(left, y, (chart.label_width - 8) * PX, row, bar.label, "R", 7.5, INK)
        self.set_fill_color(*ACCENT)
        if bar.length > 0:
            self.rect(left + chart.label_width * PX, y + (chart.row_height - chart.bar_height) / 2 * PX,
                      bar.length * PX, chart.bar_height * PX, style="F")
        self._text_at(left + (chart.label_width + bar.length + 4) * PX, y, 20, row, bar.value_text, "L", 7.5, INK)
        self._text_at(left + (chart.width - charts.NOTE_WIDTH) * PX, y, (charts.NOTE_WIDTH - 4) * PX, row,
                      bar.note, "R", 7, TONES.get(bar.tone, MUTED), "B")

    def _column_chart(self, chart: charts.ColumnChart, left: float, top: float) -> None:
        baseline = top + chart.baseline * PX
        self.set_draw_color(*MUTED)
        self.line(left, baseline, left + chart.width * PX, baseline)
        if not chart.columns:
            self._text_at(left, top, chart.width * PX, chart.baseline * PX, chart.empty_text, "C", 8, MUTED, "I")
        for column in chart.columns:
            self.set_fill_color(*(CURRENT if column.is_current else ACCENT_SOFT))
            x, width = left + column.x * PX, column.width * PX
            if column.height > 0:
                self.rect(x, top + column.top * PX, width, column.height * PX, style="F")
            self._text_at(x - 4, top + column.top * PX - 5, width + 8, 4, column.value_text, "C", 7.5, INK, "B")
            self._text_at(x - 4, baseline + 1.5, width + 8, 4, column.label, "C", 7.5, INK)


def chart_pair_height(pair: list[charts.BarChart | charts.ColumnChart]) -> float:
    """The height in mm of charts drawn side by side, with their titles."""
    return max(chart.height for chart in pair) * PX + 7


def pdf_bytes(report: ReportView) -> bytes:
    """The report as PDF bytes: the HTML's sections, in the same order."""
    pdf = _ReportPDF(report)
    texts = report.texts
    pdf.add_page()
    pdf.text_line(report.title, size=20, style="B", height=9)
    pdf.text_line(f"{texts['generated']} {report.generated}", size=9, color=MUTED)
    if not report.panels:
        pdf.ln(4)
        pdf.text_line(texts["no_panel"])
    for panel in report.panels:
        pdf.heading(f"{panel.panel} — {panel.platform_name} · {panel.accounts} {texts['accounts']}", 2)

        pdf.heading(texts["headline"], 3)
        for row in panel.headline_rows:
            pdf.ensure_room(2 * LINE)
            pdf.sentence(row.quarter_sentence)
            pdf.sentence(row.year_sentence, size=9, color=MUTED)
        pdf.ln(2)
        label_width = 55
        other = (pdf.epw - label_width) / (len(panel.headline_columns) - 1)
        pdf.data_table(panel.headline_columns, [[row.label, *(cell.text for cell in row.cells)]
                                                 for row in panel.headline_rows],
                       col_widths=[label_width, *[other] * (len(panel.headline_columns) - 1)])
        pdf.text_line(texts["headline_note"], size=8, color=MUTED)

        first_pair = [panel.rankings[0].quarter_top, panel.rankings[0].year_ranking] if panel.rankings else []
        pdf.heading(texts["rankings"], 3, keep_with=chart_pair_height(first_pair) + 5 if first_pair else 0)
        pdf.text_line(texts["movement_note"], size=8, color=MUTED)
        for pair in panel.rankings:
            pdf.chart_pair([pair.quarter_top, pair.year_ranking])

        pdf.heading(texts["audience"], 3, keep_with=chart_pair_height([panel.followers_chart]))
        pdf.chart_pair([panel.followers_chart])
        pdf.data_table(
            panel.audience_columns,
            [[row.followers_rank, f"{row.display_name} @{row.handle}", row.followers_end.text,
              row.previous_followers_end, row.growth.text, row.following_end, row.following_rank]
             for row in panel.audience_rows],
            col_widths=[14, 80, 36, 36, 45, 36, 26],
            left_columns=2,
        )

        pdf.heading(texts["activity"], 3, keep_with=chart_pair_height(panel.activity_charts))
        pdf.chart_pair(panel.activity_charts)

        pdf.heading(texts["top_posts"], 3)
        pdf.text_line(texts["top_posts_note"], size=8, color=MUTED)
        if not panel.top_posts:
            pdf.text_line(texts["no_data"], color=MUTED)
        for post in panel.top_posts:
            pdf.ensure_room(30)
            pdf.text_line(f"{post.rank}. {post.display_name} @{post.handle}", size=10.5, style="B")
            pdf.text_line(f"{texts['published']} {post.published}", size=8.5, color=MUTED)
            pdf.set_fill_color(*BAND)
            pdf.set_font(FONT, "", 9.5)
            pdf.set_text_color(*INK)
            pdf.multi_cell(0, 4.6, printable(post.text), fill=True, align="L", padding=1.5,
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            figures = [(texts["post_interaction"], post.post_interaction.text), *post.figures]
            pdf.text_line(" · ".join(f"{label}\u00a0: {value}" if report.language == "fr" else f"{label}: {value}"
                                     for label, value in figures), size=8.5)
            if post.permalink:
                pdf.set_font(FONT, "", 8.5)
                pdf.set_text_color(*ACCENT)
                pdf.cell(0, LINE, printable(post.permalink), link=post.permalink,
                         new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)

        pdf.heading(texts["hashtags"], 3)
        if panel.hashtags:
            pdf.data_table([texts["hashtag"], texts["posts"], texts["hashtag_accounts"], texts["reactions"]],
                           [[row.hashtag, row.posts, row.accounts, row.reactions] for row in panel.hashtags],
                           col_widths=[100, 40, 40, 40])
        else:
            pdf.text_line(texts["no_data"], color=MUTED)

    _data_pages(pdf, report)
    return bytes(pdf.output())


def _data_pages(pdf: _ReportPDF, report: ReportView) -> None:
    texts, data = report.texts, report.data
    pdf.heading(texts["data"], 2)
    pdf.heading(texts["files_loaded"], 3)
    pdf.text_line(data.files_summary)
    if data.files:
        pdf.data_table([texts["path"], texts["format"], texts["rows"], texts["loaded_at"]],
                       [list(row) for row in data.files], col_widths=[130, 50, 30, 50], left_columns=2, size=8)
    pdf.heading(texts["checks"], 3)
    pdf.text_line(data.checks_summary)
    for name, passed in data.checks or []:
        pdf.text_line(f"{texts['passed'] if passed else texts['failed']} — {name}", size=8.5,
                      color=TONES["up"] if passed else TONES["down"])
    pdf.ln(2)
    pdf.text_line(f"{texts['newest_data']} {data.newest_data}")

    pdf.heading(texts["definitions"], 3)
    if data.definitions is None:
        pdf.text_line(texts["definitions_missing"])
        return
    for block in data.definitions:
        if block.kind == "heading":
            pdf.heading(plain_text(block.spans), 4)
        elif block.kind == "paragraph":
            pdf.text_line(plain_text(block.spans), size=9)
            pdf.ln(1)
        elif block.kind == "list":
            for item in block.items:
                pdf.text_line(f"• {plain_text(item)}", size=9)
            pdf.ln(1)
        elif block.kind == "table":
            pdf.data_table([plain_text(cell) for cell in block.header],
                           [[plain_text(cell) for cell in row] for row in block.rows],
                           left_columns=len(block.header), size=8)
        elif block.kind == "code":
            pdf.set_font(FONT, "", 8)
            pdf.set_fill_color(*BAND)
            pdf.set_text_color(*INK)
            pdf.multi_cell(0, 4, printable(block.code), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
