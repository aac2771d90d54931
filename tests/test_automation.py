"""The quarterly schedule and the landing sensor, evaluated with Dagster's build_*_context helpers."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator

from dagster_project.automation import schedule as schedule_module
from dagster_project.automation import sensor as sensor_module
from dagster_project.automation.schedule import QUARTERLY_CRON, quarterly_schedule
from dagster_project.automation.sensor import AND_LATER, LandingState, landing_sensor
from dagster_project.quarters import Quarter

PARIS = ZoneInfo("Europe/Paris")
ACCOUNTS = (
    "panel,platform,handle,company,display_name,account_type,member_from,member_to\n"
    "x_pharma_fr,x,sanofi,Sanofi,Sanofi,corporate,,\n"
)
POSTS_HEADER = "platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink\n"
FOLLOWERS_HEADER = "platform,handle,date,followers,following\n"
PARTITIONS = [quarter.label for quarter in (Quarter(2022, n) for n in range(1, 5))] + [
    quarter.label for quarter in (Quarter(2023, n) for n in range(1, 5))
]


def posts(*published: str, first_id: int = 1) -> str:
    rows = [
        f"x,sanofi,{first_id + index},{moment},post,texte,1,0,0,0,10,https://x.com/sanofi/status/{first_id + index}\n"
        for index, moment in enumerate(published)
    ]
    return POSTS_HEADER + "".join(rows)


@pytest.fixture
def pipeline_env(tmp_path, monkeypatch):
    """Partitions 2022-Q1 to 2023-Q4 (the run date is in 2024-Q1); a warehouse folder the sensor must leave alone."""
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("BTS_LANDING_DIR", str(landing))
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("BTS_FIRST_QUARTER", "2022-Q1")
    monkeypatch.setenv("BTS_RUN_DATE", "2024-02-10")
    monkeypatch.setenv("BTS_TIMEZONE", "Europe/Paris")
    return tmp_path


class Landing:
    """The landing directory and the sensor's cursor between ticks, as the daemon keeps it."""

    def __init__(self, root: Path):
        self.dir = root / "landing"
        self.cursor: str | None = None
        self.age = 3600  # seconds in the past: files written by a test are not "being copied"

    def write(self, relative: str, text: str) -> Path:
        path = self.dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.age -= 1  # each write gets its own, later, mtime
        stamp = time.time() - self.age
        os.utime(path, (stamp, stamp))
        return path

    def tick(self) -> dg.SensorResult:
        result = landing_sensor(dg.build_sensor_context(cursor=self.cursor))
        self.cursor = result.cursor
        return result

    def quarters_run(self) -> list[str]:
        return [Quarter.from_partition_key(request.partition_key).label for request in self.tick().run_requests]


@pytest.fixture
def landing(pipeline_env) -> Landing:
    landing = Landing(pipeline_env)
    landing.write("accounts.csv", ACCOUNTS)
    landing.write("x/posts_2023-Q1.csv", posts("2023-02-01T10:00:00+00:00", "2023-03-15T10:00:00+00:00"))
    landing.write("x/posts_2023-Q3.csv", posts("2023-08-01T10:00:00+00:00", first_id=100))
    landing.tick()
    return landing


# --- schedule ----------------------------------------------------------------------------


def test_the_schedule_fires_on_the_fifth_day_after_each_quarter_at_six_in_the_reporting_timezone():
    assert quarterly_schedule.cron_schedule == QUARTERLY_CRON
    assert quarterly_schedule.execution_timezone == "Europe/Paris"
    start = dt.datetime(2023, 12, 1, tzinfo=PARIS).timestamp()
    ticks = cron_string_iterator(start, QUARTERLY_CRON, "Europe/Paris")
    assert [next(ticks) for _ in range(4)] == [
        dt.datetime(2024, 1, 5, 6, 0, tzinfo=PARIS),
        dt.datetime(2024, 4, 5, 6, 0, tzinfo=PARIS),
        dt.datetime(2024, 7, 5, 6, 0, tzinfo=PARIS),
        dt.datetime(2024, 10, 5, 6, 0, tzinfo=PARIS),
    ]


