# The two commands a new user needs: `make demo` runs the main job on the embedded defaults,
# `make test` runs the whole test suite. Each creates .venv and installs what it needs first.
.PHONY: demo test lint bench clean venv system-deps

VENV := .venv
BIN := $(VENV)/bin
DEMO_CATALOG ?= examples/catalog/products.csv
DEMO_STORE ?= $(CURDIR)/aigc-data

venv:
	@scripts/bootstrap.sh

system-deps:
	@scripts/system-deps.sh

demo: venv
	AIGC_STORAGE_URI=file://$(DEMO_STORE) $(BIN)/aigc run $(DEMO_CATALOG)

test: venv system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) aigc-data .pytest_cache
