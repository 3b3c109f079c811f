# Two entry points: `make demo` (install + run the main job on the embedded default)
# and `make test` (install + lint + the whole test suite). Both create or reuse .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The shared benchmark data next to the checkout, if present (tests skip what needs it otherwise).
ENHANCER_SK_DATA ?= $(shell [ -d ../shared/data ] && cd ../shared/data && pwd)
export ENHANCER_SK_DATA

.PHONY: demo test lint install clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# the CPU wheel first: an unpinned torch would pull a multi-GB CUDA build
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test,motifs,dist]"
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/enhancer-sk demo

lint: $(BIN)/.installed
	$(BIN)/ruff check enhancer_sk tests benchmarks

# GALAXY_SLOTS=1: each of the two pytest workers runs torch on one thread (no oversubscription).
test: lint
	GALAXY_SLOTS=1 $(BIN)/pytest -n 2 --dist loadfile --timeout 1200 --durations 15

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