@pytest.mark.parametrize(
    "tick, quarter",
    [
        (dt.datetime(2024, 1, 5, 6, 0, tzinfo=PARIS), "2023-Q4"),
        (dt.datetime(2024, 4, 5, 6, 0, tzinfo=PARIS), "2024-Q1"),
        (dt.datetime(2024, 7, 5, 6, 0, tzinfo=PARIS), "2024-Q2"),
        (dt.datetime(2024, 10, 5, 6, 0, tzinfo=PARIS), "2024-Q3"),
        # 06:00 in Paris on 5 January is still 5 January in UTC; the quarter comes from the local date either way.
        (dt.datetime(2024, 1, 5, 5, 0, tzinfo=dt.timezone.utc), "2023-Q4"),
    ],
)
def test_the_schedule_runs_the_partition_of_the_quarter_that_just_ended(monkeypatch, tick, quarter):
    monkeypatch.setenv("BTS_FIRST_QUARTER", "2022-Q1")
    request = quarterly_schedule(dg.build_schedule_context(scheduled_execution_time=tick))
    assert isinstance(request, dg.RunRequest)
    assert request.partition_key == Quarter.parse(quarter).partition_key
    assert request.tags["bts/quarter"] == quarter


def test_the_schedule_targets_the_whole_graph_of_the_partition():
    from dagster_project.definitions import defs

    job = defs.resolve_job_def(quarterly_schedule.job_name)
    assert job.partitions_def is not None
    assert job.partitions_def.has_partition_key(Quarter.parse("2023-Q4").partition_key)
    every_asset = defs.resolve_asset_graph().get_all_asset_keys()
    assert set(job.asset_layer.executable_asset_keys) == set(every_asset)


def test_the_schedule_skips_a_quarter_before_the_first_partition(monkeypatch):
    monkeypatch.setenv("BTS_FIRST_QUARTER", "2024-Q1")
    result = quarterly_schedule(dg.build_schedule_context(scheduled_execution_time=dt.datetime(2024, 1, 5, 6, tzinfo=PARIS)))
    assert isinstance(result, dg.SkipReason)
    assert "before BTS_FIRST_QUARTER=2024-Q1" in result.skip_message


def test_the_quarter_just_ended_is_read_in_the_reporting_timezone():
    # 23:30 UTC on 31 March is already 1 April in Paris: Q1 has ended there.
    assert schedule_module.quarter_just_ended(dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.timezone.utc), "Europe/Paris") == Quarter(2024, 1)
    assert schedule_module.quarter_just_ended(dt.datetime(2024, 3, 31, 23, 30, tzinfo=dt.timezone.utc), "UTC") == Quarter(2023, 4)


# --- landing sensor ----------------------------------------------------------------------


def test_the_first_tick_runs_every_partition_because_accounts_csv_is_new(pipeline_env):
    landing = Landing(pipeline_env)
    landing.write("accounts.csv", ACCOUNTS)
    landing.write("x/posts_2023-Q1.csv", posts("2023-02-01T10:00:00+00:00"))
    result = landing.tick()
    assert [Quarter.from_partition_key(r.partition_key).label for r in result.run_requests] == PARTITIONS
    assert {request.job_name for request in result.run_requests} <= {None, "quarterly_pipeline"}


def test_unchanged_files_request_nothing_and_are_not_read_again(landing, monkeypatch):
    def must_not_read(*_args, **_kwargs):
        raise AssertionError("an unchanged file was read")

    monkeypatch.setattr(sensor_module, "inspect_file", must_not_read)
    monkeypatch.setattr(sensor_module, "quarters_touched", must_not_read)
    result = landing.tick()
    assert result.run_requests == []
    assert result.skip_reason.skip_message == "no landing file changed"


