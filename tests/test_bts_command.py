"""`bts run`'s own checks before any work: misspelt variables and arguments, named, exit status 2."""

from __future__ import annotations

import pytest

from dagster_project import cli


@pytest.fixture
def environment(tmp_path, monkeypatch):
    """A valid environment, every BTS_* variable set; each test breaks one."""
    landing = tmp_path / "landing"
    landing.mkdir()
    for name, value in {
        "BTS_LANDING_DIR": str(landing),
        "BTS_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "BTS_TIMEZONE": "Europe/Paris",
        "BTS_LANGUAGE": "en",
        "BTS_FIRST_QUARTER": "2022-Q1",
        "BTS_RUN_DATE": "2026-11-26",
        "BTS_DUCKDB_MEMORY_LIMIT": "1GB",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@pytest.mark.parametrize(
    "name, value, said",
    [
        ("BTS_TIMEZONE", "Mars/Olympus", "BTS_TIMEZONE='Mars/Olympus' is not a time zone"),
        ("BTS_TIMEZONE", "../etc/passwd", "BTS_TIMEZONE='../etc/passwd' is not a time zone"),
        ("BTS_LANGUAGE", "de", "BTS_LANGUAGE must be one of fr, en, not 'de'"),
        ("BTS_RUN_DATE", "yesterday", "BTS_RUN_DATE='yesterday' is not a date (YYYY-MM-DD)"),
        ("BTS_FIRST_QUARTER", "2022Q1", "BTS_FIRST_QUARTER: not a quarter: '2022Q1'"),
        ("BTS_DUCKDB_MEMORY_LIMIT", "lots", "BTS_DUCKDB_MEMORY_LIMIT='lots' is not a memory size for DuckDB"),
        ("BTS_LANDING_DIR", "{tmp}/nowhere", "the landing directory {tmp}/nowhere (BTS_LANDING_DIR) does not exist"),
    ],
)
@pytest.mark.parametrize("arguments", [["--quarter", "2023-Q4"], ["--all"]])
def test_a_misspelt_variable_stops_bts_run_before_any_work_and_is_named(environment, monkeypatch, capsys, name, value, said, arguments):
    monkeypatch.setenv(name, value.format(tmp=environment))
    assert cli.main(["run", *arguments]) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert f"[bts] error: {said.format(tmp=environment)}" in error, error
    assert not (environment / "warehouse").exists()  # no log, no database, no lock: nothing was started


@pytest.mark.parametrize(
    "arguments, said",
    [
        (["--from", "2023-Q1"], "--from needs --to"),
        (["--to", "2023-Q1", "--quarter", "2023-Q1"], "--to needs --from"),
        (["--all", "--to", "2023-Q1"], "--to needs --from"),
        (["--from", "2023-Q2", "--to", "2023-Q1"], "2023-Q2 comes after 2023-Q1"),
        (["--quarter", "2026-Q4"], "2026-Q4 is not complete yet (the last complete quarter is 2026-Q3)"),
        (["--quarter", "2021-Q4"], "2021-Q4 is before BTS_FIRST_QUARTER=2022-Q1"),
        (["--quarter", "2023-Q5"], "not a quarter: '2023-Q5'"),
    ],
)
def test_arguments_that_cannot_run_are_named(environment, capsys, arguments, said):
    assert cli.main(["run", *arguments]) == cli.EXIT_USAGE
    assert said in capsys.readouterr().err


def test_the_environment_as_set_passes():
    cli.check_environment()  # the test session's own (the repository's landing, the default zone)


def test_dagster_lists_of_step_names_read_once_each():
    message = "Dependencies for step x failed: ['a', 'b', 'a', 'b'] were not executed: ['c', 'c']. Not executing."
    assert cli._names_once(message) == "Dependencies for step x failed: [a, b] were not executed: [c]. Not executing."
    assert cli._names_once("nothing listed [1, 2]") == "nothing listed [1, 2]"


def test_a_warehouse_path_that_is_a_file_or_under_one_is_an_error_not_a_traceback(environment, monkeypatch, capsys):
    (environment / "a_file").write_text("not a directory")
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(environment / "a_file"))
    assert cli.main(["run", "--quarter", "2023-Q4"]) == cli.EXIT_USAGE
    assert f"the warehouse directory {environment / 'a_file'} (BTS_WAREHOUSE_DIR) is not a directory" in capsys.readouterr().err
    monkeypatch.setenv("BTS_WAREHOUSE_DIR", str(environment / "a_file" / "warehouse"))  # found only when created
    assert cli.main(["run", "--quarter", "2023-Q4"]) == cli.EXIT_FAILED
    error = capsys.readouterr().err
    assert "[bts] error: [Errno 20] Not a directory" in error and "Traceback" not in error, error


