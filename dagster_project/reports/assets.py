"""The readers' deliverable: one report per quarter, after publication (and so after every blocking check)."""

import datetime as dt

import dagster as dg

from .. import settings
from ..partitions import quarterly_partitions, quarters_of_context
from ..warehouse import POOL, working_connection
from .render import RunInfo, remove_reports_of_other_quarters, render_quarter_reports


def _checks_of_this_run(context: dg.AssetExecutionContext) -> list[tuple[str, bool]]:
    records = context.instance.all_logs(context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    results = {}
    for record in records:
        evaluation = record.dagster_event.event_specific_data
        results[f"{evaluation.asset_key.to_user_string()} / {evaluation.check_name}"] = evaluation.passed
    return sorted(results.items())


@dg.asset(
    key=["quarterly_report"],
    deps=[dg.AssetKey(["analytics_database"])],
    group_name="reports",
    kinds={"python", "html", "pdf"},
    partitions_def=quarterly_partitions(),
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=POOL,
)
def quarterly_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """$BTS_WAREHOUSE_DIR/reports/<YYYY-Qn>/index.html and report.pdf, in BTS_LANGUAGE, read from analytics.duckdb.

    Every figure comes from the published marts; nothing is recomputed here.
    """
    with working_connection(read_only=True) as conn:
        newest = conn.execute("select max(published_date) from staging.stg_landing__posts").fetchone()[0]
    # one instant for the whole run, shown in each report and set as each PDF's creation date
    run_info = RunInfo(
        checks=_checks_of_this_run(context), newest_data_date=newest, generated_at=dt.datetime.now(dt.timezone.utc)
    )
    language = settings.language()
    quarters = [quarter.label for quarter in quarters_of_context(context)]
    written = render_quarter_reports(settings.analytics_db_path(), quarters, settings.reports_dir(), language, run_info)
    removed = []
    if context.run.tags.get(settings.EVERY_QUARTER_TAG) == "true":
        # `bts run --all`: the marts now hold these quarters only (the dbt models' pre-hook dropped the others)
        removed = remove_reports_of_other_quarters(settings.reports_dir(), quarters)
        for label in removed:
            context.log.info(f"report {label} removed: {label} is not among the quarters with data, and the marts no longer hold it")
    headlines = []
    for label, result in written:
        headlines.append(f"### {label}\n\n{result.headline_markdown}")
        context.log.info(f"report {label}: {result.html_path}")
    return dg.MaterializeResult(
        metadata={
            "reports": dg.MetadataValue.md(
                "\n".join(f"- {label}: `{result.html_path}`, `{result.pdf_path}`" for label, result in written)
            ),
            "html_path": dg.MetadataValue.path(str(written[-1][1].html_path)),
            "pdf_path": dg.MetadataValue.path(str(written[-1][1].pdf_path)),
            "language": language,
            "removed_reports": dg.MetadataValue.md(", ".join(removed) or "none"),
            "headline": dg.MetadataValue.md("\n\n".join(headlines)),
        }
    )
