"""Numbers, quarters and dates written as a French or an English reader expects.

French: decimal comma (2,7), thousands grouped with a narrow no-break space
(10 000), a narrow no-break space before % (0,06 %), quarters "T4 2023".
English: 2.7, 10,000, 0.06%, "Q4 2023". Every function takes the value as the
marts store it (rates as fractions, growth already in percent) and only
rounds and writes it: nothing here is a metric.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

from dagster_project.quarters import Quarter

NARROW_NO_BREAK_SPACE = "\u202f"
MISSING = "—"

_DECIMAL_MARK = {"fr": ",", "en": "."}
_THOUSANDS_SEPARATOR = {"fr": NARROW_NO_BREAK_SPACE, "en": ","}
_PERCENT_SUFFIX = {"fr": NARROW_NO_BREAK_SPACE + "%", "en": "%"}
_QUARTER_LETTER = {"fr": "T", "en": "Q"}
_MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


def _is_missing(value: float | int | Decimal | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_decimal(value: float | int | Decimal) -> Decimal:
    # str() first: Decimal(0.15) is 0.1499999…, which would round 0.15 down.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def automatic_decimals(value: float | int | Decimal) -> int:
    """How many decimals a figure of this size is shown with: 0,06 · 0,84 · 2,7 · 27."""
    magnitude = abs(_as_decimal(value))
    if magnitude < 1:
        return 2
    if magnitude < 10:
        return 1
    return 0


def format_number(value: float | int | Decimal | None, decimals: int, language: str) -> str:
    """The value rounded half up to `decimals` places, with the language's marks; "—" when missing."""
    if _is_missing(value):
        return MISSING
    rounded = _as_decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""  # rounding -0.001 gives -0.00, which reads as a sign error
    integer_part, _, fraction_part = f"{abs(rounded):f}".partition(".")
    groups = []
    while len(integer_part) > 3:
        groups.insert(0, integer_part[-3:])
        integer_part = integer_part[:-3]
    groups.insert(0, integer_part)
    text = _THOUSANDS_SEPARATOR[language].join(groups)
    if fraction_part:
        text += _DECIMAL_MARK[language] + fraction_part
    return sign + text


def format_figure(value: float | int | Decimal | None, language: str) -> str:
    """A per-post or per-day figure with as many decimals as its size needs: "2,7", "0,84", "27"."""
    if _is_missing(value):
        return MISSING
    return format_number(value, automatic_decimals(value), language)


def format_count(value: float | int | Decimal | None, language: str) -> str:
    """A whole count with thousands grouped: "10 000" (fr), "10,000" (en)."""
    return format_number(value, 0, language)


def format_rate(fraction: float | Decimal | None, language: str) -> str:
    """A rate stored as a fraction, as a percentage: 0.0006 -> "0,06 %" (fr), "0.06%" (en)."""
    if _is_missing(fraction):
        return MISSING
    percent = _as_decimal(fraction) * 100
    return format_number(percent, automatic_decimals(percent), language) + _PERCENT_SUFFIX[language]


def format_growth_pct(percent: float | Decimal | None, language: str) -> str:
    """A growth already in percent, signed: 21.4 -> "+21 %"; under 1 point it keeps a decimal: "+0,4 %"."""
    if _is_missing(percent):
        return MISSING
    value = _as_decimal(percent)
    text = format_number(value, 1 if abs(value) < 1 else 0, language)
    if not text.startswith("-") and value != 0:
        text = "+" + text
    return text + _PERCENT_SUFFIX[language]


def format_quarter(label: str, language: str, with_year: bool = True) -> str:
    """"2023-Q4" -> "T4 2023" (fr) or "Q4 2023" (en); "T4" alone without the year."""
    quarter = Quarter.parse(label)
    short = f"{_QUARTER_LETTER[language]}{quarter.number}"
    return f"{short} {quarter.year}" if with_year else short


def format_date(day: dt.date | None, language: str) -> str:
    """"31 décembre 2023" (fr), "31 December 2023" (en)."""
    if day is None:
        return MISSING
    month = _MONTHS[language][day.month - 1]
    return f"{day.day} {month} {day.year}"


def format_datetime(moment: dt.datetime | None, language: str) -> str:
    """The date as format_date, then the time: "12 octobre 2023, 14:05"."""
    if moment is None:
        return MISSING
    return f"{format_date(moment.date(), language)}, {moment:%H:%M}"
