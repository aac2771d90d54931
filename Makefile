# Everything a newcomer types. Needs only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster
N ?= 10000000

.PHONY: install demo test dev bench docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is needed, found {sys.version.split()[0]}; run make PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(BIN)/bts parse-dbt
	@touch $@

demo: install
	$(BIN)/bts run --all

test: install
	$(BIN)/python -m pytest

dev: install
	$(BIN)/dagster dev

bench: install
	$(BIN)/python benchmarks/run.py --posts $(N)

docs: install
	cd dbt && BTS_DUCKDB_PATH=$(CURDIR)/warehouse/bts.duckdb ../$(BIN)/dbt docs generate --profiles-dir .

clean:
	rm -rf $(VENV) dbt/target dbt/logs
