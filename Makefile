# The two commands a newcomer needs are `make demo` and `make test`; the rest are for daily work.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test dev docs bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/analytics demo

test: $(STAMP)
	$(BIN)/ruff check orchestration tests
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest

dev: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/analytics dev

docs: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/analytics docs

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/analytics bench --scale $${SCALE:-S}

lint: $(STAMP)
	$(BIN)/ruff check orchestration tests
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sqlfluff lint models

clean:
	rm -rf target logs .dagster_home
