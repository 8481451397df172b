# Everything a fresh machine with python3 and make needs: the targets build their own venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-slow lint bench bench-peers bench-dask bench-large eval identical clean

$(BIN)/cleaner: pyproject.toml cleaner/_kernel.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/cleaner
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $@

run: $(BIN)/cleaner
	$(BIN)/cleaner clean fixtures/news -o build/corpus.parquet

test: $(VENV)/.dev lint
	$(BIN)/python -m pytest -q --doctest-modules -m "not slow" cleaner tests bench

# The full-size hostile folder (a 200 MB line, 50,000 files), many SIGKILLs: a few minutes.
test-slow: $(VENV)/.dev
	$(BIN)/python -m pytest -q -m slow tests

lint: $(VENV)/.dev
	$(BIN)/ruff check cleaner tests bench
	$(BIN)/ruff format --check cleaner tests bench
	$(BIN)/mypy cleaner

# The benchmarks are the package `bench`, run from the repository root.
eval: $(BIN)/cleaner
	$(BIN)/python -m bench.evaluate
	$(BIN)/python -m bench.evaluate_html

$(VENV)/.bench: $(BIN)/cleaner
	$(BIN)/python -m pip install --quiet -e '.[bench,dask]'
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python -m bench.speed
	$(BIN)/python -m bench.speed_html
	$(BIN)/python -m bench.shapes
	$(BIN)/python -m bench.index_memory
	$(BIN)/python -m bench.memory_scale
	$(BIN)/python -m bench.incremental
	$(BIN)/python -m bench.dask_bench

# datatrove's and text-dedup's MinHash pipelines on make bench's folder, beside cleaner and
# rensa: each peer in a virtual environment of its own (they pin packages cleaner does not).
# datatrove's MinHash steps import regex, tokenizers and orjson without requiring them, and
# its 0.10 hashes str, which xxhash refuses from 3.6 on. A peer pip cannot install is skipped.
PEER_PACKAGES_datatrove := datatrove==0.10.1 regex tokenizers orjson "xxhash<3.6" charset-normalizer
PEER_PACKAGES_text-dedup := text-dedup==0.4.0 charset-normalizer
PEERS := datatrove text-dedup

build/peers/%/.installed:
	rm -rf build/peers/$*
	$(PYTHON) -m venv build/peers/$*
	build/peers/$*/bin/python -m pip install --quiet $(PEER_PACKAGES_$*) && touch $@

bench-peers: $(VENV)/.bench
	@mkdir -p build; for peer in $(PEERS); do \
		$(MAKE) --no-print-directory build/peers/$$peer/.installed >build/peers-$$peer.log 2>&1 \
		|| echo "make bench-peers: $$peer cannot be installed here (build/peers-$$peer.log); the others still run"; \
	done
	$(BIN)/python -m bench.peers

# The local pool against a 2-worker Dask LocalCluster on one workload: a few minutes.
bench-dask: $(VENV)/.bench
	$(BIN)/python -m bench.dask_bench

# The bench workload through every way of running the cleaner, each output file hashed:
# make identical MANIFEST=before.txt, then after a change
# make identical MANIFEST=after.txt COMPARE=before.txt (exit 1 if any file differs).
MANIFEST ?= build/identical.txt
identical: $(BIN)/cleaner
	mkdir -p $(dir $(MANIFEST))
	$(BIN)/python -m bench.identical --manifest $(MANIFEST) $(if $(COMPARE),--compare $(COMPARE))

# One JSON Lines dump of 0.3 GB and one of 1 GB (and its gzipped copy), written once into
# build/large/, cleaned with 1 and 2 workers: half an hour on two cores, so not part of bench.
bench-large: $(VENV)/.bench
	$(BIN)/python -m bench.large_dump

clean:
	rm -rf build .venv .mypy_cache .pytest_cache .ruff_cache
