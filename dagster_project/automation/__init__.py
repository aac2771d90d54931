"""Automation: the quarterly schedule and the landing sensor, which decide which quarters run and when."""

# Both target the one job of definitions.py by name: importing it here would import the definitions in a loop.
PIPELINE_JOB = "quarterly_pipeline"
