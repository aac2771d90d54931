"""The quarterly partitions shared by every asset of the pipeline."""

from __future__ import annotations

import dagster as dg

from . import settings
from .quarters import Quarter

QUARTERLY_CRON = "0 0 1 */3 *"


def quarterly_partitions() -> dg.TimeWindowPartitionsDefinition:
    """Quarters from BTS_FIRST_QUARTER to the last complete one, in the reporting timezone.

    Keys are the quarters' first days (`2023-10-01`): Dagster's time windows
    need a strftime format, and `YYYY-Qn` is not one. `quarter_of` gives labels.
    """
    first = Quarter.parse(settings.first_quarter())
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule=QUARTERLY_CRON,
        start=first.partition_key,
        fmt="%Y-%m-%d",
        timezone=settings.timezone_name(),
    )


def quarters_of_context(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> list[Quarter]:
    """The quarters a run covers: one partition, or a range in a single-run backfill."""
    key_range = context.partition_key_range
    first = Quarter.from_partition_key(key_range.start)
    last = Quarter.from_partition_key(key_range.end)
    quarters = [first]
    while quarters[-1] < last:
        quarters.append(quarters[-1].next())
    return quarters


def quarter_of(partition_key: str) -> str:
    return Quarter.from_partition_key(partition_key).label
