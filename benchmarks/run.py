"""`make bench`: the pipeline against the DuckDB floor and plain pandas, on the same generated landing files.

    python benchmarks/run.py --posts 10000000 [--accounts 300] [--seed 7]

Each measurement is a separate process, timed from the outside (wall clock,
from start to exit) with its peak resident memory:

- pipeline:    `bts run --from <first> --to <last>` over all quarters, from an empty warehouse;
- floor:       floor.py + floor.sql, DuckDB alone, the least work that gives fct_account_quarter;
- pandas:      pandas_pipeline.py, the same table as a pandas user would compute it;
- incremental: after one file of 10,000 posts is added to one quarter, `bts run --quarter <q>`;
- rerun:       the same `bts run --quarter <q>` once more, nothing new in the landing directory: what a
               one-quarter run costs whatever the data added (start-up, Dagster, dbt's nodes, checks, report).

The three fct_account_quarter tables must agree (compare.py), and after the
incremental run the pipeline's quarter must agree with the floor on the grown
landing, and again after the rerun. Results go to benchmarks/results/<date>.json, and the table in
benchmarks/README.md is rewritten from every results file.

Landing directories are generated once per (posts, accounts, seed) under
benchmarks/data/ (git-ignored) and reused; each run gets its own warehouse
there, with DAGSTER_HOME unset (an ephemeral Dagster instance).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO_ROOT))

import compare  # noqa: E402

DEFAULT_POSTS = 10_000_000
DEFAULT_ACCOUNTS = 300
DEFAULT_SEED = 7
FIRST_QUARTER, LAST_QUARTER = "2022-Q1", "2023-Q4"
INCREMENTAL_QUARTER = "2023-Q4"
INCREMENTAL_POSTS = 10_000
TIMEZONE = "Europe/Paris"
POLL_SECONDS = 0.05
BIN = Path(sys.executable).parent

# Targets of issue 7, at 10 million posts on the reference machine.
TARGETS = {
    "pipeline_over_floor_max": 1.5,
    "pandas_over_pipeline_min": 5.0,
    "peak_rss_mb_max": 2048,
    "incremental_over_pipeline_max": 0.10,
}


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- measuring one process -------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()[:160]
    except OSError:
        return ""


class TreeMemoryPoller(threading.Thread):
    """Polls the resident set of a process and all its descendants (dbt runs as a child of `bts`)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.largest_process_kb = 0
        self.largest_tree_kb = 0
        self.largest_process_name = ""

    def run(self) -> None:
        while not self.stop.is_set():
            pending, seen, tree = [self.pid], set(), 0
            while pending:
                pid = pending.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                rss = _rss_kb(pid)
                tree += rss
                if rss > self.largest_process_kb:
                    self.largest_process_kb = rss
                    self.largest_process_name = _command_line(pid)
                pending.extend(_children(pid))
            self.largest_tree_kb = max(self.largest_tree_kb, tree)
            self.stop.wait(POLL_SECONDS)


def measure(name: str, command: list[str], env: dict[str, str], log_path: Path, must_succeed: bool = True) -> dict:
    """Run `command` to completion; wall time, exit status, peak RSS of its largest process, stdout.

    A `bts run` that ran every step but exits non-zero (a failed check) is still a
    measurement: with `must_succeed=False` its status is recorded, and the bench fails at the end."""
    say(f"{name}: {' '.join(command)}")
    load_before = load_average()
    with log_path.open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, cwd=REPO_ROOT, text=True)
        poller = TreeMemoryPoller(process.pid)
        poller.start()
        stdout = process.stdout.read()
        log_path.with_suffix(".out").write_text(stdout)
        # wait4 gives this child's rusage, whose ru_maxrss is the largest of it and every descendant it waited for.
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        poller.stop.set()
        poller.join()
    result = {
        # what was run, to measure it again by hand (the floor on the same files, say)
        "command": command,
        "environment": {key: value for key, value in env.items() if key.startswith("BTS_")},
        "seconds": elapsed,
        "exit_status": process.returncode,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "polled_peak_process_rss_mb": poller.largest_process_kb / 1024,
        "polled_peak_tree_rss_mb": poller.largest_tree_kb / 1024,
        "largest_process": poller.largest_process_name,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "cpu_user_s": usage.ru_utime,
        "cpu_system_s": usage.ru_stime,
        # Other work on the machine stretches wall times; CPU seconds much less.
        "load_average_before_after": [load_before, load_average()],
        "stdout": stdout,
        "log": str(log_path),
    }
    say(f"{name}: {elapsed:.1f} s, exit {process.returncode}, peak RSS {result['peak_rss_mb']:.0f} MB")
    if process.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        if must_succeed:
            raise RuntimeError(f"{name} failed (exit {process.returncode}); end of {log_path}:\n{tail}")
        say(f"{name} exited {process.returncode}; end of {log_path}:\n{tail}")
    return result


