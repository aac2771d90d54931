"""The marts after runs as users make them, value by value against the independent reference.

tests/test_reference_marts.py compares one `bts run --all` from an empty
warehouse with tests/reference_marts.py. Users run the pipeline otherwise:
one quarter at a time (the schedule, `bts run --quarter`), in whatever order,
some quarters again, on a warehouse that already holds earlier runs, while
the landing directory changes under it. This file compares, with the same
reference and the same value-by-value comparison (texts and integers
exactly, doubles to 1e-9 relative, NULL for NULL, timestamps as instants):

1. a seeded shuffle of `bts run --quarter` / `--from --to` commands on one
   warehouse over the adversarial landing: after each command, every period
   run so far (and the year of each, METRICS.md: "Running any quarter
   refreshes the tables of its year") holds the reference values, nothing
   else is published, and once every quarter has run the nine tables equal
   those of a single `bts run --all`;
2. the same warehouse after the landing changes as a user changes it (a
   re-export with grown counts, files moved into subfolders, a new follower
   snapshot file; then a deleted file and two files whose bytes were
   edited), against the reference of the landing as it now is;
3. `bts run --all` on the scale generator's data (every layout, `;` and
   Windows-1252 files included) and on the real @rOpenSci tweet-activity
   exports of ../shared/corpora with panels and follower snapshots written
   here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from pipeline_runs import BTS, REPO, RUN_DATE, dagster_home, environment
from reference_marts import TABLES, quarter, quarters_with_posts, read_landing, reference_marts
from shared_corpora import CORPUS, needs_corpus
from test_reference_marts import (
    ADVERSARIAL_RUN_DATE,
    CANONICAL_COLUMNS,
    SHOWN_MISMATCHES,
    AdversarialLanding,
    mismatches,
    published_marts,
    write_adversarial_landing,
)

RUN_TIMEOUT = 900

pytestmark = pytest.mark.slow


# --- running `bts` and comparing periods ------------------------------------------------------------------

def bts_run(landing: Path, warehouse: Path, run_date: str, arguments: list[str],
            instance: Path | None = None) -> dict[str, list[dict]]:
    """`bts run ARGUMENTS` as a user starts it; the published marts afterwards."""
    env = {**environment(landing, warehouse, instance), "BTS_RUN_DATE": run_date}
    completed = subprocess.run([str(BTS), "run", *arguments], cwd=REPO, env=env, capture_output=True, text=True,
                               timeout=RUN_TIMEOUT)
    assert completed.returncode == 0, f"bts run {' '.join(arguments)} failed:\n{completed.stderr[-6000:]}"
    return published_marts(warehouse / "analytics.duckdb")


def next_quarter(label: str) -> str:
    number = int(label[-1])
    return f"{int(label[:4]) + 1}-Q1" if number == 4 else f"{label[:4]}-Q{number + 1}"


def previous_quarter(label: str) -> str:
    number = int(label[-1])
    return f"{int(label[:4]) - 1}-Q4" if number == 1 else f"{label[:4]}-Q{number - 1}"


def quarters_of(arguments: list[str]) -> list[str]:
    """The quarters one `bts run` command asks for."""
    if arguments[0] == "--all":
        raise ValueError("--all: the quarters come from the landing")
    if arguments[0] == "--from":
        labels, label = [], arguments[1]
        while label <= arguments[3]:
            labels.append(label)
            label = next_quarter(label)
        return labels
    return sorted(set(arguments[1::2]))


def years_of(quarters) -> set[int]:
    return {int(label[:4]) for label in quarters}


def period_column(table: str) -> str:
    return TABLES[table]["key"][0]


def by_period(marts: dict[str, list[dict]]) -> dict[tuple[str, object], list[dict]]:
    """(table, quarter label or year) -> its rows."""
    periods: dict[tuple[str, object], list[dict]] = {}
    for table in TABLES:
        for row in marts[table]:
            periods.setdefault((table, row[period_column(table)]), []).append(row)
    return periods


def restricted(marts: dict[str, list[dict]], quarters, years) -> dict[str, list[dict]]:
    """The rows of these quarters (quarter tables) and these years (year tables)."""
    keep = {"quarter": set(quarters), "year": set(years)}
    return {table: [row for row in marts[table] if row[period_column(table)] in keep[period_column(table)]]
            for table in TABLES}


def published_periods(marts: dict[str, list[dict]]) -> dict[str, set]:
    return {table: {row[period_column(table)] for row in rows} for table, rows in marts.items() if table in TABLES}


def differences(expected: dict[str, list[dict]], got: dict[str, list[dict]]) -> tuple[list[str], int]:
    """Every mismatch of the nine tables, and how many values were compared."""
    lines, compared = [], 0
    for table in TABLES:
        table_lines, table_compared = mismatches(table, expected[table], got[table])
        lines += table_lines
        compared += table_compared
    return lines, compared


def assert_same(expected: dict[str, list[dict]], got: dict[str, list[dict]], label: str) -> int:
    lines, compared = differences(expected, got)
    assert not lines, (f"{label}: {len(lines)} mismatches ({compared} values compared); first ones:\n"
                       + "\n".join(lines[:SHOWN_MISMATCHES]))
    return compared


# --- 1. quarters run one at a time, in a seeded shuffled order, on one warehouse ----------------------------

SEQUENCE_QUARTERS = [f"{year}-Q{number}" for year in (2023, 2024, 2025) for number in (1, 2, 3, 4)][:10]
SEQUENCE_BLOCKS = [
    ["--from", "2023-Q2", "--to", "2024-Q3"],           # one range, one Dagster run
    ["--quarter", "2024-Q3"],                           # a lone quarter (also in the range: run twice)
    ["--quarter", "2025-Q2", "--quarter", "2023-Q1"],   # two quarters far apart: two runs, later year first
    ["--quarter", "2025-Q1", "--quarter", "2024-Q4"],   # contiguous, written backwards: one run
]
SEQUENCE_SEED = 2  # chosen so that the order reaches what test_the_seeded_order_reaches_its_cases asserts


def sequence_commands(seed: int = SEQUENCE_SEED) -> list[list[str]]:
    """The blocks in a shuffled order, then the first command's first quarter once more."""
    rng = random.Random(seed)
    blocks = [list(block) for block in SEQUENCE_BLOCKS]
    rng.shuffle(blocks)
    return blocks + [["--quarter", rng.choice(quarters_of(blocks[0]))]]


