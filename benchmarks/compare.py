"""Whether two fct_account_quarter tables are the same: keys, texts and integers exactly, doubles within 1e-9 relative.

    python benchmarks/compare.py A.duckdb B.duckdb   (each holding a table fct_account_quarter, or marts.fct_account_quarter)
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import duckdb

# MARTS.md, fct_account_quarter, in order.
COLUMNS = (
    "quarter", "period_start", "period_end", "panel", "platform", "handle", "company", "display_name",
    "account_type", "posts", "likes", "comments", "reposts", "quotes", "reactions", "likes_per_post",
    "comments_per_post", "reposts_per_post", "reactions_per_post", "posts_per_day", "post_interaction_rate",
    "followers_start", "followers_end", "followers_growth_pct", "following_end",
)
KEY = ("quarter", "panel", "handle")
RELATIVE_TOLERANCE = 1e-9


def load(database: Path) -> list[tuple]:
    """The rows of fct_account_quarter in `database`, ordered by (quarter, panel, handle)."""
    with duckdb.connect(str(database), read_only=True) as conn:
        schemas = [row[0] for row in conn.execute(
            "select table_schema from information_schema.tables where table_name = 'fct_account_quarter'"
        ).fetchall()]
        if not schemas:
            raise ValueError(f"{database} has no table fct_account_quarter")
        table = f'"{"marts" if "marts" in schemas else schemas[0]}".fct_account_quarter'
        select = ", ".join(f'"{column}"' for column in COLUMNS)
        order = ", ".join(f'"{column}"' for column in KEY)
        return conn.execute(f"select {select} from {table} order by {order}").fetchall()


def _same(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        left, right = float(left), float(right)
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-15)
    return left == right


def differences(left: list[tuple], right: list[tuple], limit: int = 10) -> list[str]:
    """Human-readable differences, at most `limit` of them; empty when the tables agree."""
    key_index = [COLUMNS.index(column) for column in KEY]
    by_key_left = {tuple(row[i] for i in key_index): row for row in left}
    by_key_right = {tuple(row[i] for i in key_index): row for row in right}
    found = []
    only_left = sorted(set(by_key_left) - set(by_key_right))
    only_right = sorted(set(by_key_right) - set(by_key_left))
    if only_left:
        found.append(f"{len(only_left)} row(s) only in the first table, e.g. {only_left[:3]}")
    if only_right:
        found.append(f"{len(only_right)} row(s) only in the second table, e.g. {only_right[:3]}")
    if len(by_key_left) != len(left) or len(by_key_right) != len(right):
        found.append(f"duplicate keys: {len(left) - len(by_key_left)} in the first, {len(right) - len(by_key_right)} in the second")
    for key in sorted(set(by_key_left) & set(by_key_right)):
        for column, a, b in zip(COLUMNS, by_key_left[key], by_key_right[key]):
            if not _same(a, b):
                found.append(f"{key} {column}: {a!r} != {b!r}")
                if len(found) >= limit:
                    return found
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("databases", nargs=2, type=Path, metavar="DATABASE", help="a DuckDB file holding fct_account_quarter")
    args = parser.parse_args(argv)
    for database in args.databases:
        if not database.is_file():
            parser.error(f"{database} is not a file")
    left, right = (load(database) for database in args.databases)
    problems = differences(left, right)
    for line in problems:
        print(line)
    print(f"{len(left)} and {len(right)} rows: {'the same' if not problems else 'DIFFERENT'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
