# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck bench clean system-deps

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# nginx (differential conformance tests, benchmarks), wrk (benchmarks) and chromium
# (real-browser tests), from Debian.
system-deps:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light)
	@command -v wrk >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	@test -x /usr/bin/chromium || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

run: install
	$(BIN)/gateway demo --dir .demo
	GATEWAY_CONFIG=.demo/gateway.toml $(BIN)/uvicorn --factory gateway.app:app_from_environment \
	  --host 127.0.0.1 --port 8000 --reload --reload-dir gateway

test: install system-deps
	$(BIN)/ruff check gateway tests bench
	$(BIN)/mypy
	$(BIN)/pytest --cov --cov-branch --cov-report=term:skip-covered

bench: install system-deps
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/revocation.py

clean:
	rm -rf .demo .pytest_cache .mypy_cache .coverage
