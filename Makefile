# The two commands: `make run` serves the whole system on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-stamp
# The front-end build (web/, README "Front-end build"): npm packages pinned by web/package-lock.json, bundled
# by esbuild into api/web/static/build/ (served under /static/build/). Rebuilt when the lock or a source changes.
WEB_DEPS  := web/node_modules/.installed-stamp
WEB_STAMP := api/web/static/build/.built-stamp
WEB_SRC   := web/build.mjs $(shell find web/src -type f 2>/dev/null)

.PHONY: run test lint soak bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(WEB_DEPS): web/package.json web/package-lock.json
	command -v npm >/dev/null || (echo "npm (Node 20 or later) is needed for the front-end build" >&2; exit 1)
	cd web && npm ci --no-audit --no-fund
	touch $(WEB_DEPS)

$(WEB_STAMP): $(WEB_DEPS) $(WEB_SRC)
	cd web && npm run build
	touch $(WEB_STAMP)

run: $(STAMP) $(WEB_STAMP)
	mkdir -p var
	$(BIN)/motcua db upgrade
	$(BIN)/motcua deploy bpmn
	$(BIN)/motcua seed-demo
	$(BIN)/motcua signing init-dev-ca
	$(BIN)/motcua serve --port $(PORT)

test: $(STAMP) $(WEB_STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	command -v pdfsig >/dev/null || (apt-get update -qq && apt-get install -y -qq poppler-utils)
	$(BIN)/lint-imports
	$(BIN)/pytest -m "not soak" -n 3 --dist worksteal --durations=15

soak: $(STAMP)
	$(BIN)/pytest -m soak tests/reliability -s -p no:logging

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench.py --write-doc

clean:
	rm -rf $(VENV) var .pytest_cache web/node_modules api/web/static/build