def test_a_file_touched_without_new_bytes_requests_nothing(landing, monkeypatch):
    path = landing.dir / "x/posts_2023-Q1.csv"
    landing.write("x/posts_2023-Q1.csv", path.read_text(encoding="utf-8"))
    monkeypatch.setattr(sensor_module, "quarters_touched", lambda *a, **k: pytest.fail("same bytes were parsed again"))
    assert landing.quarters_run() == []
    assert LandingState.from_cursor(landing.cursor).files["x/posts_2023-Q1.csv"].mtime_ns == path.stat().st_mtime_ns


def test_a_late_file_runs_its_quarter_and_the_next_one_whose_previous_rank_reads_it(landing):
    landing.write("x/late/posts_2023-Q2.csv", posts("2023-05-01T10:00:00+00:00", first_id=200))
    assert landing.quarters_run() == ["2023-Q2", "2023-Q3"]


def test_a_burst_of_files_gives_one_run_per_quarter_not_one_per_file(landing):
    for number in range(6):
        landing.write(f"x/burst/posts_{number}.csv", posts(f"2022-11-0{number + 1}T10:00:00+00:00", first_id=300 + number))
    result = landing.tick()
    labels = [Quarter.from_partition_key(request.partition_key).label for request in result.run_requests]
    assert labels == ["2022-Q4", "2023-Q1"]
    assert "and 1 more" in result.run_requests[0].tags["bts/landing_changes"]


def test_a_changed_file_runs_the_quarters_of_its_old_and_new_contents(landing):
    landing.write("x/posts_2023-Q1.csv", posts("2022-05-01T10:00:00+00:00"))  # re-exported, now holding 2022-Q2
    assert landing.quarters_run() == ["2022-Q2", "2022-Q3", "2023-Q1", "2023-Q2"]


def test_a_deleted_file_runs_the_quarters_it_held(landing):
    (landing.dir / "x/posts_2023-Q3.csv").unlink()
    assert landing.quarters_run() == ["2023-Q3", "2023-Q4"]
    assert "x/posts_2023-Q3.csv" not in LandingState.from_cursor(landing.cursor).files


def test_a_follower_snapshot_runs_its_quarter_and_every_later_one_it_is_carried_into(landing):
    # carried forward without age limit (LANDING.md 3): the sensor cannot see the account's next snapshot
    landing.write("followers/abonnes.csv", FOLLOWERS_HEADER + "x,sanofi,2023-06-30,1000,10\n")
    assert landing.quarters_run() == ["2023-Q2", "2023-Q3", "2023-Q4"]
    assert LandingState.from_cursor(landing.cursor).files["followers/abonnes.csv"].quarters == ("2023-Q2", AND_LATER)


def test_a_back_filled_snapshot_history_runs_every_quarter_from_its_first(landing):
    landing.write("followers/history.csv", FOLLOWERS_HEADER + "x,sanofi,2022-05-01,800,10\nx,sanofi,2022-08-01,850,10\n")
    assert landing.quarters_run() == PARTITIONS[1:]


def test_a_deleted_snapshot_file_runs_the_quarters_completed_since_it_was_read(landing, monkeypatch):
    landing.write("followers/abonnes.csv", FOLLOWERS_HEADER + "x,sanofi,2023-06-30,1000,10\n")
    landing.tick()
    monkeypatch.setenv("BTS_FIRST_QUARTER", "2022-Q1")
    monkeypatch.setenv("BTS_RUN_DATE", "2024-05-10")  # 2024-Q1 has ended meanwhile
    (landing.dir / "followers/abonnes.csv").unlink()
    assert landing.quarters_run() == ["2023-Q2", "2023-Q3", "2023-Q4", "2024-Q1"]


def test_a_changed_accounts_csv_runs_every_partition(landing):
    landing.write("accounts.csv", ACCOUNTS + "x_pharma_fr,x,ipsen,Ipsen,Ipsen,corporate,2023-01-01,\n")
    assert landing.quarters_run() == PARTITIONS


