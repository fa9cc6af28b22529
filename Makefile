# The two commands a newcomer needs are `make demo` and `make test`; the rest are for daily work.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Superset has pins of its own: it lives in a second virtual environment.
DASHBOARDS_VENV := .venv-dashboards
DASHBOARDS_STAMP := $(DASHBOARDS_VENV)/.installed-stamp
DASHBOARDS_REQUIREMENTS := orchestration/dashboards/requirements.txt

.PHONY: demo test dev docs bench lint clean chromium dashboards

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

$(DASHBOARDS_STAMP): $(DASHBOARDS_REQUIREMENTS)
	@test -x $(DASHBOARDS_VENV)/bin/python || $(PYTHON) -m venv $(DASHBOARDS_VENV) || python3 -m venv $(DASHBOARDS_VENV)
	$(DASHBOARDS_VENV)/bin/pip install --quiet --disable-pip-version-check -r $(DASHBOARDS_REQUIREMENTS)
	@touch $@

demo: $(STAMP)
	$(BIN)/analytics demo

# Every mart's dashboards on Superset at http://127.0.0.1:8088 (after `make demo`); Ctrl-C stops it.
dashboards: $(STAMP) $(DASHBOARDS_STAMP)
	$(BIN)/analytics dashboards serve

# The docs-site and Dagster UI tests drive headless Chromium: install it when missing and we
# can (root with apt), else stop before any test, naming the command to run.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt-get) for the browser tests ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test needs headless Chromium: run 'sudo apt-get install chromium', then make test" >&2; \
	    exit 1; \
	  fi; }

test: $(STAMP) $(DASHBOARDS_STAMP) chromium
	$(BIN)/ruff check orchestration tests examples
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest

dev: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/analytics dev

docs: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/analytics docs

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/analytics bench --scale $${SCALE:-S}

lint: $(STAMP)
	$(BIN)/ruff check orchestration tests examples
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sqlfluff lint models

clean:
	rm -rf target logs .dagster_home
