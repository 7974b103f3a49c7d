# The two commands: `make run` serves the whole system on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint soak bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/motcua db upgrade
	$(BIN)/motcua deploy bpmn
	$(BIN)/motcua seed-demo
	$(BIN)/motcua serve --port $(PORT)

test: $(STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/lint-imports
	$(BIN)/pytest -m "not soak" -n 2 --dist worksteal

soak: $(STAMP)
	$(BIN)/pytest -m soak tests/reliability -s -p no:logging

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench.py --write-doc

clean:
	rm -rf $(VENV) var .pytest_cache