def test_quarters_that_are_not_partitions_are_not_requested(landing):
    # 2021 is before BTS_FIRST_QUARTER; 2024-Q1 holds the run date, so it is not complete.
    landing.write("x/old.csv", posts("2021-05-01T10:00:00+00:00", first_id=400))
    landing.write("x/current.csv", posts("2024-01-15T10:00:00+00:00", first_id=500))
    result = landing.tick()
    assert result.run_requests == []
    assert result.skip_reason.skip_message == "the changed files touch no partition quarter"


def test_a_file_still_being_copied_waits_for_a_later_tick(landing):
    path = landing.write("x/copying.csv", posts("2022-08-01T10:00:00+00:00", first_id=600))
    now = time.time()
    os.utime(path, (now, now))
    assert landing.quarters_run() == []
    os.utime(path, (now - 60, now - 60))
    assert landing.quarters_run() == ["2022-Q3", "2022-Q4"]


def test_files_not_read_within_the_tick_budget_are_read_at_the_next_tick(landing, monkeypatch):
    landing.write("x/late/posts_2023-Q2.csv", posts("2023-05-01T10:00:00+00:00", first_id=900))
    with monkeypatch.context() as patch:
        patch.setattr(sensor_module, "READ_BUDGET_SECONDS", 0)
        result = landing.tick()
    assert result.run_requests == []
    assert landing.quarters_run() == ["2023-Q2", "2023-Q3"]


def test_an_unreadable_file_requests_nothing_until_it_is_fixed(landing):
    landing.write("x/broken.csv", POSTS_HEADER + "x,sanofi,700,not a date,post,t,1,0,0,0,1,\n")
    result = landing.tick()
    assert result.run_requests == []
    landing.write("x/broken.csv", posts("2022-02-01T10:00:00+00:00", first_id=700))
    assert landing.quarters_run() == ["2022-Q1", "2022-Q2"]


def test_a_binary_file_is_hashed_and_skipped_without_a_run(landing):
    path = landing.dir / "x/photo.csv"
    path.write_bytes(b"\x00\x01binary\x00")
    os.utime(path, (time.time() - 600, time.time() - 600))
    result = landing.tick()
    assert result.run_requests == []
    assert LandingState.from_cursor(landing.cursor).files["x/photo.csv"].quarters == ()


def test_run_keys_name_the_quarter_and_do_not_repeat_when_a_file_comes_back(landing):
    path = landing.dir / "x/posts_2023-Q3.csv"
    contents = path.read_text(encoding="utf-8")
    path.unlink()
    first = landing.tick().run_requests
    landing.write("x/posts_2023-Q3.csv", contents)
    second = landing.tick().run_requests
    assert [request.run_key.split(":")[0] for request in first] == ["2023-Q3", "2023-Q4"]
    assert {request.run_key for request in first}.isdisjoint(request.run_key for request in second)


def test_the_cursor_keeps_each_file_hash_and_quarters_as_json(landing):
    files = json.loads(landing.cursor)["files"]
    size, mtime_ns, content_hash, quarters = files["x/posts_2023-Q1.csv"]
    assert size == (landing.dir / "x/posts_2023-Q1.csv").stat().st_size
    assert len(content_hash) == 64
    assert quarters == ["2023-Q1"]
    assert files["accounts.csv"][3] == "every quarter"


def test_the_sensor_never_opens_the_working_database(landing, pipeline_env):
    landing.write("x/late.csv", posts("2023-05-01T10:00:00+00:00", first_id=800))
    landing.tick()
    assert not (pipeline_env / "warehouse").exists()


def test_the_sensor_skips_when_the_landing_directory_is_missing(pipeline_env, monkeypatch):
    monkeypatch.setenv("BTS_LANDING_DIR", str(pipeline_env / "nowhere"))
    result = landing_sensor(dg.build_sensor_context())
    assert "landing directory not found" in result.skip_reason.skip_message


def test_the_definitions_carry_the_schedule_and_the_sensor_on_the_pipeline_job():
    from dagster_project.definitions import defs

    assert defs.resolve_schedule_def("quarterly_schedule").job_name == "quarterly_pipeline"
    assert defs.resolve_sensor_def("landing_sensor").job_name == "quarterly_pipeline"
