# One command to run, one to test; each sets up everything it needs first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make-stamps
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup python-deps node-deps chromium postgres vendor bench docker-check clean

run: python-deps node-deps
	$(VENV)/bin/embedding-projector serve --host $(HOST) --port $(PORT)

# Two xdist workers, one test file each at a time (module fixtures start their own servers); then,
# alone, the few tests whose latency bounds need the machine to themselves.
test: python-deps node-deps chromium postgres
	$(PY) -m pytest -n 2 --dist loadfile -m "not solo"
	$(PY) -m pytest -m solo

setup: python-deps node-deps chromium

python-deps: $(STAMPS)/python

$(STAMPS)/python: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@mkdir -p $(STAMPS) && touch $@

# three.js and @noble/hashes come from npm (pinned by package-lock.json); the served copy lives in static/vendor/.
node-deps: $(STAMPS)/node

$(STAMPS)/node: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && node scripts/vendor.mjs; \
	else \
		echo "npm not found: serving the committed static/vendor/ copies of three.js and @noble/hashes"; \
	fi
	@mkdir -p $(STAMPS) && touch $@

vendor: node-deps
	node scripts/vendor.mjs

# Browser tests drive Debian's chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# The view-store tests also run on PostgreSQL: Debian's server on 127.0.0.1, installed when missing.
postgres:
	@bash scripts/test_postgres.sh >/dev/null

bench: python-deps
	$(PY) -m pip install --quiet -e ".[test,bench]"
	$(PY) benchmarks/bench_neighbors.py
	$(PY) benchmarks/bench_first_view.py
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_metadata.py
	$(PY) benchmarks/bench_projections.py
	$(PY) benchmarks/bench_tsne_order.py
	$(PY) benchmarks/bench_views.py
	$(PY) benchmarks/bench_map.py
	$(PY) benchmarks/bench_edits.py
	$(PY) benchmarks/bench_show.py

# Builds the Docker image and smoke-tests it, then brings compose.yaml up (PostgreSQL, two web
# replicas behind nginx, two workers) and checks it (slow; not part of `make test`). Needs root or
# sudo when dockerd, the base image or docker-compose is missing.
docker-check:
	bash scripts/docker_check.sh
	bash scripts/compose_check.sh

clean:
	rm -rf $(STAMPS) node_modules