def load_average() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def last_json_line(text: str) -> dict:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


# --- data --------------------------------------------------------------------------------------


def generated_landing(data_dir: Path, posts: int, accounts: int, seed: int) -> tuple[Path, dict]:
    """The landing directory for these parameters, generated by `bts generate` unless already there."""
    name = f"landing-{posts}p-{accounts}a-seed{seed}"
    landing, summary_path = data_dir / name, data_dir / f"{name}.json"
    if landing.is_dir() and summary_path.exists():
        say(f"reusing {landing}")
        return landing, json.loads(summary_path.read_text())
    shutil.rmtree(landing, ignore_errors=True)
    partial = data_dir / f"{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    say(f"generating {posts:,} posts over {accounts} accounts into {landing}")
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "bts"), "generate", "--posts", str(posts), "--accounts", str(accounts), "--seed", str(seed), "--out", str(partial)],
        check=True, cwd=REPO_ROOT,
    )
    partial.rename(landing)
    summary = {
        "generate_s": time.perf_counter() - started,
        "bytes": sum(path.stat().st_size for path in landing.rglob("*") if path.is_file()),
        "files": sum(1 for path in landing.rglob("*.csv")),
    }
    summary_path.write_text(json.dumps(summary, indent=2))
    return landing, summary


def linked_copy(source: Path, target: Path) -> None:
    """A copy of a landing tree made of hard links (no bytes copied), so a run can add files to its own."""
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, destination)
            except OSError:
                shutil.copy2(path, destination)


def warm_page_cache(landing: Path) -> None:
    """Read every file once, so that the first measurement does not pay for the disk and the others not."""
    for path in landing.rglob("*.csv"):
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


# --- the runs ----------------------------------------------------------------------------------


