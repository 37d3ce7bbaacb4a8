# Moodline: every target works from a fresh clone with only Python 3.11+ installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: help install demo serve test lint typecheck unit bench build deploy clean

help:
	@echo "make demo   - simulate one week of Moodline offline (moto server + local Twilio stand-in)"
	@echo "make test   - lint (ruff, mypy, cfn-lint on the SAM and translated templates) and pytest"
	@echo "make unit   - the fast suite: unit, use cases on fakes, template checks (no moto, no local stack)"
	@echo "make typecheck - mypy strict on the package, the functions and infra"
	@echo "make bench  - cold-start imports, AWS calls per event, fan-out cost, triage throughput"
	@echo "make build  - Lambda artifacts for arm64/python3.12 in .aws-sam/build (no Docker needed)"
	@echo "make deploy - sam deploy --guided (needs AWS credentials and the SAM CLI)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -m pip install $(PIP_QUIET) -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import moodline, moodline_local, moto, twilio, pynamodb, aws_lambda_powertools"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/moodline-local demo

serve: $(STAMP)
	$(BIN)/moodline-local serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml
	$(BIN)/python infra/sam_translate.py template.yaml --out build/template.cfn.json
	$(BIN)/cfn-lint build/template.cfn.json

test: lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit tests/usecases tests/infra

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python infra/bench.py

build: $(STAMP)
	$(BIN)/python infra/build.py

deploy: build
	sam deploy --guided

clean:
	rm -rf build .aws-sam out .pytest_cache .mypy_cache .ruff_cache