def test_generate_into_a_file_is_an_error(tmp_path, capsys):
    (tmp_path / "a_file").write_text("not a directory")
    assert cli.main(["generate", "--demo", "--out", str(tmp_path / "a_file")]) == cli.EXIT_USAGE
    assert f"{tmp_path / 'a_file'} is not a directory" in capsys.readouterr().err


def _landing_with_posts_published(landing, *instants: str) -> None:
    (landing / "accounts.csv").write_text(
        "panel,platform,handle,company,display_name,account_type,member_from,member_to\n"
        "x_panel,x,acme,Acme,Acme,corporate,,\n"
    )
    rows = "".join(f"x,acme,{index},{instant},post,text,1,0,0,0,,\n" for index, instant in enumerate(instants, 1))
    (landing / "posts.csv").write_text(
        "platform,handle,post_id,published_at,post_type,text,likes,comments,reposts,quotes,impressions,permalink\n" + rows
    )


def test_all_runs_the_complete_quarters_with_posts_and_says_which_posts_wait(environment, capsys):
    _landing_with_posts_published(environment / "landing", "2026-02-01T10:00:00", "2026-10-15T10:00:00")
    assert [quarter.label for quarter in cli._quarters_with_data()] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert "posts of 2026-Q4 or later are loaded but not run: that quarter is not complete yet" in capsys.readouterr().err


def test_all_with_posts_only_in_the_quarter_under_way_says_so(environment, capsys):
    _landing_with_posts_published(environment / "landing", "2026-10-15T10:00:00")
    assert cli.main(["run", "--all"]) == cli.EXIT_USAGE
    assert (
        f"[bts] error: every post in {environment / 'landing'} is in 2026-Q4 or later, which is not complete yet "
        "(the last complete quarter is 2026-Q3): nothing to run"
    ) in capsys.readouterr().err


def test_all_without_a_loadable_post_names_every_rejected_file(environment, capsys):
    landing = environment / "landing"
    _landing_with_posts_published(landing, "2026-02-01T10:00:00")
    (landing / "posts.csv").write_text((landing / "posts.csv").read_text().replace(",1,0,0,0,,", ",many,0,0,0,,"))
    assert cli.main(["run", "--all"]) == cli.EXIT_USAGE
    assert (
        f"[bts] error: no post in {landing} could be loaded: nothing to run\n"
        "  rejected posts.csv, line 2, column 'likes': expected a non-negative integer"
    ) in capsys.readouterr().err


def test_all_says_when_it_read_files_again_under_another_timezone(environment, monkeypatch, capsys):
    # its own sync reads them again; the run's sync after it finds them loaded and has nothing to say
    _landing_with_posts_published(environment / "landing", "2026-02-01T10:00:00")
    cli._quarters_with_data()
    assert "read again" not in capsys.readouterr().err
    monkeypatch.setenv("BTS_TIMEZONE", "America/New_York")
    assert [quarter.label for quarter in cli._quarters_with_data()] == ["2026-Q1"]
    assert (
        "[bts] 2 file(s) read again (accounts.csv, posts.csv): loaded before under another timezone or by an older "
        "version of the pipeline's reading rules; a run refreshes its own quarters and years only, `bts run --all` "
        "refreshes every one"
    ) in capsys.readouterr().err
    cli._quarters_with_data()
    assert "read again" not in capsys.readouterr().err
