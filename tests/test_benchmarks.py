"""The benchmark harness (benchmarks/run.py) at a tiny size: the three implementations agree and the JSON is complete."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "benchmarks"
sys.path.insert(0, str(BENCH_DIR))

import compare  # noqa: E402
import run as bench  # noqa: E402

REQUIRED_KEYS = ("posts", "pipeline_s", "floor_s", "pandas_s", "incremental_s", "rerun_s", "peak_rss_mb", "machine")


@pytest.mark.slow
def test_bench_at_5000_posts_agrees_and_writes_every_key(tmp_path):
    results_dir = tmp_path / "results"
    readme = tmp_path / "README.md"
    completed = subprocess.run(
        [
            sys.executable, str(BENCH_DIR / "run.py"), "--posts", "5000", "--accounts", "20",
            "--data-dir", str(tmp_path / "data"), "--results-dir", str(results_dir), "--readme", str(readme),
            "--keep-runs",
        ],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    latest, kept = sorted(results_dir.glob("*.json"), key=lambda path: len(path.name))
    assert kept.name == latest.name.replace(".json", "-5000.json")  # a run at another N than 10 million keeps its own file
    result = json.loads(latest.read_text())
    for key in REQUIRED_KEYS:
        assert result[key] is not None, key
    assert result["posts"] == 5000
    assert result["tables_agree"], result["differences"]
    # the incremental run and the rerun with nothing new each checked against the floor on the grown landing
    assert set(result["differences"]) >= {"incremental_pipeline_vs_floor", "rerun_pipeline_vs_floor"}
    assert result["pipeline_exit_statuses"] == [0, 0, 0]
    rerun = result["runs"]["rerun"]
    assert rerun["command"] == result["runs"]["incremental"]["command"]
    assert set(rerun["steps_s"]) >= {"landing_files", "bts_dbt_models", "quarterly_report"}
    assert result["ratios"]["rerun_over_pipeline"] == round(result["rerun_s"] / result["pipeline_s"], 4)
    assert result["fct_account_quarter_rows"] > 0
    assert result["machine"]["description"]
    assert "| 5,000 |" in readme.read_text()

    # The floor measured again by hand, from what the JSON says: the same files, the same command.
    landing = Path(result["landing"]["path"])
    assert landing.parent == tmp_path / "data"
    assert sum(1 for _ in landing.rglob("*.csv")) == result["landing"]["files"]
    floor_command = result["runs"]["floor"][0]["command"]
    assert floor_command[floor_command.index("--landing") + 1] == str(landing)
    again = tmp_path / "floor-again.duckdb"
    floor_command[floor_command.index("--out") + 1] = str(again)
    subprocess.run(floor_command, cwd=REPO_ROOT, check=True, capture_output=True, timeout=300)
    # the table the pipeline was compared with (its own analytics.duckdb has the incremental file's posts since)
    assert compare.differences(compare.load(again), compare.load(Path(result["run_dir"]) / "floor.duckdb")) == []
    assert result["runs"]["pipeline"][0]["environment"]["BTS_LANDING_DIR"] == str(Path(result["run_dir"]) / "landing")


def test_compare_tolerates_rounding_of_doubles_but_not_of_counts():
    row = ("2023-Q4", None, None, "panel", "x", "handle") + (None,) * 19
    rounded = list(row)
    rounded[COLUMNS_INDEX["post_interaction_rate"]] = 0.1 + 0.2
    exact = list(row)
    exact[COLUMNS_INDEX["post_interaction_rate"]] = 0.3
    assert compare.differences([tuple(rounded)], [tuple(exact)]) == []

    more_posts = list(exact)
    more_posts[COLUMNS_INDEX["posts"]] = 3
    fewer_posts = list(exact)
    fewer_posts[COLUMNS_INDEX["posts"]] = 2
    assert compare.differences([tuple(more_posts)], [tuple(fewer_posts)])


def test_compare_as_a_command_names_a_missing_database_and_says_whether_tables_agree(tmp_path, capsys):
    with pytest.raises(SystemExit) as usage:
        compare.main([str(tmp_path / "missing.duckdb"), str(tmp_path / "missing.duckdb")])
    assert usage.value.code == 2 and "missing.duckdb is not a file" in capsys.readouterr().err
    with duckdb.connect(str(tmp_path / "one.duckdb")) as conn:
        conn.execute(f"create table fct_account_quarter as select {', '.join(f'null as {name}' for name in compare.COLUMNS)}")
    assert compare.main([str(tmp_path / "one.duckdb")] * 2) == 0
    assert capsys.readouterr().out.strip() == "1 and 1 rows: the same"


@pytest.mark.parametrize("script", ["floor", "pandas_pipeline"])
def test_floor_and_pandas_say_what_is_wrong_with_a_landing_directory_they_cannot_read(script, tmp_path, capsys):
    main = importlib.import_module(script).main
    for landing, said in ((tmp_path / "missing", "is not a directory"), (tmp_path, "the landing directory has no file")):
        with pytest.raises(SystemExit) as usage:
            main(["--landing", str(landing)])
        error = capsys.readouterr().err
        assert usage.value.code == 2 and said in error and "Traceback" not in error, error


def test_compare_reports_missing_members_and_null_mismatches():
    row = ("2023-Q4", None, None, "panel", "x", "handle") + (None,) * 19
    other = ("2023-Q4", None, None, "panel", "x", "other") + (None,) * 19
    assert any("only in the second" in line for line in compare.differences([row], [row, other]))
    with_rate = list(row)
    with_rate[COLUMNS_INDEX["post_interaction_rate"]] = 0.0
    assert compare.differences([row], [tuple(with_rate)])


def test_results_table_states_how_cost_grows():
    def result(posts: int, pipeline_s: float) -> dict:
        return {
            "date": "2026-01-01", "posts": posts, "pipeline_s": pipeline_s, "floor_s": pipeline_s / 2,
            "pandas_s": pipeline_s * 6, "incremental_s": 1.0, "peak_rss_mb": 900.0, "tables_agree": True,
            "machine": {"description": "test machine"},
            "ratios": {"pipeline_over_floor": 2.0, "pandas_over_pipeline": 6.0, "incremental_over_pipeline": 0.05},
        }

    table = bench.results_table([result(1_000_000, 20.0), result(10_000_000, 110.0)])
    assert "| 10,000,000 |" in table
    assert "the pipeline 10 s + 10.0 s per million posts" in table
    # a fixed part a little below zero (2.7 s per million from 2.3 s at one million) reads 0 s, not -0 s
    small, large = result(1_000_000, 20.0), result(10_000_000, 110.0)
    small["floor_s"], large["floor_s"] = 2.3, 26.6
    table = bench.results_table([small, large])
    assert "the floor 0 s + 2.7 s per million posts" in table


def test_how_cost_grows_is_never_drawn_through_runs_of_two_kinds_of_machine():
    def result(posts: int, pipeline_s: float, cpu_model: str, kernel: str) -> dict:
        return {
            "date": "2026-01-01", "posts": posts, "pipeline_s": pipeline_s, "floor_s": pipeline_s / 4,
            "pandas_s": pipeline_s, "incremental_s": 1.0, "peak_rss_mb": 900.0, "tables_agree": True,
            "machine": {"description": f"{cpu_model}, 2 cores, 24 GB RAM, Linux {kernel}", "cpu_model": cpu_model, "cores": 2},
            "ratios": {"pipeline_over_floor": 4.0, "pandas_over_pipeline": 1.0, "incremental_over_pipeline": 0.05},
        }

    # the newest run at each size: one million on an AMD host, three and ten million on a slower Xeon
    results = [result(1_000_000, 24.0, "AMD EPYC", "6.18-v669"), result(3_000_000, 60.0, "Xeon", "6.18-v657"),
               result(10_000_000, 140.0, "Xeon", "6.18-v650")]
    table = bench.results_table(results)
    # through 3 and 10 million posts (the two Xeon runs, whose kernels differ), not 1 and 10 million across machines
    assert "through the runs at 3,000,000 and 10,000,000 posts on one machine (Xeon, 2 cores)" in table
    assert "the pipeline 26 s + 11.4 s per million posts" in table
    table = bench.results_table(results[::2])
    assert "per million" not in table
    assert "no run at another size on the machine of the 10,000,000-post run (Xeon, 2 cores) yet" in table


COLUMNS_INDEX = {name: index for index, name in enumerate(compare.COLUMNS)}
