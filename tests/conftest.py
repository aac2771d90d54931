"""Tests never touch the user's instance, landing directory or warehouse.

The Makefile exports DAGSTER_HOME=.dagster for `make dev` and `bts`; a test
that starts `bts` must not record its runs there, so the variables of
MARTS.md are cleared here and each test sets what it needs.
"""

from __future__ import annotations

import os

for _name in list(os.environ):
    if _name.startswith("BTS_") or _name == "DAGSTER_HOME":
        del os.environ[_name]
