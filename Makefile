# Boot Image Console: `make run` opens the console, `make test` runs every test and check.
# Both set up everything they need first (virtual environment, Python packages and, when
# run as root on Debian, the Debian packages such as wimtools and the Qt runtime libraries).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
SYSTEM_STAMP := $(VENV)/.installed-system

.PHONY: run test check lint typecheck pytest test-slow bench system-deps clean screenshots dist-deb

run: $(RUN_STAMP)
	$(BIN)/bootimage-console $(ARGS)

# Test processes: most tests wait on real servers (PostgreSQL, smbd, sshd) and worker
# subprocesses, so three processes keep a 2-core machine busy.
TEST_WORKERS ?= 3

test: $(TEST_STAMP)
	$(MAKE) --no-print-directory check
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

check: lint typecheck

lint: $(TEST_STAMP)
	$(BIN)/ruff check console tests
	$(BIN)/lint-imports

typecheck: $(TEST_STAMP)
	$(BIN)/mypy console

test-slow: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile -m slow $(PYTEST_ARGS)

# Every benchmark (each writes tests/bench/results/<name>.json), then docs/benchmarks/summary.md
# from the latest result of each, also when a benchmark missed its goal (make still fails then).
bench: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -s -m bench tests/bench $(PYTEST_ARGS); status=$$?; \
	$(BIN)/python -m tests.bench.summary && exit $$status

screenshots: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.screenshots docs/screenshots

# The Debian package: dist/bootimage-console_<version>_amd64.deb (packaging/deb/README.md).
dist-deb: $(TEST_STAMP)
	$(BIN)/python packaging/deb/build_deb.py --out dist

system-deps: $(SYSTEM_STAMP)

$(SYSTEM_STAMP): packaging/debian-packages.txt packaging/install-system-deps.sh
	@bash packaging/install-system-deps.sh packaging/debian-packages.txt
	@mkdir -p $(VENV) && touch $@

$(BIN)/python:
	@$(MAKE) --no-print-directory $(SYSTEM_STAMP)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml $(SYSTEM_STAMP) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml $(SYSTEM_STAMP) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dist]'
	@touch $(RUN_STAMP) $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
