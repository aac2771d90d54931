"""Nothing from the landing files reaches SQL, HTML or an interpreter except as data.

SQL gets paths, handles and values as parameters, and names as quoted
identifiers; the report escapes every value from the data; readers open the
analysts' database read-only, and are never blocked by a run.
dbt sends no usage events out of the machine.
"""

from __future__ import annotations

import ast
import datetime as dt
import html.parser
import inspect
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest_report import write_analytics_db
from dagster_project.ingestion import loader
from dagster_project.ingestion.formats import quote_identifier
from dagster_project.publication import publish
from dagster_project.quality import queries
from dagster_project.quarters import Quarter
from dagster_project.reports.marts import Marts
from dagster_project.reports.render import RunInfo, render_quarter_report
from pipeline_runs import REPO, file_identity
from test_ingestion import CANONICAL_HEADER, Landing

PACKAGE = REPO / "dagster_project"
SQL_METHODS = {"execute", "executemany", "sql", "query"}
# The package's own functions that execute the SQL text they are given, and that argument's position.
SQL_FUNCTIONS = {"_query": 1}
QUOTING_FUNCTIONS = {"quote_identifier", "_sql_string"}

# Every variable whose value the package splices into SQL text, and why it is not data.
# A new one fails the test below until it is quoted, passed as a parameter, or added here with its reason.
CODE_BUILT_SQL = {
    "automation/touched.py": {"local_date": "a constant expression per raw table"},
    "generate/scale.py": {
        "select_sql": "SQL written by the generator itself",
        "target": "the output path with its single quotes doubled (a quoted SQL string)",
        "options": "constant COPY options",
    },
    "ingestion/assets.py": {"table": "a name of RAW_TABLES"},
    "ingestion/loader.py": {
        "table": "a name of RAW_TABLES",
        "orphan_filter": "a constant condition",
        "where": "a constant filter of the module (values are parameters)",
        "_READ_CSV": "a constant read_csv call whose path, options and columns are parameters",
        "select": "Field.sql over quote_identifier(header names), and _sql_string(header names)",
        "aggregates": "constant aggregates over field names and conditions built by Field.sql",
        "conditions": "field names, and conditions built by Field.sql over quote_identifier(header names)",
        "line_sql": "a constant expression",
        "source": "quote_identifier(a header name)",
        "self": "_TypedFile._local_date(): a constant expression per raw table",
        "typed": "_TypedFile.wrong(): conditions built by Field.sql and the run date through _sql_string",
        "run_date": "a datetime.date, written into _TypedFile.wrong()'s conditions by _sql_string(date.isoformat())",
        "local_date": "a constant expression",
        "fmt": "a LandingFormat constant (its raw table)",
        "field_names": "Field names, constants of formats.py",
        "extra": "a constant column list",
        "extra_value": "a constant parameter reference",
        "hash_sql": "a constant: a parameter reference or a column of typed_lines",
        "path_sql": "a constant: a parameter reference or a column of typed_lines",
        "order_sql": "a constant ORDER BY clause, or none",
        "insert_sql": "_insert_typed_rows's statement, spliced from the names above",
    },
    "quality/queries.py": {
        "_IN_RUN": "a constant condition (the run's bounds are parameters)",
        "_OUTSIDE_RUN": "a constant condition (the run's bounds are parameters)",
        "_STAGING_QUARTER": "a constant expression",
        "_RUN_QUARTERS_CTE": "a constant CTE whose periods are parameters",
        "_RUN_PERIODS_CTE": "a constant CTE whose periods are parameters",
        "_MEMBERS_CTE": "a constant CTE",
        "MAX_LISTED_ROWS": "an integer constant",
        "probed": "one of two constant CTE names",
        "built": "one of two constant CTE names",
        "raw_table": "a name of RAW_TABLES (landing_rows_by_file rejects any other)",
        "kind": "a name of PERIOD_KINDS (RunPeriods.bounds, which every query of a kind calls, rejects any other)",
        "period": "kind under another name",
        "_period_select": "a constant expression per kind of period",
        "_account_values_cte": "constant SQL over PANEL_METRICS and a mart named after the kind of period",
        "published_period": "a constant expression per kind of period",
    },
    "publication/publish.py": {"table": "a name of MART_TABLES (the caller's constant), double-quoted"},
    "transformation/dbt_assets.py": {"key": "a schema and model alias of the dbt manifest, double-quoted"},
}
# Names under which a value read from a landing file travels in the package: never spliced into SQL text.
DATA_NAMES = {"path", "relative_path", "file_path", "handle", "value", "text", "file_hash", "post_id", "row", "entry", "name", "header"}


