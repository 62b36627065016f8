# Pulse — every command from the repository root, on a fresh machine.
# `make run` installs what is missing and starts the stack in the foreground.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml sdk/python/pyproject.toml | cksum | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help install system-deps run up down status test test-unit bench lint audit clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml sdk/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q -e sdk/python
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)  ## venv, Python packages and the Kafka jars (cached)
	$(BIN)/python -m pulse.local.install

system-deps:  ## Debian packages the tests use (Prometheus, promtool, Alertmanager); needs root
	@bash .ci/system-deps.sh

run: install  ## start the whole stack in the foreground; Ctrl-C stops it
	$(BIN)/pulse run

up: install  ## start the stack in the background; returns when every part is ready
	$(BIN)/pulse up

down:  ## stop the background stack
	@test -x $(BIN)/pulse && $(BIN)/pulse down || true

status:  ## which parts are running and ready
	$(BIN)/pulse status

test: install system-deps  ## the whole test suite against a real Kafka broker and real ClickHouse
	$(BIN)/pytest

test-unit: install  ## the unit tier alone (no Kafka, no ClickHouse), well under a minute
	$(BIN)/pytest tests/unit -q -n auto

bench: install  ## benchmarks; writes bench/results/latest.json
	$(BIN)/python -m bench

MYPY_STRICT := schemas core clickhouse ingest_api stream_processors pulse bench

lint: install  ## ruff check, ruff format --check, mypy (strict) on the typed packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_STRICT)

clean:  ## remove local data (Kafka logs, ClickHouse data); keeps the venv and jar cache
	rm -rf data

audit: install  ## bandit (no medium/high findings) and pip-audit (known vulnerabilities)
	$(BIN)/bandit -q -c pyproject.toml -r . --severity-level medium
	bash .ci/pip-audit.sh
