# Chain Witness: one command per task. Every target installs what it needs (idempotent).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := .make
FORGE := node_modules/@foundry-rs/forge-linux-amd64/bin/forge

.PHONY: demo test bench lint contracts forge-test clean setup web

setup: $(STAMP)/venv $(STAMP)/node $(STAMP)/web

$(STAMP)/venv: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@mkdir -p $(STAMP) && touch $@

$(STAMP)/node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMP) && touch $@

# the browser library, bundled into the Python package (running the service needs no Node)
$(STAMP)/web: $(STAMP)/node $(wildcard web/src/*.js) scripts/build_web.mjs
	node scripts/build_web.mjs
	@mkdir -p $(STAMP) && touch $@

## web: rebuild the browser bundle in ledger_service/web/static
web: $(STAMP)/web

## demo: the scripted evidence story on the embedded default (SQLite + own anvil)
demo: setup
	$(BIN)/python scripts/demo.py

## test: unit + integration tests (real anvil; PostgreSQL when CHAINWITNESS_TEST_POSTGRES_URL is set) and forge tests
test: setup
	$(BIN)/pytest -n 2 -q

## bench: performance figures into bench/results.json (see BENCHMARKS.md);
## `make bench SMOKE=1`: every group on small sizes into bench/results-smoke.json
bench: setup
	$(BIN)/python scripts/bench.py $(if $(SMOKE),--smoke)

## contracts: recompile the Solidity artifacts shipped inside the Python package
contracts: setup
	$(BIN)/python scripts/compile_contracts.py

forge-test: setup
	cd contracts && ../$(FORGE) test

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy ledger_service notary

clean:
	rm -rf $(STAMP) var contracts/out contracts/cache .pytest_cache ledger_service/web/static/chainwitness.*