def package_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def spliced_into_sql(tree: ast.AST):
    """(line, expression) for every expression formatted or concatenated into the SQL text of an execute-like call."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in SQL_METHODS and node.args:
            sql = node.args[0]
        elif isinstance(node.func, ast.Name) and node.func.id in SQL_FUNCTIONS and len(node.args) > SQL_FUNCTIONS[node.func.id]:
            sql = node.args[SQL_FUNCTIONS[node.func.id]]
        else:
            continue
        for part in ast.walk(sql):
            if isinstance(part, ast.FormattedValue):
                yield node.lineno, part.value
            elif isinstance(part, ast.BinOp) and isinstance(part.op, (ast.Add, ast.Mod)):
                for operand in (part.left, part.right):
                    if not isinstance(operand, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                        yield node.lineno, operand
            elif isinstance(part, ast.Call) and isinstance(part.func, ast.Attribute) and part.func.attr == "format":
                yield node.lineno, part


def variables_read(expression: ast.AST) -> set[str]:
    """The names an expression reads, without those its own comprehensions bind."""
    bound = {node.id for node in ast.walk(expression) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    return {node.id for node in ast.walk(expression) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)} - bound


def test_sql_text_is_spliced_only_with_quoted_names_and_fragments_built_by_code():
    unexplained = []
    for module, tree in package_modules():
        for line, expression in spliced_into_sql(tree):
            if isinstance(expression, ast.Call) and getattr(expression.func, "id", None) in QUOTING_FUNCTIONS:
                continue
            for name in sorted(variables_read(expression) - set(CODE_BUILT_SQL.get(module, {}))):
                unexplained.append(f"{module}:{line}: {name} in {ast.unparse(expression)}")
    assert unexplained == [], "quote these, pass them as parameters, or explain them in CODE_BUILT_SQL"


def test_no_value_read_from_a_file_is_spliced_into_sql_text():
    spliced = []
    for module, tree in package_modules():
        for line, expression in spliced_into_sql(tree):
            names = {node.id for node in ast.walk(expression) if isinstance(node, ast.Name)}
            names |= {node.attr for node in ast.walk(expression) if isinstance(node, ast.Attribute)}
            if isinstance(expression, ast.Call) and getattr(expression.func, "id", None) in QUOTING_FUNCTIONS:
                continue
            if names & DATA_NAMES:
                spliced.append(f"{module}:{line}: {ast.unparse(expression)}")
    assert spliced == []


def test_the_checks_queries_name_marts_only_after_a_known_kind_of_period_and_raw_tables_only_by_name():
    periods = queries.RunPeriods((Quarter.parse("2023-Q4"),), dt.date(2024, 5, 1), "Europe/Paris")
    kind_queries = [
        function for name, function in vars(queries).items()
        if inspect.isfunction(function) and function.__module__ == queries.__name__ and not name.startswith("_")
        and "kind" in inspect.signature(function).parameters
    ]
    assert len(kind_queries) >= 8, kind_queries
    with duckdb.connect() as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.kept (a int)")
        for function in kind_queries:
            with pytest.raises(ValueError, match="not a kind of period"):
                function(conn, periods, "quarter; drop table marts.kept; --")
        with pytest.raises(ValueError, match="not a raw table"):
            queries.landing_rows_by_file(conn, "posts; drop table marts.kept; --")
        assert conn.execute("select count(*) from marts.kept").fetchone() == (0,)


def test_the_quoting_helpers_keep_any_text_inside_one_literal_or_identifier():
    hostile = ["x'); drop table t; --", 'x"); drop table t; --', "'' \"\" \\' \\\"", "é\n\r\t;", "$1 ? :name"]
    with duckdb.connect() as conn:
        conn.execute("create table t (a int)")
        for text in hostile:
            for sql_string in (loader._sql_string, publish._sql_string):
                assert conn.execute(f"select {sql_string(text)}").fetchone() == (text,)
            assert conn.execute(f"select 1 as {quote_identifier(text)}").description[0][0] == text
        assert conn.execute("select count(*) from t").fetchone() == (0,)


def test_nothing_in_the_package_evaluates_or_executes_text():
    forbidden_calls = {"eval", "exec", "compile", "__import__"}
    forbidden_attributes = {("pickle", "load"), ("pickle", "loads"), ("marshal", "loads"), ("os", "system"), ("os", "popen")}
    found = []
    for module, tree in package_modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id in forbidden_calls:
                found.append(f"{module}:{node.lineno}: {node.func.id}()")
            if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
                if (node.func.value.id, node.func.attr) in forbidden_attributes:
                    found.append(f"{module}:{node.lineno}: {node.func.value.id}.{node.func.attr}()")
                if node.func.value.id == "yaml" and node.func.attr == "load":
                    found.append(f"{module}:{node.lineno}: yaml.load() (use yaml.safe_load)")
            for keyword in node.keywords:
                if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    found.append(f"{module}:{node.lineno}: shell=")
    assert found == []


def test_landing_texts_that_look_like_code_are_loaded_as_text_and_never_run(tmp_path):
    canary = tmp_path / "pwned"
    payloads = [
        f"__import__('os').system('touch {canary}')",
        f"'); copy (select 1) to '{canary}'; --",
        "{{ cycler.__init__.__globals__.os.system('touch " + str(canary) + "') }}",
        f"$(touch {canary}) `touch {canary}`",
        "=cmd|' /C calc'!A0",
    ]
    landing = Landing(tmp_path)
    rows = "".join(
        f'x,sanofi,code-{index},2023-05-01 12:00,post,"{payload.replace(chr(34), chr(34) * 2)}",1,0,0,0,,\n'
        for index, payload in enumerate(payloads)
    )
    landing.write(f"$(touch {canary.name}).csv", CANONICAL_HEADER + rows)
    assert not landing.sync().rejections
    assert landing.query("select text from raw.posts order by post_id") == [(payload,) for payload in payloads]
    assert not canary.exists()


# --- the report ---------------------------------------------------------------------------------

PAYLOAD = "\"'><img src=x onerror=alert(1)><script>alert(2)</script>{{ 7*7 }}&amp;"
POISONED_COLUMNS = {"panel", "handle", "company", "display_name", "text", "hashtag", "path", "post_id"}


class _Elements(html.parser.HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_the_report_escapes_every_value_from_the_data(tmp_path):
    analytics = write_analytics_db(tmp_path / "analytics.duckdb", with_landing_files=True)
    with duckdb.connect(str(analytics)) as conn:
        columns = conn.execute(
            "select table_name, column_name from duckdb_columns() where schema_name = 'marts' and data_type = 'VARCHAR'"
        ).fetchall()
        for table, column in columns:
            if column in POISONED_COLUMNS:
                conn.execute(f'update marts."{table}" set "{column}" = "{column}" || ?', [PAYLOAD])
    result = render_quarter_report(
        analytics, "2023-Q4", tmp_path / "report", run_info=RunInfo(checks=[(PAYLOAD, True)], newest_data_date=dt.date(2023, 12, 31))
    )
    page = result.html_path.read_text(encoding="utf-8")
    elements = _Elements(page)
    assert not {"script", "img"} & {tag for tag, _ in elements.tags}
    assert not [attributes for _, attributes in elements.tags if any(name.startswith("on") for name in attributes)]
    assert PAYLOAD not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in "".join(elements.text)
    assert result.pdf_path.read_bytes().startswith(b"%PDF-")


# --- readers ------------------------------------------------------------------------------------


def test_the_report_opens_the_analysts_database_read_only(tmp_path):
    analytics = write_analytics_db(tmp_path / "analytics.duckdb")
    marts = Marts(analytics)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            marts._connection.execute("create table marts.written_by_a_reader (a int)")
    finally:
        marts.close()


def test_only_the_publication_and_the_working_database_open_duckdb_files_for_writing():
    writers = []
    for module, tree in package_modules():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) == "duckdb.connect" and node.args):
                continue
            read_only = next((keyword.value for keyword in node.keywords if keyword.arg == "read_only"), None)
            if not (isinstance(read_only, ast.Constant) and read_only.value is True):
                writers.append((module, ast.unparse(node.args[0])))
    assert sorted(writers) == [
        ("publication/publish.py", "str(temporary)"),  # the new analysts' file, written aside then renamed
        ("warehouse.py", "str(path)"),  # the working database, under the warehouse lock
    ]


def test_a_reader_queries_the_analysts_database_while_a_run_holds_the_warehouse(tmp_path):
    analytics = write_analytics_db(tmp_path / "analytics.duckdb")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from dagster_project.warehouse import warehouse_lock, working_connection\n"
         "with warehouse_lock(), working_connection() as conn:\n"
         "    conn.execute('create table if not exists busy (a int)')\n"
         "    print('holding', flush=True)\n"
         "    time.sleep(60)\n"],
        cwd=REPO, env={**os.environ, "BTS_WAREHOUSE_DIR": str(tmp_path)}, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with duckdb.connect(str(analytics), read_only=True) as reader:
            assert reader.execute("select count(*) from marts.fct_account_quarter").fetchone()[0] > 0
    finally:
        holder.kill()
        holder.wait()


def test_the_previous_analysts_database_is_untouched_until_the_complete_new_one_is_renamed_over_it(tmp_path, monkeypatch):
    working, analytics = tmp_path / "bts.duckdb", tmp_path / "analytics.duckdb"
    with duckdb.connect(str(working)) as conn:
        conn.execute("create schema raw; create schema marts")
        conn.execute("create table raw.landing_paths (path varchar, file_hash varchar, loaded_hash varchar)")
        conn.execute("create table raw.landing_files (file_hash varchar, format varchar, rows_read bigint, loaded_at timestamptz)")
        conn.execute("create table marts.fct_version as select 1 as version")
    publish.publish_marts(working, analytics, ("fct_version",))
    previous = file_identity(analytics)
    with duckdb.connect(str(working)) as conn:
        conn.execute("create or replace table marts.fct_version as select 2 as version")
    seen_at_rename = []
    rename = os.replace

    def checking_rename(source, target):
        seen_at_rename.append(file_identity(analytics) == previous)
        with duckdb.connect(str(source), read_only=True) as new:
            seen_at_rename.append(new.execute("select version from marts.fct_version").fetchone() == (2,))
        rename(source, target)

    monkeypatch.setattr(publish.os, "replace", checking_rename)
    publish.publish_marts(working, analytics, ("fct_version",))
    assert seen_at_rename == [True, True]
    with duckdb.connect(str(analytics), read_only=True) as reader:
        assert reader.execute("select version from marts.fct_version").fetchone() == (2,)


def test_dbt_sends_no_usage_events(tmp_path):
    """dbt_project.yml turns dbt's anonymous usage events off: no cookie, no request to dbt Labs.

    dbt writes its tracking cookie (.user.yml) beside profiles.yml whenever
    tracking is on; the same command with tracking forced on by the
    environment writes it, which shows the test can see the difference.
    """
    from dagster_project.transformation.manifest import dbt_executable

    def debug(profiles: Path, **environment: str) -> None:
        profiles.mkdir()
        (profiles / "profiles.yml").write_text((REPO / "dbt" / "profiles.yml").read_text())
        env = {key: value for key, value in os.environ.items() if key != "DBT_SEND_ANONYMOUS_USAGE_STATS"}
        env.update(BTS_DUCKDB_PATH=str(tmp_path / "debug.duckdb"), **environment)
        completed = subprocess.run(
            [dbt_executable(), "debug", "--project-dir", str(REPO / "dbt"), "--profiles-dir", str(profiles),
             "--log-path", str(profiles / "logs")],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr

    debug(tmp_path / "project-settings")
    assert not (tmp_path / "project-settings" / ".user.yml").exists()

    debug(tmp_path / "tracking-forced-on", DBT_SEND_ANONYMOUS_USAGE_STATS="true")
    assert (tmp_path / "tracking-forced-on" / ".user.yml").exists()
