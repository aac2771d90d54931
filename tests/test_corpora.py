"""The real @rOpenSci tweet-activity exports (../shared/corpora) load without a rejection."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from dagster_project.ingestion.loader import sync_landing
from shared_corpora import CORPUS, needs_corpus

pytestmark = needs_corpus


def test_every_ropensci_tweet_is_loaded_with_its_type(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    for export in CORPUS.glob("tweet_activity_metrics_*.csv"):
        shutil.copy(export, landing / export.name)
    (landing / "accounts.csv").write_text(
        "panel,platform,handle,company,display_name,account_type,member_from,member_to\n"
        "ropensci,x,rOpenSci,rOpenSci,rOpenSci,corporate,,\n"
    )
    with duckdb.connect(str(tmp_path / "bts.duckdb")) as conn:
        report = sync_landing(conn, landing, tmp_path / "scratch", "Europe/Paris", dt.date(2026, 11, 26), log=lambda m: None)
        assert [error.describe() for error in report.rejections] == []
        assert len(report.loaded) == 61
        counts = conn.execute(
            "select count(*), count(distinct post_id), count(*) filter (where post_type = 'reply'), "
            "count(*) filter (where post_type = 'repost'), count(*) filter (where text like '%' || chr(10) || '%'), "
            "count(distinct handle) from raw.posts"
        ).fetchone()
    assert counts == (1668, 1668, 352, 0, 995, 1)
