"""The quarterly schedule: the quarter that just ended, once its exports have had time to arrive.

Exports of a quarter's last days arrive late (X's analytics lag by a few
days), so the run waits until the 5th day after the quarter's end, 06:00 in
the reporting timezone. Dagster's build_schedule_from_partitioned_job can only
fire at a partition's end, so the schedule is written out here.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from .. import settings
from ..quarters import Quarter
from . import PIPELINE_JOB

# Minute 0, hour 6, day 5 of the months that follow a quarter's end.
QUARTERLY_CRON = "0 6 5 1,4,7,10 *"


def quarter_just_ended(moment: dt.datetime, timezone: str) -> Quarter:
    """The last quarter that ended before `moment`, in the reporting timezone."""
    return Quarter.containing(moment.astimezone(ZoneInfo(timezone)).date()).previous()


@dg.schedule(
    name="quarterly_schedule",
    cron_schedule=QUARTERLY_CRON,
    execution_timezone=settings.timezone_name(),
    job_name=PIPELINE_JOB,
    description=(
        "Runs the whole pipeline for the quarter that just ended, on the 5th day after its end at 06:00 "
        "(reporting timezone): exports arrive late."
    ),
)
def quarterly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    timezone = settings.timezone_name()
    moment = context.scheduled_execution_time or dt.datetime.now(ZoneInfo(timezone))
    quarter = quarter_just_ended(moment, timezone)
    first = Quarter.parse(settings.first_quarter())
    if quarter < first:
        return dg.SkipReason(f"{quarter} is before BTS_FIRST_QUARTER={first}, where the partitions start")
    return dg.RunRequest(run_key=quarter.label, partition_key=quarter.partition_key, tags={"bts/quarter": quarter.label})