@pytest.fixture(scope="module")
def adversarial(tmp_path_factory) -> dict:
    """The adversarial landing, its warehouse (a persistent Dagster instance, as `make`'s), its reference."""
    root = tmp_path_factory.mktemp("sequence")
    landing = write_adversarial_landing(root / "landing")
    run_date = dt.date.fromisoformat(ADVERSARIAL_RUN_DATE)
    assert quarters_with_posts(read_landing(landing), run_date) == SEQUENCE_QUARTERS
    return dict(landing=landing, warehouse=root / "warehouse", instance=dagster_home(root / "dagster"),
                reference=reference_marts(landing, run_date))


@pytest.fixture(scope="module")
def sequence(adversarial) -> list[dict]:
    """Each command of the sequence: its arguments, the quarters run so far, the marts published after it."""
    steps, run_so_far = [], []
    for arguments in sequence_commands():
        got = bts_run(adversarial["landing"], adversarial["warehouse"], ADVERSARIAL_RUN_DATE, arguments,
                      adversarial["instance"])
        run_so_far = sorted(set(run_so_far) | set(quarters_of(arguments)))
        steps.append(dict(arguments=arguments, quarters=run_so_far, got=got))
    return steps


def test_the_seeded_order_reaches_its_cases():
    """Without this, another seed or block could quietly drop the orders the sequence exists for."""
    commands = sequence_commands()
    assert sum(1 for command in commands if command[0] == "--from") == 1
    run: list[str] = []
    before_previous, year_before_previous_year = [], []
    for command in commands:
        asked = quarters_of(command)
        for label in asked:
            if previous_quarter(label) in SEQUENCE_QUARTERS and previous_quarter(label) not in run + asked:
                before_previous.append(label)
            year = int(label[:4])
            if year - 1 in years_of(SEQUENCE_QUARTERS) and year - 1 not in years_of(run + asked):
                year_before_previous_year.append(year)
        run += asked
    # A quarter runs while the quarter before it has never run (its previous_rank comes from the data).
    assert "2024-Q3" in before_previous and "2025-Q2" in before_previous
    # A year's tables are published while the year before has never run (the year's previous_rank).
    assert 2024 in year_before_previous_year
    # Every quarter runs; some more than once; the last command reruns a quarter whose year other
    # commands refreshed in between.
    counts = Counter(run)
    assert set(counts) == set(SEQUENCE_QUARTERS) and max(counts.values()) >= 2
    last = commands[-1][1]
    first = next(index for index, command in enumerate(commands) if last in quarters_of(command))
    assert first == 0 and any(label[:4] == last[:4] and label != last
                              for command in commands[1:-1] for label in quarters_of(command))
    # The first command is a lone quarter in the middle of a year: its year is published from one run.
    assert commands[0] == ["--quarter", "2024-Q3"]


