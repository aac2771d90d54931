"""The project as the data engineer operates it: a real dagster-webserver and dagster-daemon on loopback.

Both start from the repository root with no arguments but a host and port (so
they load pyproject's [tool.dagster]), on a temporary DAGSTER_HOME holding the
repository's own .dagster/dagster.yaml, the demo data as landing directory and
a temporary warehouse. Backfills are launched through the GraphQL API, as the
UI launches them; the test waits for them and reads the marts.

Set ASSET_GRAPH_SCREENSHOT=docs/asset-graph.png to keep the screenshot of the
asset graph page (the committed one is taken this way).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from dagster_project.generate import write_demo_landing
from dagster_project.quarters import Quarter, quarter_range
from dagster_project.reports.browser import CHROMIUM
from dagster_project.warehouse import POOL

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOCATION = "bts"  # pyproject's code_location_name
REPOSITORY = "__repository__"  # the name Dagster gives the repository of a Definitions object
STARTUP_TIMEOUT = 180  # seconds: the code location imports dbt and parses its manifest
BACKFILL_TIMEOUT = 600
# The asset backfill covers several quarters in one run (every asset has a single-run backfill
# policy). At the same time a job backfill ingests another quarter, a second run writing the
# working DuckDB file: the two runs' steps must take turns through the pool. (It ingests only,
# so that the test stays within a few minutes: dbt alone takes a minute per run.)
ASSET_BACKFILL_QUARTERS = quarter_range(Quarter.parse("2023-Q1"), Quarter.parse("2023-Q4"))
JOB_BACKFILL_QUARTERS = [Quarter.parse("2022-Q4")]
RAW_KEYS = [["raw", "accounts"], ["raw", "follower_snapshots"], ["raw", "posts"]]
DUCKDB_LOCK_ERRORS = ("Could not set lock on file", "Conflicting lock is held")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dagster:
    """A webserver and a daemon in their own process groups, and a GraphQL client for the webserver."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / "dagster_home"
        self.landing = root / "landing"
        self.warehouse = root / "warehouse"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "BTS_LANDING_DIR": str(self.landing),
            "BTS_WAREHOUSE_DIR": str(self.warehouse),
            "BTS_FIRST_QUARTER": "2022-Q1",
        }

    def start(self) -> None:
        self.home.mkdir()
        shutil.copy(REPO / ".dagster" / "dagster.yaml", self.home / "dagster.yaml")
        # Create the storage once here: the webserver and the daemon both creating it at once race on its schema.
        dg.DagsterInstance.from_config(str(self.home)).dispose()
        self.landing.mkdir()
        write_demo_landing(self.landing)
        # Exports that arrived an hour ago: the landing sensor leaves files modified in the last seconds for later.
        an_hour_ago = time.time() - 3600
        for path in self.landing.rglob("*.csv"):
            os.utime(path, (an_hour_ago, an_hour_ago))
        self._spawn("webserver", [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(self.port)])
        self._spawn("daemon", [str(BIN / "dagster-daemon"), "run"])
        self._wait_until_loaded()

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.root / f"{name}.log", "wb")  # noqa: SIM115 - the process owns it until stop()
        self.processes.append(
            subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        )
        log.close()

    def stop(self) -> None:
        """SIGTERM to each process group (code servers and runs included), SIGKILL to what is left."""
        for process in self.processes:
            with _ignoring(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            with _ignoring(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in sorted(self.root.glob("*.log"))
        )

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with _no_proxy().open(request, timeout=60) as response:
            reply = json.loads(response.read())
        assert not reply.get("errors"), reply["errors"]
        return reply["data"]

    def _wait_until_loaded(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            for process in self.processes:
                assert process.poll() is None, f"{process.args[0]} exited:\n{self.logs()}"
            try:
                data = self.graphql(LOCATION_STATUS)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
                continue
            entries = {entry["name"]: entry for entry in data["workspaceOrError"]["locationEntries"]}
            entry = entries.get(LOCATION)
            if entry and entry["loadStatus"] == "LOADED":
                location = entry["locationOrLoadError"]
                assert location["__typename"] == "RepositoryLocation", location
                return
            time.sleep(1)
        raise AssertionError(f"the code location did not load within {STARTUP_TIMEOUT} s:\n{self.logs()}")

    def launch_backfill(self, params: dict) -> str:
        result = self.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        return result["backfillId"]

    def wait_for_backfills(self, backfill_ids: list[str]) -> dict[str, str]:
        deadline = time.monotonic() + BACKFILL_TIMEOUT
        statuses: dict[str, str] = {}
        while time.monotonic() < deadline:
            statuses = {
                backfill_id: self.graphql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]["status"]
                for backfill_id in backfill_ids
            }
            if all(status not in ("REQUESTED",) for status in statuses.values()):
                runs = self.runs()
                if all(run["status"] in ("SUCCESS", "FAILURE", "CANCELED") for run in runs):
                    return statuses
            time.sleep(3)
        raise AssertionError(f"backfills still running after {BACKFILL_TIMEOUT} s: {statuses}\n{self.logs()}")

    def runs(self) -> list[dict]:
        return self.graphql(RUNS)["runsOrError"]["results"]

    def step_events(self, run_id: str) -> list[dict]:
        events, cursor = [], None
        while True:
            connection = self.graphql(RUN_EVENTS, {"runId": run_id, "cursor": cursor})["logsForRun"]
            events.extend(connection["events"])
            if not connection["hasMore"]:
                return events
            cursor = connection["cursor"]


class _ignoring:
    def __init__(self, *errors: type[BaseException]):
        self.errors = errors

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, _value, _traceback) -> bool:
        return kind is not None and issubclass(kind, self.errors)


