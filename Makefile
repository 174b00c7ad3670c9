# inventory-sync — the two commands first: `make run` (demo end to end) and `make test` (whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
PORT ?= 3000
export SAM_CLI_TELEMETRY := 0

.PHONY: run test serve install install-sam lint bench unit integration e2e infra clean

$(VENV)/.installed: pyproject.toml shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# aws-sam-cli pins boto3 and pydantic, so it lives in its own venv.
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	touch $@

install: $(VENV)/.installed
install-sam: $(SAM_VENV)/.installed

run: install
	$(PY) -m invsync_local demo

serve: install
	$(PY) -m invsync_local serve --port $(PORT)

test: install install-sam
	SAM_BIN=$(abspath $(SAM_VENV))/bin/sam $(PY) -m pytest -q

unit: install
	$(PY) -m pytest -q tests/unit

integration: install
	$(PY) -m pytest -q tests/integration

e2e: install
	$(PY) -m pytest -q tests/e2e

infra: install install-sam
	SAM_BIN=$(abspath $(SAM_VENV))/bin/sam $(PY) -m pytest -q tests/infra

lint: install install-sam
	$(SAM_VENV)/bin/sam validate --lint
	$(VENV)/bin/cfn-lint template.yaml

bench: install
	$(PY) -m invsync_local bench

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .hypothesis
