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
# Every TypeScript test file, in tree order; container and browser suites join as they land.
TS_TESTS = $(shell find $(TOOLS)/test -name '*.test.ts' | sort)
# A test file's process ends once its tests are done or timed out, even if a hung test left handles
# open (the stacks it started then stop: tools/src/harness/stack.ts); no test may run past 15 min.
NODE_TEST_FLAGS := --test-force-exit --test-timeout=900000

.PHONY: help install run serve test test-py test-ts lint image drills rehearse bench bench-image bench-pool bench-auth bench-db bench-token-cache bench-check bench-latency load lock

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# --- installs (inside the repo only; stamp files make them run once per lockfile change) ---
$(VENV)/.runtime: requirements.lock
	@echo "==> Python runtime deps (uvicorn, FastAPI, supervisor, Caddy) into $(VENV)"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.lock
	@echo "==> Python test and lint tools into $(VENV)"
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

$(TOOLS)/node_modules/.installed: $(TOOLS)/package-lock.json
	@echo "==> Node packages into $(TOOLS)/node_modules"
	@npm ci --prefix $(TOOLS) --no-audit --no-fund --loglevel=error
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

test-py: $(VENV)/.dev
	@echo "==> pytest"
	@$(PY) -m pytest

test-ts: $(TOOLS)/node_modules/.installed $(VENV)/.runtime
	@echo "==> TypeScript tests (unit, probe, integration against real Caddy/supervisord/uvicorn, container image under Docker)"
	@PATH="$(BIN):$$PATH" $(TSX) --test $(NODE_TEST_FLAGS) $(TS_TESTS)

lint: $(VENV)/.dev $(TOOLS)/node_modules/.installed ## ruff, mypy, tsc
	@echo "==> lint: ruff, mypy, tsc"
	@$(BIN)/ruff check backend deploy tools/test/fixtures
	@$(BIN)/ruff format --check backend deploy tools/test/fixtures
	@$(BIN)/mypy backend/edge_api deploy/edge_sidecar deploy/entrypoint.py
	@$(TOOLS)/node_modules/.bin/tsc --noEmit -p $(TOOLS)

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

bench-check: install ## regression gate: sidecar/direct ratios vs docs/bench/baseline.json (BENCH_CHECK_UPDATE=1 refreshes it), not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/check.ts

bench-latency: install ## one connection: the p50 of each layer (Caddy hop, token check, database), docs/bench/latency-budget.md; not part of make test
	@PATH="$(BIN):$$PATH" $(TSX) $(TOOLS)/bench/latency-budget.ts

bench-image: $(TOOLS)/node_modules/.installed ## image build times, size, memory in the container (not in make test)
	@$(TSX) $(TOOLS)/bench/image.ts

lock: ## re-resolve the Python lockfiles (needs uv)
	uv pip compile --universal --python-version 3.11 --generate-hashes -q requirements.in -o requirements.lock
	uv pip compile --universal --python-version 3.11 --generate-hashes -q requirements-dev.in -o requirements-dev.lock