def test_after_each_command_the_periods_run_so_far_hold_the_reference_values(adversarial, sequence):
    """The quarters run so far and their years equal the reference (computed for the whole landing:
    a quarter's previous_rank and a year's figures come from the data, whichever quarters have run)."""
    for index, step in enumerate(sequence, start=1):
        label = f"after command {index} (bts run {' '.join(step['arguments'])})"
        expected = restricted(adversarial["reference"], step["quarters"], years_of(step["quarters"]))
        assert_same(expected, step["got"], label)


def test_after_each_command_only_the_periods_run_so_far_are_published(sequence):
    """MARTS.md: `bts run --quarter` publishes "for those quarters"; METRICS.md: and refreshes their years."""
    for index, step in enumerate(sequence, start=1):
        for table, periods in published_periods(step["got"]).items():
            wanted = set(step["quarters"]) if period_column(table) == "quarter" else years_of(step["quarters"])
            assert periods == wanted, (f"after command {index} (bts run {' '.join(step['arguments'])}): {table} "
                                       f"holds the periods {sorted(periods)}, expected {sorted(wanted)}")


@pytest.mark.parametrize("table", list(TABLES))
def test_after_every_quarter_has_run_each_table_equals_one_run_all(adversarial, sequence, table):
    expected, got = adversarial["reference"][table], sequence[-1]["got"][table]
    lines, compared = mismatches(table, expected, got)
    assert not lines, (f"after the sequence: {len(lines)} mismatches in {table} ({compared} values compared); "
                       "first ones:\n" + "\n".join(lines[:SHOWN_MISMATCHES]))
    assert compared > 0


# --- 2. the landing changes between runs ----------------------------------------------------------------

