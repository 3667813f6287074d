# Two commands matter: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.8
TOOLS := .local/tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
STAMP := .venv/.synced
PROJECTS := pyproject.toml uv.lock $(wildcard shared/*/pyproject.toml services/*/pyproject.toml)

.PHONY: run stop test test-fast test-pythons lint bench venv schemas openapi dashboards clean-local

venv: $(STAMP)

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.11"; exit 1; }
	@$(PYTHON) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) $(PROJECTS)
	@$(UV) sync --all-packages --all-extras --locked --python $(PYTHON) -q
	@touch $(STAMP)

# `make run QUIET=1`: no progress lines while starting (the first run downloads Kafka).
run: venv
	@$(PY) -m lending_devstack.run $(if $(QUIET),--quiet)

stop:
	@if [ -x $(PY) ]; then $(PY) -m lending_devstack.run --stop; else echo "nothing to stop"; fi

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
test: venv
	@$(PY) -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "error: no tests ran"; exit 1; fi; exit $$rc

test-fast: venv
	@$(PY) -m pytest -m "not integration"

# The unit tests on Python 3.11, 3.12 and 3.13, one uv environment each (.local/pythons/).
test-pythons:
	@.ci/test-pythons

lint: venv
	@.venv/bin/ruff check .
	@.venv/bin/mypy shared/*/src services/*/src

# `make bench ONLY="e2e simulation"` re-runs those and keeps the page's other sections.
bench: venv
	@$(PY) bench/run_all.py $(ONLY)

schemas: venv
	@$(PY) -m lending_events.schema_tools generate

# Each service's OpenAPI under docs/openapi/ (refuses a breaking change to a partner endpoint)
# and docs/problems.md, the problem types' catalogue (from lending_platform/problems.toml).
openapi: venv
	@$(PY) -m lending_platform.openapi_tools generate

# The Grafana dashboards under deploy/k8s/base/monitoring/dashboards/.
dashboards: venv
	@$(PY) deploy/tools/dashboards.py
