# newsdedup: `make run` (first run over the sample corpus) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA := $(CURDIR)/.data

# Airflow keeps its own state (SQLite metadata DB, logs) under .data/airflow.
export AIRFLOW_HOME := $(DATA)/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__PARALLELISM := 4
export NEWSDEDUP_DATA_DIR := $(DATA)
# Files Airflow writes here (its metadata DB holds Connections, the UI's passwords file) are the
# owner's alone: every Airflow command below runs under this umask.
AIRFLOW_UMASK := umask 077 &&

.PHONY: install run test lint typecheck check lock clean stop compose-config bench bench-search bench-full pools \
	airflow-passwords

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==0.13.9"

# The venv is rebuilt only when the lock file changes.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

# Re-resolve the lock file after editing dependencies in pyproject.toml.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile --quiet pyproject.toml --extra airflow --extra dev \
		--python-version 3.11 -o requirements.lock

$(AIRFLOW_HOME)/airflow.db: $(VENV)/.installed
	mkdir -p -m 700 $(AIRFLOW_HOME)
	$(AIRFLOW_UMASK) $(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/migrate.log; exit 1)
	@$(MAKE) --no-print-directory pools

# One fetch pool per host of the configured sources (README, Sources): run again after adding a
# source on a new host.
pools: install
	@$(BIN)/newsdedup sources pools > $(AIRFLOW_HOME)/pools.json
	@$(AIRFLOW_UMASK) $(BIN)/airflow pools import $(AIRFLOW_HOME)/pools.json > $(AIRFLOW_HOME)/pools.log 2>&1 \
		|| (cat $(AIRFLOW_HOME)/pools.log; exit 1)

# The UI login's passwords file (Airflow's simple auth manager), owner-only and holding every
# user's password before any Airflow process starts: an api-server or `airflow standalone` run
# with this AIRFLOW_HOME then neither writes one world-readable nor prints it to its log. Needs
# only the system Python; prints where the password is, never the password.
airflow-passwords:
	@$(PYTHON) scripts/airflow_passwords.py

run: install $(AIRFLOW_HOME)/airflow.db airflow-passwords
	@$(BIN)/newsdedup db start > /dev/null
	@echo "== running news_ingest once over data/samples (airflow dags test) =="
	@$(AIRFLOW_UMASK) $(BIN)/airflow dags test news_ingest > $(AIRFLOW_HOME)/last-dag-test.log 2>&1 \
		|| (tail -n 60 $(AIRFLOW_HOME)/last-dag-test.log; exit 1)
	@grep -h "ingest run" $(AIRFLOW_HOME)/last-dag-test.log | grep -v '\[' || true
	@$(BIN)/newsdedup summary
	@echo
	@echo "Open the database with:"
	@echo "  $$($(BIN)/newsdedup db psql)"

# The suite also needs PostgreSQL's server, Redis and Chromium (scripts/system-packages.sh
# installs them with apt-get as root, else names them); Debian keeps initdb and pg_ctl off PATH.
test: install
	@pgbin=$$(bash scripts/system-packages.sh) && PATH="$$PATH:$$pgbin" $(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

stop:
	-$(BIN)/newsdedup db stop

clean: stop
	rm -rf $(DATA) $(VENV)

# Validates docker-compose.yml offline (Debian's docker-compose; no Docker engine needed).
compose-config:
	docker-compose -f docker-compose.yml config -q

# Throughput and scale benchmark (BENCHMARKS.md): quick mode (2,000 articles end to end with 2
# workers and with 1, twice each, then placement into bulk-loaded stores of 10k, 100k and 1M
# articles; about 10 minutes and 6 GB) and the full 1 M-article backfill. Figures go to stdout and bench/results/.
bench: install
	$(BIN)/python -m bench --mode quick

# The analysts' search on 20,000 articles, against the search as it was before sql/021 (BENCHMARKS.md).
bench-search: install
	$(BIN)/python -m bench.search --articles 20000

bench-full: install
	$(BIN)/python -m bench --mode full
