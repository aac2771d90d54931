"""Calendar quarters and years in the reporting timezone, labelled `YYYY-Qn`.

Dagster has no quarterly partitions class: the partitions are a
TimeWindowPartitionsDefinition on the cron `0 0 1 */3 *`, whose keys are the
quarters' first days (`2023-10-01`); this module turns them into labels.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

_LABEL = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclasses.dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, label: str) -> "Quarter":
        match = _LABEL.match(label.strip())
        if not match:
            raise ValueError(f"not a quarter: {label!r} (expected YYYY-Qn, e.g. 2023-Q4)")
        return cls(int(match.group(1)), int(match.group(2)))

    @staticmethod
    def is_label(text: str) -> bool:
        """Whether text is a quarter's label exactly as written (`2023-Q4`; not ` 2023-Q4`)."""
        return _LABEL.fullmatch(text) is not None

    @classmethod
    def containing(cls, day: dt.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def from_partition_key(cls, key: str) -> "Quarter":
        """`2023-10-01` (a partition key) -> 2023-Q4."""
        return cls.containing(dt.date.fromisoformat(key[:10]))

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        return self.next().start - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def partition_key(self) -> str:
        return self.start.isoformat()

    def next(self) -> "Quarter":
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def __str__(self) -> str:
        return self.label


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    if last < first:
        raise ValueError(f"{first} comes after {last}")
    quarters, current = [], first
    while current <= last:
        quarters.append(current)
        current = current.next()
    return quarters