def csv_bytes(rows: list[list], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def observation(landing, path: str, text: str) -> dict:
    """The one observation of `path` whose text is `text`."""
    found = [row for row in landing.observations if row["path"] == path and row["text"] == text]
    assert len(found) == 1, (path, text, len(found))
    return found[0]


def replace_once(path: Path, old: bytes, new: bytes) -> None:
    """Edit a file's bytes as a text editor does: one occurrence, everything else byte for byte."""
    data = path.read_bytes()
    assert data.count(old) == 1, (path, old, data.count(old))
    path.write_bytes(data.replace(old, new))


def change_landing_first(landing_dir: Path) -> None:
    """A re-export with grown counts, two files moved into subfolders, a new follower snapshot file."""
    landing = read_landing(landing_dir)
    run_date = dt.date.fromisoformat(ADVERSARIAL_RUN_DATE)
    q2 = quarter("2024-Q2")
    # (a) The monitoring tool's 2024 export again, for some posts of 2024-Q2, with grown counts
    # (LANDING.md 4: the observation with the most reactions is kept, whole).
    source = "exports/2024/veille_x_2024.csv"
    again = sorted((row for row in landing.observations
                    if row["path"] == source and row["handle"] in ("rochefr", "ipsen", "pfizer_fr")
                    and q2.start <= landing.local_date(row["published_at"]) <= q2.end), key=lambda row: row["post_id"])
    assert len(again) >= 4
    rows = [list(CANONICAL_COLUMNS)]
    for number, row in enumerate(again[::2]):
        grown = dict(row, likes=row["likes"] + 17 + number, comments=row["comments"] + 1,
                     impressions=row["impressions"] + 1000,
                     text=row["text"] + (" #relance" if number == 0 else ""),
                     published_at=row["published_at"].isoformat(), permalink=row["permalink"] or "")
        rows.append([grown[column] for column in CANONICAL_COLUMNS])
    (landing_dir / "exports/2024/relances").mkdir(parents=True)
    (landing_dir / "exports/2024/relances/veille_x_2024_juin.csv").write_bytes(csv_bytes(rows))
    # (b) X's tweet-activity export of April-June 2024 (X limits one export to 90 days), overlapping the
    # March-May one: grown counts; a tweet whose kept observation becomes a repost (no longer counted);
    # one whose kept observation stops being a repost; equal reactions and more impressions.
    activity = "x/tweet_activity_metrics_SanofiFR_20240301_20240531_en.csv"
    reexport = AdversarialLanding()
    file = "x/tweet_activity_metrics_SanofiFR_20240401_20240630_en.csv"
    merci = observation(landing, activity, "@Roche merci ! #Partenariat")
    reexport.tweet(file, "SanofiFR", "2024-04-12 09:00:00", "@Roche merci ! #Partenariat", likes=40, replies=3,
                   post_id=merci["post_id"])
    garde = observation(landing, "exports/2024/veille_x_2024.csv", "Le même post, compté #gardé")
    reexport.tweet(file, "SanofiFR", "2024-04-20 09:00:00", "RT @Roche: gardé ? non, le canonique a plus",
                   likes=80, post_id=garde["post_id"])
    perdu = observation(landing, "exports/2024/veille_x_2024.csv", "RT @Roche: #perdu")
    reexport.tweet(file, "SanofiFR", "2024-04-21 09:00:00", "Compté, cette fois #perdu #retrouvé", likes=60,
                   post_id=perdu["post_id"])
    avril = observation(landing, activity, "Paris 1 April 00:30 #Avril")
    reexport.tweet(file, "SanofiFR", "2024-03-31 22:30:00", "Paris 1 April 00:30 #Avril #réexport", likes=35,
                   retweets=5, impressions=150, post_id=avril["post_id"])
    scratch = landing_dir.parent / "reexport"
    reexport.write(scratch, snapshots={})
    shutil.copy(scratch / file, landing_dir / file)
    # (c) Moves into subfolders. alpha/export.csv ties with Zeta/export.csv on post 1788887000000000001
    # (same reactions, same impressions): the path sorting last wins; "Zeta/0/export.csv" sorts before
    # "Zeta/export.csv", so the Zeta copy is now kept. The twins' file moves without changing any value.
    (landing_dir / "Zeta/0").mkdir()
    (landing_dir / "alpha/export.csv").rename(landing_dir / "Zeta/0/export.csv")
    (landing_dir / "alpha").rmdir()
    (landing_dir / "twins/archive").mkdir()
    (landing_dir / "twins/twins.csv").rename(landing_dir / "twins/archive/twins.csv")
    # (d) A new follower snapshot file: one row repeats a snapshot exactly (one snapshot), one falls between
    # two snapshots of sanofifr (2024-05-01 to 06-14 only), one is carried forward to every later quarter.
    snapshots = [["platform", "handle", "date", "followers", "following"],
                 ["x", "SanofiFR", "2024-05-01", 2100, 335],
                 ["x", "sanofifr", "2024-06-15", 2200, 340],
                 ["x", "ipsen", "30/04/2024", 750, 71]]
    (landing_dir / "followers/releves").mkdir()
    (landing_dir / "followers/releves/releves_mai_2024.csv").write_bytes(csv_bytes(snapshots, ";"))
    assert quarters_with_posts(read_landing(landing_dir), run_date) == SEQUENCE_QUARTERS


def change_landing_second(landing_dir: Path) -> None:
    """A deleted file, and two files whose bytes were edited (a count each)."""
    # Posts of 2024-Q4 (local times at the end of 2024): gone with their file (LANDING.md 5).
    (landing_dir / "exports/local/naive.csv").unlink()
    # The French Excel file: Bayer's reel of 2024-Q1 had 1 200 likes (no-break space, Windows-1252).
    replace_once(landing_dir / "instagram/veille_excel.csv", b";1\xa0200;", b";2\xa0345;")
    # The older export of the top tweet of 2023-Q4 now has more reactions (600) than the tweet-activity
    # export (500): its observation is kept, whole (its text, its second, no permalink).
    replace_once(landing_dir / "exports/2023/veille_x_2023.csv", b",Top du T4 (older export),300,",
                 b",Top du T4 (older export),600,")


def change_landing_third(landing_dir: Path, run_date: dt.date) -> str:
    """Every post file holding a post of the first quarter with posts, deleted; that quarter's label.

    The first quarter `bts run --all` runs is then a later one: the first quarter, and the year if no
    quarter of it is left, no longer have data.
    """
    landing = read_landing(landing_dir)
    first = quarters_with_posts(landing, run_date)[0]
    holding = {post["path"] for post in landing.observations
               if quarter_label(landing.local_date(post["published_at"])) == first}
    for path in holding:
        (landing_dir / path).unlink()
    return first


def quarter_label(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def report_folders(warehouse: Path) -> list[str]:
    return sorted(path.name for path in (warehouse / "reports").iterdir())


@pytest.fixture(scope="module")
def changes(adversarial, sequence) -> dict:
    """After the sequence (every quarter published from the unchanged landing):

    first, the changes of change_landing_first, then `bts run --quarter 2024-Q2` (the quarter whose posts
    changed); second, the changes of change_landing_second, then `bts run --all`; third, the files of the
    first quarter with posts deleted (change_landing_third), then `bts run --all` again.
    """
    landing, warehouse, instance = adversarial["landing"], adversarial["warehouse"], adversarial["instance"]
    run_date = dt.date.fromisoformat(ADVERSARIAL_RUN_DATE)
    change_landing_first(landing)
    first = dict(reference=reference_marts(landing, run_date), quarters=["2024-Q2"],
                 got=bts_run(landing, warehouse, ADVERSARIAL_RUN_DATE, ["--quarter", "2024-Q2"], instance))
    change_landing_second(landing)
    second = dict(reference=reference_marts(landing, run_date),
                  got=bts_run(landing, warehouse, ADVERSARIAL_RUN_DATE, ["--all"], instance),
                  reports=report_folders(warehouse))
    emptied = change_landing_third(landing, run_date)
    third = dict(reference=reference_marts(landing, run_date), emptied=emptied,
                 got=bts_run(landing, warehouse, ADVERSARIAL_RUN_DATE, ["--all"], instance),
                 reports=report_folders(warehouse))
    return dict(before=adversarial["reference"], first=first, second=second, third=third)


def test_the_landing_changes_reach_the_marts(changes):
    """Without this, the changes could quietly stop changing anything the comparison looks at."""
    before, first, second = changes["before"], changes["first"]["reference"], changes["second"]["reference"]

    def tags(marts, label):
        return {(row["panel"], row["hashtag"]) for row in marts["fct_hashtags_quarter"] if row["quarter"] == label}

    assert ("x_pharma", "#gardé") in tags(before, "2024-Q2") - tags(first, "2024-Q2")
    assert {("x_pharma", "#perdu"), ("x_pharma", "#retrouvé"), ("x_pharma", "#relance"), ("x_pharma", "#réexport"),
            ("x_pharma", "#zeta_copy")} <= tags(first, "2024-Q2") - tags(before, "2024-Q2")
    assert ("x_pharma", "#alpha_copy") in tags(before, "2024-Q2") - tags(first, "2024-Q2")
    before_periods, first_periods = by_period(before), by_period(first)
    changed = {key for key in before_periods.keys() | first_periods.keys()
               if mismatches(key[0], before_periods.get(key, []), first_periods.get(key, []))[0]}
    assert {("fct_account_quarter", "2024-Q2"), ("fct_top_posts_quarter", "2024-Q2"), ("fct_account_year", 2024),
            ("rank_account_quarter", "2024-Q3")} <= changed
    # The carried-forward snapshot of ipsen changes quarters the first run does not rerun.
    assert ("fct_account_quarter", "2025-Q1") in changed
    top_q4 = [row for row in second["fct_top_posts_quarter"] if row["quarter"] == "2023-Q4" and row["rank"] == 1
              and row["panel"] == "x_pharma"]
    assert [(row["text"], row["reactions"], row["published_at"].second, row["permalink"]) for row in top_q4] == [
        ("Top du T4 (older export)", 600, 42, None)]
    assert not any(row["text"] == "local time, no offset" for row in second["fct_top_posts_year"])


def test_the_quarter_rerun_after_changes_and_its_year_hold_the_new_values(changes):
    first = changes["first"]
    quarters, years = first["quarters"], years_of(first["quarters"])
    assert_same(restricted(first["reference"], quarters, years), restricted(first["got"], quarters, years),
                "bts run --quarter 2024-Q2 after the landing changed")


def test_the_periods_not_rerun_after_changes_hold_their_old_or_their_new_values(changes):
    """What the contract says of the periods a run does not cover, once the landing has changed:

    LANDING.md 5 says that a changed file replaces what it loaded and a deleted file's rows leave the
    warehouse at the next run (the raw data, whatever quarters run); MARTS.md says `bts run --quarter`
    publishes "for those quarters" and METRICS.md that running a quarter refreshes its year. Nothing
    says whether the marts of the other periods (here 2024-Q3, whose previous_rank depends on 2024-Q2;
    2025-Q1 and later, which the new ipsen snapshot reaches; 2025, whose previous_rank depends on 2024)
    are recomputed from the new landing or keep what their last run published. Either is accepted,
    per table and period; nothing else (no period lost, none half-updated or duplicated). Where the
    landing change does not reach a period, both are the same, so those periods are compared exactly.
    (Today the pipeline keeps the old values: after this run the published 2024-Q2 says ipsen ends the
    quarter with 750 followers and the published 2024-Q3 still starts it with 700, until 2024-Q3 runs.)
    """
    first = changes["first"]
    rerun = {"quarter": set(first["quarters"]), "year": years_of(first["quarters"])}
    old, new, got = by_period(changes["before"]), by_period(first["reference"]), by_period(first["got"])
    assert published_periods(first["got"]) == published_periods(changes["before"])
    failures = []
    for key in sorted(old.keys() | new.keys() | got.keys(), key=repr):
        table, period = key
        if period in rerun[period_column(table)]:
            continue
        as_old = mismatches(table, old.get(key, []), got.get(key, []))[0]
        as_new = mismatches(table, new.get(key, []), got.get(key, []))[0]
        if as_old and as_new:
            failures.append(f"{table} {period}: neither the old values ({as_old[0]}) nor the new ({as_new[0]})")
    assert not failures, "\n".join(failures[:SHOWN_MISMATCHES])


def test_bts_run_all_after_more_changes_publishes_the_landing_as_it_now_is(changes):
    second = changes["second"]
    assert published_periods(second["got"]) == published_periods(second["reference"])
    assert_same(second["reference"], second["got"], "bts run --all after a file was deleted and two edited")


def test_bts_run_all_drops_the_periods_whose_posts_have_all_left(changes):
    """`--all` runs every quarter that has data: one whose files were all deleted is no longer published.

    Without this, the quarter (and its year, when no quarter of it is left) kept the figures of posts that
    had left the warehouse, and `--all` could never refresh it, since it is no longer among the quarters
    with data. A one-quarter run still touches no other period (tests/test_marts.py).
    """
    second, third = changes["second"], changes["third"]
    emptied = third["emptied"]
    assert emptied in published_periods(second["got"])["fct_account_quarter"]
    assert emptied not in published_periods(third["reference"])["fct_account_quarter"]
    assert published_periods(third["got"]) == published_periods(third["reference"])
    assert_same(third["reference"], third["got"], f"bts run --all after the files of {emptied} were deleted")
    # and its report goes with it: it would show figures of posts that have left
    assert emptied in second["reports"]
    assert third["reports"] == sorted(published_periods(third["got"])["fct_account_quarter"])


# --- 3. the scale generator's data, and the real tweet-activity exports -----------------------------------

CORPUS_ACCOUNTS = """\
panel,platform,handle,company,display_name,account_type,member_from,member_to
ropensci,x,rOpenSci,rOpenSci,rOpenSci,corporate,,
ropensci,x,ropensci_news,rOpenSci,rOpenSci News,campaign,2018-01-01,
ropensci_2019,x,ROPENSCI,rOpenSci,"rOpenSci, 2019-2020",corporate,2019-03-15,2020-08-31
"""


def write_corpus_landing(root: Path) -> Path:
    """The 60 real exports as they are; panels, and follower snapshots from the corpus's monthly summary
    (its `date` and `followers`, `NA` left out; `following` unknown), plus a member that never posts."""
    root.mkdir(parents=True)
    exports = root / "x" / "tweet_activity"
    exports.mkdir(parents=True)
    for export in sorted(CORPUS.glob("tweet_activity_metrics_*.csv")):
        shutil.copy(export, exports / export.name)
    (root / "accounts.csv").write_text(CORPUS_ACCOUNTS, encoding="utf-8")
    with (CORPUS / "twitter_metrics_monthly_rOpenSci.csv").open(newline="", encoding="utf-8") as summary:
        monthly = [(row["date"], row["followers"]) for row in csv.DictReader(summary) if row["followers"] != "NA"]
    rows = [["platform", "handle", "date", "followers", "following"]]
    rows += [["x", "rOpenSci", date, followers, ""] for date, followers in sorted(monthly)]
    rows += [["x", "ropensci_news", "2017-12-31", 500, ""], ["x", "ropensci_news", "2020-06-30", 800, 20]]
    (root / "followers").mkdir()
    (root / "followers" / "ropensci_monthly.csv").write_bytes(csv_bytes(rows))
    return root


def write_scale_landing(root: Path) -> Path:
    completed = subprocess.run([str(BTS), "generate", "--posts", "20000", "--accounts", "30", "--out", str(root),
                                "--seed", "3"], cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return root


LANDINGS = {"scale": write_scale_landing, "ropensci": write_corpus_landing}
# the corpus landing's tests skip, saying why, in a clone without ../shared beside it
LANDING_NAMES = [pytest.param(name, marks=needs_corpus) if name == "ropensci" else name for name in LANDINGS]


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory):
    """Per landing, on first use: (landing, reference marts, published marts); one `bts run --all` each."""
    cache = {}

    def get(name: str) -> tuple[Path, dict, dict]:
        if name not in cache:
            root = tmp_path_factory.mktemp(f"full-{name}")
            landing = LANDINGS[name](root / "landing")
            expected = reference_marts(landing, dt.date.fromisoformat(RUN_DATE))
            got = bts_run(landing, root / "warehouse", RUN_DATE, ["--all"])
            cache[name] = (landing, expected, got)
        return cache[name]

    return get


def test_the_scale_landing_holds_every_layout(full_runs):
    landing, expected, _ = full_runs("scale")
    read = read_landing(landing)
    layouts = Counter(path.relative_to(landing).parts[1] for path in (landing / "posts").rglob("*.csv"))
    assert set(layouts) == {"canonical", "canonical_french", "x_tweet_activity", "x_content", "instagram_posts"}
    raw = [path.read_bytes() for path in (landing / "posts" / "canonical_french").rglob("*.csv")]
    assert any(b"\xa0" in data and b";" in data.split(b"\n", 1)[0] for data in raw)  # `;`, Windows-1252
    assert len(read.posts) == 20000 and len({(row["platform"], row["handle"]) for row in read.accounts}) == 30
    assert len({row["quarter"] for row in expected["fct_account_quarter"]}) == 8


@needs_corpus
def test_the_corpus_landing_is_the_real_exports(tmp_path):
    read = read_landing(write_corpus_landing(tmp_path / "landing"))
    assert len(read.posts) == 1668 and len(read.observations) == 1668
    assert Counter(row["post_type"] for row in read.posts) == {"post": 1316, "reply": 352}
    assert sum(1 for row in read.posts if "\n" in row["text"]) == 995


@pytest.mark.parametrize("name", LANDING_NAMES)
def test_bts_run_all_publishes_the_periods_of_the_reference(full_runs, name):
    _, expected, got = full_runs(name)
    assert published_periods(got) == published_periods(expected)


@pytest.mark.parametrize("table", list(TABLES))
@pytest.mark.parametrize("name", LANDING_NAMES)
def test_every_value_equals_the_reference(full_runs, name, table):
    _, expected, got = full_runs(name)
    lines, compared = mismatches(table, expected[table], got[table])
    assert not lines, (f"{name}: {len(lines)} mismatches in {table} ({compared} values compared); first ones:\n"
                       + "\n".join(lines[:SHOWN_MISMATCHES]))
    assert compared > 0
