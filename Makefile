# The scrutiny questions bot. `make demo` and `make test` set everything up on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?= -n auto

.PHONY: help install test test-postgresql lint format run demo bench soak clean

help:
	@echo "make demo    run the whole workflow locally against the built-in Slack double"
	@echo "make test    run the test suite"
	@echo "make test-postgresql  the handler tests again with the record in PostgreSQL"
	@echo "make lint    ruff and mypy"
	@echo "make run     connect to the Slack workspace configured in .env"
	@echo "make bench   benchmarks (not part of make test)"
	@echo "make template rebuild bot/templates/agenda.docx, the neutral Word template"
	@echo "make soak    the real bot under concurrent writers, kill -9, an outage and Slack faults (not part of make test)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite is missing, which is a failure"; fi; \
	exit $$rc

# The handler and hostile-input tests again, with every bot's record in PostgreSQL (a throwaway
# server the tests start; skipped, with the reason, where PostgreSQL is not installed).
test-postgresql: $(STAMP)
	TEST_BACKEND=postgresql $(BIN)/python -m pytest $(PYTEST_ARGS) -rs tests/handlers tests/test_malformed_requests.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

run: $(STAMP)
	$(BIN)/python -m bot run

demo: $(STAMP)
	$(BIN)/python -m bot --log-level WARNING demo

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

soak: $(STAMP)
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

template: $(STAMP)
	$(BIN)/python -c "from bot.core.template import write_neutral_template as w; w()"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-output
