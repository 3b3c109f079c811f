# Two entry points: `make demo` (install + run the main job on the embedded default)
# and `make test` (install + lint + the whole test suite + the Galaxy tool tests in a
# real Galaxy server). Both create or reuse .venv; `make pytest` and `make galaxy-test`
# run one part, `make test-fast` the quick lane (lint + the tests that need neither the
# real data nor Galaxy and are not marked slow).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The shared benchmark data next to the checkout, if present (tests skip what needs it otherwise).
ENHANCER_SK_DATA ?= $(shell [ -d ../shared/data ] && cd ../shared/data && pwd)
export ENHANCER_SK_DATA

.PHONY: demo test test-fast pytest galaxy-test chromium lint install clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# the CPU wheel first: an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test,motifs,explain,dist]"
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/enhancer-sk demo

lint: $(BIN)/.installed
	$(BIN)/ruff check enhancer_sk tests benchmarks galaxy_tools

# GALAXY_SLOTS=1: each of the two pytest workers runs torch on one thread (no oversubscription).
pytest: lint
	GALAXY_SLOTS=1 $(BIN)/pytest -n 2 --dist loadfile --timeout 1200 --durations 15

# Galaxy 26.1 and planemo from PyPI in their own environments under .gx-ci/; the tools
# run the enhancer-sk of .venv (see galaxy_tools/run_tests.sh), then the browser check
# (galaxy_tools/screenshots.py, Selenium from the test extra) in Debian's headless Chromium.
galaxy-test: $(BIN)/.installed chromium
	TOOLS_VENV=$(VENV) galaxy_tools/run_tests.sh

# Debian's chromium and chromium-driver for the browser check, installed with apt-get when
# missing (CI runs as root); nothing to do with GALAXY_SCREENSHOTS=0 (no browser check).
chromium:
	@if [ "$${GALAXY_SCREENSHOTS:-1}" = 0 ] || { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing chromium and chromium-driver (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium chromium-driver fonts-liberation fonts-dejavu-core > /dev/null; \
	else \
	  echo "the browser check needs Debian's chromium and chromium-driver:" \
	    "sudo apt-get install chromium chromium-driver, or GALAXY_SCREENSHOTS=0 to skip it"; exit 1; \
	fi

test: pytest galaxy-test

# no real data (ENHANCER_SK_DATA emptied: the data tests skip), no Galaxy, no slow tests
test-fast: lint
	ENHANCER_SK_DATA= GALAXY_SLOTS=1 $(BIN)/pytest -n 2 --dist loadfile --timeout 600 -m "not slow and not data"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .gx-ci