def pipeline_env(landing: Path, warehouse: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    env.update(
        BTS_LANDING_DIR=str(landing),
        BTS_WAREHOUSE_DIR=str(warehouse),
        BTS_FIRST_QUARTER=FIRST_QUARTER,
        BTS_TIMEZONE=TIMEZONE,
    )
    return env


_STEP_DONE = re.compile(r"^\[bts\] step (\S+) done in ([0-9.]+) s")


def step_seconds(log_path: Path) -> dict[str, float]:
    steps = {}
    for line in log_path.read_text(errors="replace").splitlines():
        match = _STEP_DONE.match(line)
        if match:
            steps[match.group(1)] = float(match.group(2))
    return steps


def machine() -> dict:
    def first(path: str, prefix: str) -> str:
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return ""

    versions = {}
    for package in ("duckdb", "pandas", "numpy", "dagster", "dagster-dbt", "dbt-core", "dbt-duckdb"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    cpu_max = ""
    try:
        cpu_max = Path("/sys/fs/cgroup/cpu.max").read_text().strip()
    except OSError:
        pass
    memory_kb = int(first("/proc/meminfo", "MemTotal").split()[0] or 0)
    return {
        "description": f"{first('/proc/cpuinfo', 'model name') or platform.processor()}, "
        f"{len(os.sched_getaffinity(0))} cores, {memory_kb / 1024 / 1024:.0f} GB RAM, {platform.system()} {platform.release()}",
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "cores": len(os.sched_getaffinity(0)),
        "cgroup_cpu_max": cpu_max,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
    }


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def run_bench(args: argparse.Namespace) -> dict:
    data_dir = args.data_dir.resolve()
    landing, generated = generated_landing(data_dir, args.posts, args.accounts, args.seed)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    run_dir = data_dir / "runs" / f"{stamp}-{args.posts}p"
    run_dir.mkdir(parents=True)
    run_landing, warehouse = run_dir / "landing", run_dir / "warehouse"
    linked_copy(landing, run_landing)
    python = str(BIN / "python")
    quarters = ["--from", FIRST_QUARTER, "--to", LAST_QUARTER]

    say("parsing the dbt project (as `make install` does) and warming the page cache")
    subprocess.run([str(BIN / "bts"), "parse-dbt"], check=True, cwd=REPO_ROOT, env=pipeline_env(run_landing, warehouse))
    warm_page_cache(landing)

    floor_runs, pipeline_runs, pandas_runs = [], [], []
    for attempt in range(args.repeat):
        floor_runs.append(measure(
            "floor", [python, str(BENCH_DIR / "floor.py"), "--landing", str(landing), "--out", str(run_dir / "floor.duckdb"),
                      *quarters, "--timezone", TIMEZONE],
            os.environ.copy(), run_dir / f"floor-{attempt}.log",
        ))
        shutil.rmtree(warehouse, ignore_errors=True)
        pipeline_runs.append(measure(
            "pipeline", [str(BIN / "bts"), "run", *quarters], pipeline_env(run_landing, warehouse), run_dir / f"pipeline-{attempt}.log",
            must_succeed=False,
        ))
        if not args.skip_pandas:
            pandas_runs.append(measure(
                "pandas", [python, str(BENCH_DIR / "pandas_pipeline.py"), "--landing", str(landing), "--out", str(run_dir / "pandas.duckdb"),
                           *quarters, "--timezone", TIMEZONE],
                os.environ.copy(), run_dir / f"pandas-{attempt}.log",
            ))

    published = warehouse / "analytics.duckdb"
    floor_rows = compare.load(run_dir / "floor.duckdb")
    pipeline_rows = compare.load(published) if published.exists() else []
    pipeline_ok = all(run["exit_status"] == 0 for run in pipeline_runs) and published.exists()
    agreement = {
        "pipeline_vs_floor": compare.differences(pipeline_rows, floor_rows) if published.exists()
        else [f"the pipeline published no analytics.duckdb (exit status {pipeline_runs[-1]['exit_status']}; see its log)"],
    }
    if pandas_runs:
        agreement["pandas_vs_floor"] = compare.differences(compare.load(run_dir / "pandas.duckdb"), floor_rows)

    incremental = rerun = None
    if pipeline_ok:
        from dagster_project.generate import write_incremental_file

        added = write_incremental_file(run_landing, INCREMENTAL_QUARTER, posts=INCREMENTAL_POSTS)
        say(f"added {added.relative_to(run_landing)} ({INCREMENTAL_POSTS:,} posts in {INCREMENTAL_QUARTER})")
        one_quarter = [str(BIN / "bts"), "run", "--quarter", INCREMENTAL_QUARTER]
        incremental = measure("incremental", one_quarter, pipeline_env(run_landing, warehouse), run_dir / "incremental.log", must_succeed=False)
        floor_after = None  # the floor's INCREMENTAL_QUARTER on the grown landing, what both runs must publish

        def published_quarter_differences() -> list[str]:
            return compare.differences([row for row in compare.load(published) if row[0] == INCREMENTAL_QUARTER], floor_after)

        if not args.skip_incremental_check:
            measure(
                "floor after the incremental file (check only, not timed)",
                [python, str(BENCH_DIR / "floor.py"), "--landing", str(run_landing), "--out", str(run_dir / "floor-incremental.duckdb"),
                 "--from", INCREMENTAL_QUARTER, "--to", INCREMENTAL_QUARTER, "--timezone", TIMEZONE],
                os.environ.copy(), run_dir / "floor-incremental.log",
            )
            floor_after = compare.load(run_dir / "floor-incremental.duckdb")
            agreement["incremental_pipeline_vs_floor"] = published_quarter_differences()
        rerun = measure("rerun, nothing new", one_quarter, pipeline_env(run_landing, warehouse), run_dir / "rerun.log", must_succeed=False)
        if floor_after is not None:
            agreement["rerun_pipeline_vs_floor"] = published_quarter_differences()
    else:
        say("the pipeline run failed: no incremental run")
        agreement["incremental_pipeline_vs_floor"] = ["not run: the full pipeline run failed"]

    def median_seconds(runs: list[dict]) -> float | None:
        return round(statistics.median(run["seconds"] for run in runs), 3) if runs else None

    pipeline_s, floor_s, pandas_s = median_seconds(pipeline_runs), median_seconds(floor_runs), median_seconds(pandas_runs)
    incremental_s = round(incremental["seconds"], 3) if incremental else None
    rerun_s = round(rerun["seconds"], 3) if rerun else None
    def median_cpu(runs: list[dict]) -> float | None:
        return round(statistics.median(run["cpu_s"] for run in runs), 3) if runs else None

    peak_rss_mb = round(max(max(run["peak_rss_mb"], run["polled_peak_process_rss_mb"]) for run in pipeline_runs), 1)
    ratios = {
        "pipeline_over_floor": round(pipeline_s / floor_s, 3),
        "pandas_over_pipeline": round(pandas_s / pipeline_s, 3) if pandas_s else None,
        "incremental_over_pipeline": round(incremental_s / pipeline_s, 4) if incremental_s is not None else None,
        "rerun_over_pipeline": round(rerun_s / pipeline_s, 4) if rerun_s is not None else None,
    }

    def summary(runs: list[dict], include_stdout: bool = True) -> list[dict]:
        return [
            {key: value for key, value in run.items() if key != "stdout"}
            | ({"reported": last_json_line(run["stdout"])} if include_stdout else {})
            for run in runs
        ]

    def with_steps(run: dict | None) -> dict | None:
        """A one-quarter `bts run`: its measurement and the time of each step, from its log."""
        return summary([run], include_stdout=False)[0] | {"steps_s": step_seconds(Path(run["log"]))} if run else None

    result = {
        "date": dt.date.today().isoformat(),
        "posts": args.posts,
        "accounts": args.accounts,
        "seed": args.seed,
        "quarters": [FIRST_QUARTER, LAST_QUARTER],
        "pipeline_s": pipeline_s,
        "floor_s": floor_s,
        "pandas_s": pandas_s,
        "incremental_s": incremental_s,
        # the same one-quarter run with nothing new: the incremental run's part that no data added can shrink
        "rerun_s": rerun_s,
        "peak_rss_mb": peak_rss_mb,
        "ratios": ratios,
        "cpu_s": {
            "pipeline": median_cpu(pipeline_runs),
            "floor": median_cpu(floor_runs),
            "pandas": median_cpu(pandas_runs),
            "incremental": round(incremental["cpu_s"], 3) if incremental else None,
            "rerun": round(rerun["cpu_s"], 3) if rerun else None,
        },
        "load_average_during": {
            name: [run["load_average_before_after"] for run in runs]
            for name, runs in (
                ("pipeline", pipeline_runs), ("floor", floor_runs), ("pandas", pandas_runs),
                ("incremental", [incremental] if incremental else []), ("rerun", [rerun] if rerun else []),
            )
        },
        "targets": {
            "pipeline_within_1.5x_floor": ratios["pipeline_over_floor"] <= TARGETS["pipeline_over_floor_max"],
            "pandas_at_least_5x_slower": ratios["pandas_over_pipeline"] is not None
            and ratios["pandas_over_pipeline"] >= TARGETS["pandas_over_pipeline_min"],
            "peak_rss_within_2gb": peak_rss_mb <= TARGETS["peak_rss_mb_max"],
            "incremental_within_10pct": ratios["incremental_over_pipeline"] is not None
            and ratios["incremental_over_pipeline"] <= TARGETS["incremental_over_pipeline_max"],
        },
        "tables_agree": not any(agreement.values()),
        "pipeline_exit_statuses": [run["exit_status"] for run in pipeline_runs] + [run["exit_status"] for run in (incremental, rerun) if run],
        "differences": agreement,
        "fct_account_quarter_rows": len(pipeline_rows),
        "machine": machine(),
        "git_commit": git_commit(),
        # `path` stays after the run (benchmarks/data/ keeps one landing per size and seed): the files every
        # measurement read, for re-measuring the floor on them (runs.floor[].command)
        "landing": {"posts": args.posts, "accounts": args.accounts, "seed": args.seed, **generated, "path": str(landing)},
        "runs": {
            "pipeline": summary(pipeline_runs, include_stdout=False),
            "pipeline_steps_s": [step_seconds(Path(run["log"])) for run in pipeline_runs],
            "floor": summary(floor_runs),
            "pandas": summary(pandas_runs),
            "incremental": with_steps(incremental),
            "rerun": with_steps(rerun),
        },
        "run_dir": str(run_dir),
        "harness_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    return result


# --- results and README ------------------------------------------------------------------------

README_BEGIN = "<!-- results:begin (written by benchmarks/run.py) -->"
README_END = "<!-- results:end -->"


def write_results(result: dict, results_dir: Path) -> list[Path]:
    """`<date>.json` is the day's run at the default size (10 million posts), or the latest run if the day has
    none at that size yet; a run at another size also writes `<date>-<posts>.json`, which the README's growth
    line reads."""
    results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, sort_keys=False) + "\n"
    main = results_dir / f"{result['date']}.json"
    paths = []
    if result["posts"] == DEFAULT_POSTS or not main.exists() or json.loads(main.read_text()).get("posts") != DEFAULT_POSTS:
        paths.append(main)
    if result["posts"] != DEFAULT_POSTS:
        paths.append(results_dir / f"{result['date']}-{result['posts']}.json")
    for path in paths:
        path.write_text(text)
    return paths


def latest_results(results_dir: Path) -> list[dict]:
    """The newest result for each number of posts, smallest first."""
    newest: dict[int, dict] = {}
    for path in sorted(results_dir.glob("*.json")):
        try:
            result = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue
        if "posts" in result and "pipeline_s" in result:
            if result["posts"] not in newest or (result["date"], path.name) >= (newest[result["posts"]]["date"], newest[result["posts"]]["_file"]):
                newest[result["posts"]] = result | {"_file": path.name}
    return [newest[posts] for posts in sorted(newest)]


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _agreement(result: dict) -> str:
    if any(result.get("pipeline_exit_statuses") or []):
        return f"pipeline run failed (exit {result['pipeline_exit_statuses']})"
    return "yes" if result["tables_agree"] else "NO"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _cpu(result: dict) -> str:
    cpu = result.get("cpu_s") or {}
    return ", ".join(_seconds(cpu.get(name)) for name in ("pipeline", "floor", "pandas")) if cpu else "n/a"


def _load(result: dict) -> str:
    """The highest 1-minute load average seen around the measurements: above the 2 cores, wall times stretch."""
    seen = [value for pairs in (result.get("load_average_during") or {}).values() for pair in pairs for value in pair if value is not None]
    return f"{max(seen):.1f}" if seen else "n/a"


def machine_kind(result: dict) -> str:
    """The processor and cores a run was measured on (the kernel's build may differ between hosts of one kind)."""
    description = result["machine"]
    if description.get("cpu_model"):
        return f"{description['cpu_model']}, {description.get('cores')} cores"
    return description["description"]


def results_table(results: list[dict]) -> str:
    lines = [
        "| date | commit | machine | posts | pipeline s | floor s | pandas s | incremental s | rerun, nothing new s | pipeline / floor "
        "| pandas / pipeline | incremental / pipeline | peak RSS MB | CPU s: pipeline, floor, pandas | load average | tables agree |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for result in results:
        ratios = result["ratios"]
        pandas_ratio = "n/a" if ratios["pandas_over_pipeline"] is None else f"{ratios['pandas_over_pipeline']:.2f}"
        lines.append(
            f"| {result['date']} | {result.get('git_commit') or 'n/a'} | {result['machine']['description']} | {result['posts']:,} | {_seconds(result['pipeline_s'])} | "
            f"{_seconds(result['floor_s'])} | {_seconds(result['pandas_s'])} | {_seconds(result['incremental_s'])} | "
            f"{_seconds(result.get('rerun_s'))} | {ratios['pipeline_over_floor']:.2f} | {pandas_ratio} | "
            f"{_percent(ratios['incremental_over_pipeline'])} | {result['peak_rss_mb']:,.0f} | {_cpu(result)} | {_load(result)} | "
            f"{_agreement(result)} |"
        )
    succeeded = [result for result in results if not any(result.get("pipeline_exit_statuses") or [])]
    if succeeded:
        lines += ["", growth_line(succeeded)]
    return "\n".join(lines)


def growth_line(results: list[dict]) -> str:
    """How cost grows, through the smallest and the largest run made on the machine of the largest run.

    Seconds of two kinds of machine make no line: the same code took 73 s on an AMD EPYC and 139 s on a
    2.1 GHz Xeon the same day (floor 20.7 and 24.5 s)."""
    large = results[-1]
    same_machine = [result for result in results if machine_kind(result) == machine_kind(large)]
    if len(same_machine) < 2:
        return (f"How cost grows with data: no run at another size on the machine of the {large['posts']:,}-post run "
                f"({machine_kind(large)}) yet; `make bench N=1000000` on it measures one.")
    small = same_machine[0]

    def fit(key: str) -> tuple[float, float]:
        """Fixed seconds and seconds per million posts, through the two sizes."""
        per_million = (large[key] - small[key]) / (large["posts"] - small["posts"]) * 1e6
        return small[key] - per_million * small["posts"] / 1e6, per_million

    parts = []
    for key, label in (("pipeline_s", "the pipeline"), ("floor_s", "the floor"), ("pandas_s", "pandas")):
        if small.get(key) and large.get(key):
            fixed, per_million = fit(key)
            parts.append(f"{label} {round(fixed)} s + {per_million:.1f} s per million posts")
    return (
        f"How cost grows with data, through the runs at {small['posts']:,} and {large['posts']:,} posts on one "
        f"machine ({machine_kind(large)}): "
        f"{'; '.join(parts)}. The pipeline's fixed part is dbt, checks, reports and start-up; its peak memory "
        f"grows with the data too, from {small['peak_rss_mb']:,.0f} MB to {large['peak_rss_mb']:,.0f} MB."
    )


def update_readme(results_dir: Path, readme: Path) -> None:
    table = results_table(latest_results(results_dir))
    text = readme.read_text() if readme.exists() else f"# Benchmarks\n\n{README_BEGIN}\n{README_END}\n"
    if README_BEGIN not in text:
        text += f"\n{README_BEGIN}\n{README_END}\n"
    before, rest = text.split(README_BEGIN, 1)
    _old, after = rest.split(README_END, 1)
    readme.write_text(f"{before}{README_BEGIN}\n{table}\n{README_END}{after}")


def run_from_snapshot(args: argparse.Namespace, argv: list[str]) -> int:
    """Clone HEAD and run this script from the clone, with its package first on PYTHONPATH (the editable
    install's finder comes after sys.path), writing results, README and data where this checkout keeps them."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    clone = args.data_dir.resolve() / "snapshots" / commit[:12]
    if not clone.exists():
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO_ROOT), str(clone)], check=True)
        subprocess.run(["git", "checkout", "--quiet", commit], cwd=clone, check=True)
    say(f"measuring commit {commit[:12]} from {clone}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(clone), os.environ.get("PYTHONPATH")]))}
    forwarded = [arg for arg in argv if arg != "--snapshot"]
    command = [
        sys.executable, str(clone / "benchmarks" / "run.py"), *forwarded,
        "--data-dir", str(args.data_dir.resolve()), "--results-dir", str(args.results_dir.resolve()), "--readme", str(args.readme.resolve()),
    ]
    return subprocess.run(command, env=env, cwd=clone).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the pipeline against the DuckDB floor and pandas (issue 7).")
    parser.add_argument("--posts", type=int, default=DEFAULT_POSTS)
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=1, help="measure floor, pipeline and pandas this many times (median)")
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--readme", type=Path, default=BENCH_DIR / "README.md", help="whose results table to rewrite")
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--skip-incremental-check", action="store_true", help="do not re-run the floor to check the incremental result")
    parser.add_argument("--keep-runs", action="store_true", help="keep this run's warehouse and outputs under data/runs/")
    parser.add_argument(
        "--snapshot", action="store_true",
        help="measure the committed HEAD, not the working tree: clone it under data/snapshots/ and run from there "
        "(the working tree can then be edited during a long run)",
    )
    args = parser.parse_args(argv)
    if args.snapshot:
        return run_from_snapshot(args, argv if argv is not None else sys.argv[1:])

    result = run_bench(args)
    paths = write_results(result, args.results_dir)
    if not args.no_readme:
        update_readme(args.results_dir, args.readme)
    if not args.keep_runs:
        shutil.rmtree(result["run_dir"], ignore_errors=True)  # this run's only: another may be running beside it
    ratios = result["ratios"]
    say(
        f"{result['posts']:,} posts: pipeline {_seconds(result['pipeline_s'])} s, floor {_seconds(result['floor_s'])} s, "
        f"pandas {_seconds(result['pandas_s'])} s, incremental {_seconds(result['incremental_s'])} s, "
        f"rerun with nothing new {_seconds(result['rerun_s'])} s, peak RSS {result['peak_rss_mb']:.0f} MB; "
        f"pipeline/floor {ratios['pipeline_over_floor']}, pandas/pipeline {ratios['pandas_over_pipeline']}, "
        f"incremental/pipeline {ratios['incremental_over_pipeline']}"
    )
    say(f"wrote {', '.join(str(path) for path in paths)}")
    if any(result["pipeline_exit_statuses"]):
        say(f"a `bts run` exited non-zero (exit statuses {result['pipeline_exit_statuses']}): see its log above")
        return 1
    if not result["tables_agree"]:
        for name, problems in result["differences"].items():
            for line in problems:
                say(f"DIFFERENT ({name}): {line}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
