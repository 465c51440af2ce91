# Two commands for a newcomer: `make run` and `make test`. Everything else is here for them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/*/pyproject.toml))
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck pytest contracts bench clean

$(STAMP): pyproject.toml contracts/pyproject.toml $(PLUGINS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e contracts -e '.[dev]' $(foreach p,$(PLUGINS),-e $(dir $(p)))
	@touch $@

install: $(STAMP)

run: $(STAMP)
	$(BIN)/omnihub run --config hub.toml

lint: $(STAMP)
	$(BIN)/ruff check hub contracts plugins tests bench conftest.py
	$(BIN)/ruff format --check hub contracts plugins tests bench conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

contracts: $(STAMP)
	$(BIN)/omnihub contracts export

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
