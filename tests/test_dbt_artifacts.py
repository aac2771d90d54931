"""Where dbt's artifacts of each build go, and how many are kept."""

from __future__ import annotations

from dagster_project.transformation import dbt_assets


def test_a_builds_artifacts_go_under_the_warehouse_named_by_time_and_run(tmp_path, monkeypatch):
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    path = dbt_assets.invocation_target_path("0123456789abcdef")
    assert path.parent == tmp_path / "dbt"
    stamp, run = path.name.split("-")
    assert run == "01234567" and len(stamp) == len("20261126T140000") and stamp[8] == "T"


def test_only_the_newest_builds_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(tmp_path))
    names = [f"202611{day:02d}T120000-run{day:05d}" for day in range(1, 15)]
    for name in names:
        (tmp_path / "dbt" / name).mkdir(parents=True)
        (tmp_path / "dbt" / name / "run_results.json").write_text("{}")
    (tmp_path / "dbt" / "notes.txt").write_text("not a build")

    dbt_assets.prune_invocation_targets(keep=10)

    kept = sorted(path.name for path in (tmp_path / "dbt").iterdir())
    assert kept == sorted(names[-10:] + ["notes.txt"])
