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
BUNDLE_STAMP := $(VENV)/.installed-bundle

.PHONY: run test check lint typecheck pytest test-slow bench system-deps clean screenshots
.PHONY: dist dist-python dist-deb dist-bundle bundle-test-root

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

test-slow: $(TEST_STAMP) $(BUNDLE_STAMP) bundle-test-root
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile -m slow $(PYTEST_ARGS)

# Every benchmark (each writes tests/bench/results/<name>.json), then docs/benchmarks/summary.md
# from the latest result of each, also when a benchmark missed its goal (make still fails then).
bench: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -s -m bench tests/bench $(PYTEST_ARGS); status=$$?; \
	$(BIN)/python -m tests.bench.summary && exit $$status

screenshots: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.screenshots docs/screenshots

# Everything an administrator installs, under dist/ (packaging/README.md says how each is made):
# the wheel and sdist, the Debian package and the PyInstaller one-folder bundle.
dist: dist-python dist-deb dist-bundle

dist-python: $(TEST_STAMP)
	rm -f dist/bootimage_console-*.whl dist/bootimage_console-*.tar.gz
	$(BIN)/python -m build --outdir dist .

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

# The PyInstaller one-folder bundle: dist/bootimage-console-<version>-linux-x86_64.tar.gz
# (packaging/bundle/, packaging/README.md). PyInstaller comes from the `dist` extra; psycopg from
# `postgres` so the bundle also opens PostgreSQL sites.
$(BUNDLE_STAMP): pyproject.toml $(SYSTEM_STAMP) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dist,postgres]'
	@touch $@

dist-bundle: $(BUNDLE_STAMP)
	$(BIN)/python packaging/bundle/build.py

# Set-up step of the bundle's slow test: a cached minimal Debian 12 root with only the Qt
# runtime libraries (/var/tmp/bootimage-bundle-testroot-*.tar.gz; debootstrap, deb.debian.org once).
bundle-test-root: $(SYSTEM_STAMP)
	@bash packaging/bundle/test-root.sh >/dev/null

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