def _no_proxy() -> urllib.request.OpenerDirector:
    # The webserver is on loopback: never send its requests to a proxy from the environment.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


LOCATION_STATUS = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""
ASSETS = """
{ assetNodes {
    assetKey { path } groupName description isPartitioned kinds pools
    partitionDefinition { description }
    partitionStats { numMaterialized numPartitions numFailed numMaterializing }
    assetChecksOrError { __typename ... on AssetChecks { checks { name blocking } } }
} }
"""
AUTOMATION = """
query Automation($repository: RepositorySelector!) {
  schedulesOrError(repositorySelector: $repository) {
    __typename ... on Schedules { results { name cronSchedule executionTimezone pipelineName } }
  }
  sensorsOrError(repositorySelector: $repository) {
    __typename ... on Sensors { results { name targets { pipelineName } minIntervalSeconds } }
  }
  instance { poolConfig { poolGranularity defaultPoolLimit } }
}
"""
LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}
"""
BACKFILL_STATUS = """
query Backfill($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }
"""
RUNS = """
{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }
"""
RUN_EVENTS = """
query Events($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor) {
    ... on EventConnection {
      cursor hasMore
      events {
        __typename
        ... on MessageEvent { message timestamp stepKey level }
        ... on ExecutionStepFailureEvent { error { message } }
      }
    }
  }
}
"""
METADATA_ENTRY = """
    label __typename
    ... on IntMetadataEntry { intValue }
    ... on TableSchemaMetadataEntry { schema { columns { name type } } }
"""
LATEST_METADATA = """
query Latest($key: AssetKeyInput!) {
  assetOrError(assetKey: $key) { ... on Asset { assetMaterializations(limit: 1) { metadataEntries { %s } } } }
}
""" % METADATA_ENTRY
DEFINITION_METADATA = """
query Definition($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode { metadataEntries { %s } } } }
""" % METADATA_ENTRY
TICK_EVALUATION = """
    ... on DryRunInstigationTick {
      evaluationResult { runRequests { runKey tags { key value } } skipReason cursor error { message } }
    }
    ... on PythonError { message stack }
"""
SENSOR_DRY_RUN = """
mutation Sensor($selector: SensorSelector!, $cursor: String) { sensorDryRun(selectorData: $selector, cursor: $cursor) { %s } }
""" % TICK_EVALUATION
SCHEDULE_DRY_RUN = """
mutation Schedule($selector: ScheduleSelector!, $timestamp: Float) { scheduleDryRun(selectorData: $selector, timestamp: $timestamp) { %s } }
""" % TICK_EVALUATION
CONCURRENCY = """
query Pool($key: String!) { instance { concurrencyLimit(concurrencyKey: $key) { slotCount } } }
"""


class Analyst:
    """Holds analytics.duckdb open read-only and keeps querying it until told to let go, as an analyst would."""

    def __init__(self, path: Path):
        self.path = path
        self.opened_at: float | None = None
        self.rows_seen: list[int] = []
        self.error: BaseException | None = None
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def __enter__(self) -> "Analyst":
        self._thread.start()
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self._release.set()
        self._thread.join(timeout=60)

    def _hold(self) -> None:
        try:
            while not self.path.exists():
                if self._release.wait(0.5):
                    return
            with duckdb.connect(str(self.path), read_only=True) as conn:
                self.opened_at = time.time()
                while not self._release.wait(2):
                    self.rows_seen.append(conn.execute("select count(*) from marts.fct_account_quarter").fetchone()[0])
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error


def _publish_last_quarter(path: Path) -> None:
    """A published file from an earlier run, which the analyst has open when the backfill starts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.fct_account_quarter as select '2022-Q3' as quarter")


