"""Chart layouts: where each bar, label and value goes, in pixels.

A layout is plain data with the texts already formatted. The HTML template
draws it as inline SVG (autoescaped like any other text, so no data is ever
markup) and pdf.py draws the same layout with fpdf2's rectangles and text:
one geometry, two renderings, no chart library and no JavaScript.
Bar lengths are proportional to the values read from the marts; the values
themselves are shown as the marts store them.
"""

from __future__ import annotations

import dataclasses

BAR_CHART_WIDTH = 540
LABEL_WIDTH = 190
VALUE_WIDTH = 64
NOTE_WIDTH = 76
ROW_HEIGHT = 22
BAR_HEIGHT = 15
CHART_PADDING = 6
LABEL_MAX_CHARS = 30

COLUMN_CHART_WIDTH = 540
COLUMN_CHART_HEIGHT = 220
COLUMN_AREA_TOP = 24  # room for the value written above the tallest column
COLUMN_AREA_BOTTOM = 34  # room for the quarter labels under the axis
COLUMN_GAP_RATIO = 0.35


@dataclasses.dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: float
    length: float
    note: str  # movement ("▲ 2", "nouveau") or growth ("+21 %")
    tone: str  # "up", "down", "same", "new" or "neutral": the note's colour


@dataclasses.dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per account, in ranking order."""

    title: str
    panel: str
    metric: str
    period: str
    bars: list[Bar]
    empty_text: str
    width: int = BAR_CHART_WIDTH
    label_width: int = LABEL_WIDTH
    bar_area_width: int = BAR_CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH - NOTE_WIDTH
    row_height: int = ROW_HEIGHT
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return 2 * CHART_PADDING + max(len(self.bars), 1) * ROW_HEIGHT


@dataclasses.dataclass(frozen=True)
class Column:
    label: str
    value_text: str
    x: float
    width: float
    top: float
    height: float
    is_current: bool


@dataclasses.dataclass(frozen=True)
class ColumnChart:
    """Vertical columns, one per quarter, oldest first."""

    title: str
    panel: str
    metric: str
    period: str
    columns: list[Column]
    empty_text: str
    width: int = COLUMN_CHART_WIDTH
    height: int = COLUMN_CHART_HEIGHT
    baseline: int = COLUMN_CHART_HEIGHT - COLUMN_AREA_BOTTOM


@dataclasses.dataclass(frozen=True)
class BarInput:
    """One account's bar before layout: its value (for the length) and its texts."""

    label: str
    value: float | None
    value_text: str
    note: str
    tone: str


def shorten(label: str, max_chars: int = LABEL_MAX_CHARS) -> str:
    """The label cut to fit the label column, with an ellipsis when cut."""
    return label if len(label) <= max_chars else label[: max_chars - 1].rstrip() + "…"


def _scale(values: list[float | None], available: float) -> list[float]:
    """Lengths proportional to the values, the largest filling `available`; missing or negative values get 0."""
    # float(): a DECIMAL column arrives as decimal.Decimal, which does not multiply with a float.
    numbers = [float(value) if value is not None and value > 0 else 0.0 for value in values]
    largest = max(numbers, default=0.0)
    if largest == 0:
        return [0.0 for _ in values]
    return [round(available * number / largest, 1) for number in numbers]


def bar_chart(title: str, panel: str, metric: str, period: str, inputs: list[BarInput], empty_text: str) -> BarChart:
    """A horizontal bar chart laid out from rows already in display order."""
    chart = BarChart(title=title, panel=panel, metric=metric, period=period, bars=[], empty_text=empty_text)
    lengths = _scale([bar.value for bar in inputs], chart.bar_area_width)
    bars = [
        Bar(
            label=shorten(bar.label),
            value_text=bar.value_text,
            y=CHART_PADDING + index * ROW_HEIGHT,
            length=length,
            note=bar.note,
            tone=bar.tone,
        )
        for index, (bar, length) in enumerate(zip(inputs, lengths))
    ]
    return dataclasses.replace(chart, bars=bars)


def column_chart(
    title: str,
    panel: str,
    metric: str,
    period: str,
    points: list[tuple[str, float | None, str, bool]],
    empty_text: str,
) -> ColumnChart:
    """A column chart of (label, value, value text, is current) points, left to right."""
    chart = ColumnChart(title=title, panel=panel, metric=metric, period=period, columns=[], empty_text=empty_text)
    if not points:
        return chart
    slot = (chart.width - 2 * CHART_PADDING) / len(points)
    column_width = slot * (1 - COLUMN_GAP_RATIO)
    heights = _scale([value for _, value, _, _ in points], chart.baseline - COLUMN_AREA_TOP)
    columns = [
        Column(
            label=label,
            value_text=value_text,
            x=round(CHART_PADDING + index * slot + (slot - column_width) / 2, 1),
            width=round(column_width, 1),
            top=round(chart.baseline - height, 1),
            height=height,
            is_current=is_current,
        )
        for index, ((label, _, value_text, is_current), height) in enumerate(zip(points, heights))
    ]
    return dataclasses.replace(chart, columns=columns)
