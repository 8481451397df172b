# Everything a fresh machine with python3 and make needs: the targets build their own venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-slow lint bench bench-large eval clean

$(BIN)/cleaner: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/cleaner
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/cleaner
	$(BIN)/cleaner clean fixtures/news -o build/corpus.parquet

test: $(VENV)/.dev lint
	$(BIN)/python -m pytest -q --doctest-modules -m "not slow" cleaner tests

# The full-size hostile folder (a 200 MB line, 50,000 files), many SIGKILLs: a few minutes.
test-slow: $(VENV)/.dev
	$(BIN)/python -m pytest -q -m slow tests

lint: $(VENV)/.dev
	$(BIN)/ruff check cleaner tests bench
	$(BIN)/ruff format --check cleaner tests bench
	$(BIN)/mypy cleaner

eval: $(BIN)/cleaner
	$(BIN)/python bench/evaluate.py
	$(BIN)/python bench/evaluate_html.py

$(VENV)/.bench: $(BIN)/cleaner
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python bench/speed.py
	$(BIN)/python bench/speed_html.py
	$(BIN)/python bench/index_memory.py
	$(BIN)/python bench/incremental.py

# One JSON Lines dump of 0.3 GB and one of 1 GB (and its gzipped copy), written once into
# build/large/, cleaned with 1 and 2 workers: half an hour on two cores, so not part of bench.
bench-large: $(VENV)/.bench
	$(BIN)/python bench/large_dump.py

clean:
	rm -rf build .venv .mypy_cache .pytest_cache .ruff_cache
