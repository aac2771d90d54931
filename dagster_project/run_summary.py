"""What a finished run tells its user: every failed step and every failed check, with its figures."""

from __future__ import annotations

import dataclasses

import dagster as dg


def _metadata_lines(metadata: dict) -> list[str]:
    lines = []
    for key, value in metadata.items():
        shown = getattr(value, "value", value)
        if isinstance(shown, str) and "\n" in shown:
            lines.append(f"      {key}:")
            lines.extend(f"        {line}" for line in shown.splitlines() if line.strip())
        else:
            lines.append(f"      {key}: {shown}")
    return lines


# What Dagster raises in a run it stops on SIGINT (Ctrl-C) or SIGTERM, which it catches and
# turns into a failed step and a failed run.
INTERRUPTIONS = frozenset({"DagsterExecutionInterruptedError", "KeyboardInterrupt"})


@dataclasses.dataclass
class RunSummary:
    failures: list[str]  # failed steps and failed checks of ERROR severity: the run failed
    warnings: list[str]  # failed checks of WARN severity: shown, not fatal
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM: no failure of its own to show


def interrupted_by(event: dg.DagsterEvent) -> bool:
    """Whether the event's error is an interruption, or was caused by one.

    Interrupted inside DuckDB, a step fails with DuckDB's "Query interrupted",
    raised from Dagster's interruption: the chain of causes tells.
    """
    errors = [getattr(event.event_specific_data, "error", None)]
    while errors:
        error = errors.pop()
        if error is None:
            continue
        if error.cls_name in INTERRUPTIONS:
            return True
        errors.extend((error.cause, error.context))
    return False


def summarize(result: dg.ExecuteInProcessResult) -> RunSummary:
    summary = RunSummary([], [])
    for event in result.all_events:
        if interrupted_by(event):
            summary.interrupted = True
            continue
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.passed:
                continue
            is_warning = evaluation.severity == dg.AssetCheckSeverity.WARN
            label = "warning" if is_warning else ("blocking" if getattr(evaluation, "blocking", False) else "error")
            lines = [f"  check failed ({label}): {evaluation.asset_key.to_user_string()} / {evaluation.check_name}"]
            if evaluation.description:
                lines.append(f"      {evaluation.description}")
            lines.extend(_metadata_lines(dict(evaluation.metadata)))
            (summary.warnings if is_warning else summary.failures).extend(lines)
        elif event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error
            message = error.message.strip() if error else "unknown error"
            cause = error.cause.message.strip() if error and error.cause else ""
            summary.failures.append(f"  step failed: {event.step_key}: {message}")
            if cause:
                summary.failures.append(f"      caused by: {cause[:2000]}")
    return summary