@pytest.fixture(scope="module")
def dagster(tmp_path_factory) -> Iterator[Dagster]:
    server = Dagster(tmp_path_factory.mktemp("dagster-e2e"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def asset_keys(dagster) -> list[list[str]]:
    return [node["assetKey"]["path"] for node in dagster.graphql(ASSETS)["assetNodes"]]


@pytest.fixture(scope="module")
def backfills(dagster, asset_keys) -> dict:
    """An asset backfill of four quarters and, at the same time, a job backfill of another, with an analyst reading."""
    started = time.monotonic()
    _publish_last_quarter(dagster.warehouse / "analytics.duckdb")
    with Analyst(dagster.warehouse / "analytics.duckdb") as analyst:
        asset_backfill = dagster.launch_backfill(
            {
                "assetSelection": [{"path": path} for path in asset_keys],
                "partitionNames": [quarter.partition_key for quarter in ASSET_BACKFILL_QUARTERS],
                "title": "e2e: 2023, all assets",
            }
        )
        job_backfill = dagster.launch_backfill(
            {
                "selector": {
                    "partitionSetName": "quarterly_pipeline_partition_set",
                    "repositorySelector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY},
                },
                "partitionNames": [quarter.partition_key for quarter in JOB_BACKFILL_QUARTERS],
                "assetSelection": [{"path": path} for path in RAW_KEYS],
            }
        )
        statuses = dagster.wait_for_backfills([asset_backfill, job_backfill])
    runs = dagster.runs()
    return {
        "statuses": statuses,
        "runs": runs,
        "events": {run["runId"]: dagster.step_events(run["runId"]) for run in runs},
        "analyst": analyst,
        "seconds": time.monotonic() - started,
    }


def _tag(run: dict, key: str) -> str | None:
    return next((tag["value"] for tag in run["tags"] if tag["key"] == key), None)


def test_the_webserver_lists_every_asset_partitioned_by_quarter_with_a_description_and_kinds(dagster):
    nodes = dagster.graphql(ASSETS)["assetNodes"]
    keys = {"/".join(node["assetKey"]["path"]) for node in nodes}
    assert {"raw/posts", "staging/stg_landing__posts", "marts/fct_account_quarter", "analytics_database", "quarterly_report"} <= keys
    for node in nodes:
        name = "/".join(node["assetKey"]["path"])
        assert node["isPartitioned"], name
        assert node["description"], name
        assert node["kinds"], name
        assert POOL in node["pools"], name
    groups = {node["groupName"] for node in nodes}
    assert {"landing", "staging", "marts", "reports"} <= groups


def test_dbt_tests_and_data_quality_checks_sit_beside_their_assets(dagster):
    checks = {
        "/".join(node["assetKey"]["path"]): {check["name"]: check["blocking"] for check in node["assetChecksOrError"]["checks"]}
        for node in dagster.graphql(ASSETS)["assetNodes"]
        if node["assetChecksOrError"]["__typename"] == "AssetChecks"
    }
    assert checks["raw/posts"]["all_landing_files_accepted"] is True
    fct_account_quarter = checks["marts/fct_account_quarter"]
    assert any(name.startswith("not_null_columns_fct_account_quarter") for name in fct_account_quarter)  # a dbt test
    assert "columns_valid" in fct_account_quarter  # a Great Expectations suite
    assert sum(len(names) for names in checks.values()) > 100


def test_the_webserver_lists_the_quarterly_schedule_and_the_landing_sensor(dagster):
    repository = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
    data = dagster.graphql(AUTOMATION, {"repository": repository})
    schedules = {schedule["name"]: schedule for schedule in data["schedulesOrError"]["results"]}
    assert schedules["quarterly_schedule"]["cronSchedule"] == "0 6 5 1,4,7,10 *"
    assert schedules["quarterly_schedule"]["executionTimezone"] == "Europe/Paris"
    assert schedules["quarterly_schedule"]["pipelineName"] == "quarterly_pipeline"
    sensors = {sensor["name"]: sensor for sensor in data["sensorsOrError"]["results"]}
    assert [target["pipelineName"] for target in sensors["landing_sensor"]["targets"]] == ["quarterly_pipeline"]


def test_the_sensor_evaluated_by_the_code_server_requests_one_run_per_quarter_then_nothing(dagster):
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": "landing_sensor"}
    first = dagster.graphql(SENSOR_DRY_RUN, {"selector": selector, "cursor": None})["sensorDryRun"]["evaluationResult"]
    assert first["error"] is None, first["error"]
    # Every file is new on a first tick; accounts.csv among them touches every partition.
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    every_partition = quarter_range(Quarter.parse("2022-Q1"), Quarter.containing(today).previous())
    assert [_tag(request, "bts/quarter") for request in first["runRequests"]] == [q.label for q in every_partition]
    again = dagster.graphql(SENSOR_DRY_RUN, {"selector": selector, "cursor": first["cursor"]})["sensorDryRun"]["evaluationResult"]
    assert again["runRequests"] == []
    assert again["skipReason"] == "no landing file changed"


def test_the_schedule_evaluated_by_the_code_server_runs_the_quarter_that_just_ended(dagster):
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "scheduleName": "quarterly_schedule"}
    tick = dt.datetime(2024, 1, 5, 6, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
    result = dagster.graphql(SCHEDULE_DRY_RUN, {"selector": selector, "timestamp": tick})["scheduleDryRun"]["evaluationResult"]
    assert result["error"] is None, result["error"]
    assert [_tag(request, "bts/quarter") for request in result["runRequests"]] == ["2023-Q4"]
    assert [_tag(request, "dagster/partition") for request in result["runRequests"]] == ["2023-10-01"]


def test_the_instance_runs_one_step_at_a_time_in_the_duckdb_pool(dagster):
    pool = dagster.graphql(AUTOMATION, {"repository": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}})
    assert pool["instance"]["poolConfig"] == {"poolGranularity": "op", "defaultPoolLimit": 1}


def test_a_multi_quarter_backfill_launched_through_graphql_succeeds_without_a_lock_error(backfills):
    assert set(backfills["statuses"].values()) == {"COMPLETED_SUCCESS"}, backfills["statuses"]
    assert [run["status"] for run in backfills["runs"]] == ["SUCCESS"] * len(backfills["runs"])
    # One run for the four quarters of the asset backfill, one per quarter of the job backfill.
    assert len(backfills["runs"]) == 1 + len(JOB_BACKFILL_QUARTERS)
    messages = [event.get("message") or "" for events in backfills["events"].values() for event in events]
    errors = [(event.get("error") or {}).get("message") or "" for events in backfills["events"].values() for event in events]
    for text in messages + errors:
        assert not any(lock_error in text for lock_error in DUCKDB_LOCK_ERRORS), text
    print(f"backfills took {backfills['seconds']:.0f} s")


def test_steps_of_concurrent_runs_take_turns_on_the_working_database(backfills):
    spans = []
    for run_id, events in backfills["events"].items():
        started: dict[str, float] = {}
        for event in events:
            if event["__typename"] == "ExecutionStepStartEvent":
                started[event["stepKey"]] = int(event["timestamp"]) / 1000
            elif event["__typename"] in ("ExecutionStepSuccessEvent", "ExecutionStepFailureEvent"):
                spans.append((started.pop(event["stepKey"]), int(event["timestamp"]) / 1000, run_id, event["stepKey"]))
    spans.sort()
    assert len({run_id for *_times, run_id, _step in spans}) == 2
    for (_, first_end, first_run, first_step), (second_start, _, second_run, second_step) in zip(spans, spans[1:]):
        assert second_start >= first_end, f"{first_run}:{first_step} overlapped {second_run}:{second_step}"


def test_an_analyst_holding_analytics_duckdb_open_blocks_no_run_and_keeps_the_old_data(backfills, dagster):
    analyst = backfills["analyst"]
    assert analyst.error is None, analyst.error
    assert analyst.opened_at is not None
    published = dagster.warehouse / "analytics.duckdb"
    assert published.stat().st_mtime > analyst.opened_at, "no publication happened while the analyst held the file"
    # The open file is the one published before: replaced whole, never changed under the reader.
    assert set(analyst.rows_seen) == {1}


def test_the_marts_hold_every_backfilled_quarter(backfills, dagster):
    with duckdb.connect(str(dagster.warehouse / "analytics.duckdb"), read_only=True) as conn:
        quarters = [row[0] for row in conn.execute("select distinct quarter from marts.fct_account_quarter order by 1").fetchall()]
        panels = conn.execute("select count(distinct panel) from marts.fct_panel_quarter where quarter = '2023-Q4'").fetchone()[0]
    assert quarters == [quarter.label for quarter in ASSET_BACKFILL_QUARTERS]
    assert panels == 3
    for quarter in ASSET_BACKFILL_QUARTERS:
        assert (dagster.warehouse / "reports" / quarter.label / "index.html").exists()


def test_every_quarter_partition_shows_its_status(backfills, dagster):
    nodes = {"/".join(node["assetKey"]["path"]): node for node in dagster.graphql(ASSETS)["assetNodes"]}
    expected = {
        "raw/posts": len(ASSET_BACKFILL_QUARTERS) + len(JOB_BACKFILL_QUARTERS),
        "marts/fct_account_quarter": len(ASSET_BACKFILL_QUARTERS),
        "analytics_database": len(ASSET_BACKFILL_QUARTERS),
        "quarterly_report": len(ASSET_BACKFILL_QUARTERS),
    }
    for name, materialized in expected.items():
        stats = nodes[name]["partitionStats"]
        assert stats["numMaterialized"] == materialized, (name, stats)
        assert stats["numPartitions"] >= 16, (name, stats)  # 2022-Q1 to the last complete quarter
        assert stats["numFailed"] == 0


def test_materializations_carry_row_counts_and_typed_column_schemas(backfills, dagster):
    for path in (["raw", "posts"], ["staging", "stg_landing__posts"], ["marts", "fct_account_quarter"]):
        entries = dagster.graphql(LATEST_METADATA, {"key": {"path": path}})["assetOrError"]["assetMaterializations"][0]
        metadata = {entry["label"]: entry for entry in entries["metadataEntries"]}
        assert metadata["dagster/row_count"]["intValue"] > 0, path
        definition = dagster.graphql(DEFINITION_METADATA, {"key": {"path": path}})["assetNodeOrError"]["metadataEntries"]
        schemas = [entry for entry in [*entries["metadataEntries"], *definition] if entry["label"] == "dagster/column_schema"]
        assert schemas, f"no column schema for {path}"
        columns = {column["name"]: column["type"] for column in schemas[0]["schema"]["columns"]}
        assert columns.get("handle") == "varchar", (path, columns)


def test_the_duckdb_pool_was_created_with_one_slot(backfills, dagster):
    slots = dagster.graphql(CONCURRENCY, {"key": POOL})["instance"]["concurrencyLimit"]
    assert slots["slotCount"] == 1


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: apt-get install chromium (CI does)")
def test_the_asset_graph_page_renders_for_the_readme(backfills, dagster):
    target = Path(os.environ.get("ASSET_GRAPH_SCREENSHOT") or tempfile.mkdtemp(prefix="bts-e2e-") + "/asset-graph.png")
    target = target if target.is_absolute() else REPO / target
    # The UI greets a new instance with a newsletter dialog; it would cover the graph.
    assert dagster.graphql("mutation { setNuxSeen }")["setNuxSeen"]
    # Every group open but `intermediate`, whose thirteen models would shrink the rest out of legibility.
    groups = ",".join(f"global@global:{group}" for group in ("landing", "staging", "marts", "publication", "reports"))
    url = f"{dagster.url}/asset-groups?{urllib.parse.urlencode({'expanded': groups})}"
    profile = tempfile.mkdtemp(prefix="bts-e2e-chromium-")
    try:
        completed = subprocess.run(
            [
                str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-proxy-server", f"--user-data-dir={profile}",
                # A large page drawn at 0.6: the graph then draws its nodes in full (status, checks,
                # partitions, kinds), which it does only above 60 % zoom, in a 1560 x 1380 image.
                "--window-size=2600,2300", "--force-device-scale-factor=0.6",
                "--virtual-time-budget=20000", f"--screenshot={target}", url,
            ],
            capture_output=True, text=True, timeout=180,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert target.read_bytes().startswith(b"\x89PNG")
    assert target.stat().st_size > 100_000, "the screenshot is nearly blank: the graph did not render"
