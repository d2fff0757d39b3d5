# The two commands every newcomer runs: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the tests need (installed with apt-get when missing and running as root).
DEBIAN_PACKAGES ?= chromium redis-server

.PHONY: help install demo test test-fast lint bench clean

help:
	@echo "make demo   install everything and run the whole product on the bundled demo marketplace"
	@echo "make test   install what the tests need and run them (pytest)"
	@echo "make lint   ruff"
	@echo "make bench  benchmarks (figures go to BENCHMARKS.md)"

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { scripts/ensure-debian-packages.sh python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(STAMP)

demo: install
	$(BIN)/crawler demo

test: install
	@scripts/ensure-debian-packages.sh $(DEBIAN_PACKAGES)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache *.egg-info
