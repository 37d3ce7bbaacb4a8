# Moodline: every target works from a fresh clone with only Python 3.11+ installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check
# checkov pins boto3==1.35.49, packaging<24 and networkx<2.7, which would drag the project's own
# environment back (pytest 9 needs packaging>=24): it gets a venv of its own, inside .venv.
CHECKOV_VERSION := 3.3.30
CHECKOV := $(VENV)/checkov/bin/checkov

.PHONY: help install demo serve test lint typecheck unit fuzz e2e bench build deploy clean model

help:
	@echo "make demo   - simulate one week of Moodline offline (moto server + local Twilio stand-in)"
	@echo "make test   - lint (ruff, mypy, cfn-lint on the SAM and translated templates) and pytest"
	@echo "make e2e    - browser tests of the coach workspace in headless Chromium (installs chromium + playwright)"
	@echo "make unit   - the fast suite: unit, use cases on fakes, template checks (no moto, no local stack)"
	@echo "make fuzz   - the property tests with fresh random examples (the gate replays a fixed set)"
	@echo "make typecheck - mypy strict on the package, the functions and infra"
	@echo "make bench  - cold-start imports, AWS calls per event, fan-out cost, triage throughput"
	@echo "make build  - Lambda artifacts for arm64/python3.12 in .aws-sam/build (no Docker needed)"
	@echo "make deploy - sam deploy --guided (needs AWS credentials and the SAM CLI)"

# One line per phase (PHASE); a command's own output shows only when it has something to say.
PHASE = @printf '%s\n'

$(STAMP): pyproject.toml
	$(PHASE) "install: $(VENV) with moodline and its dev tools (pip, 1-2 min)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	@# setuptools' "Editable installation" notice is information only, printed as a warning box: hidden.
	@PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install $(PIP_QUIET) -e '.[dev]' 2>&1 \
	  | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import moodline, moodline_local, moto, twilio, pynamodb, aws_lambda_powertools"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PHASE) "demo: one simulated week on the local stack (moto + Twilio stand-in)"
	@$(BIN)/moodline-local demo

serve: $(STAMP)
	$(BIN)/moodline-local serve --demo-roster $(SERVE_ARGS)

$(CHECKOV): | $(STAMP)
	$(PHASE) "install: checkov $(CHECKOV_VERSION) in a venv of its own"
	@$(PYTHON) -m venv $(VENV)/checkov
	@$(VENV)/checkov/bin/python -m pip install $(PIP_QUIET) checkov==$(CHECKOV_VERSION) 2>&1 | grep -v "^WARNING: Location" || true
	@$(CHECKOV) --version >/dev/null

lint: $(STAMP) $(CHECKOV)
	$(PHASE) "lint: ruff"
	@$(BIN)/ruff check --quiet .
	$(PHASE) "lint: mypy (strict: package, functions, infra)"
	@$(BIN)/mypy --no-error-summary
	$(PHASE) "lint: cfn-lint on template.yaml and its SAM translation"
	@$(BIN)/cfn-lint template.yaml
	@$(BIN)/python infra/sam_translate.py template.yaml --out build/template.cfn.json >/dev/null
	@$(BIN)/cfn-lint build/template.cfn.json
	@# checkov reads .checkov.yaml from here; any unsuppressed finding fails the build.
	$(PHASE) "lint: checkov on both templates"
	@$(CHECKOV) --quiet --compact -f template.yaml
	@$(CHECKOV) --quiet --compact -f build/template.cfn.json

test: lint
	$(PHASE) "test: pytest"
	@$(BIN)/pytest

# Browser tests: Debian's chromium driven by playwright (playwright's own browser download is not
# reachable here). Installs what is missing and says so; without a browser it FAILS, never skips.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
e2e: $(STAMP)
	@$(BIN)/python -c "import playwright" 2>/dev/null || { \
	  echo "e2e: installing playwright into $(VENV) (pip)"; \
	  $(BIN)/python -m pip install $(PIP_QUIET) 'playwright>=1.45' 2>&1 | grep -v "^WARNING: Location" || true; }
	@test -x "$(CHROMIUM)" || { \
	  echo "e2e: no browser at $(CHROMIUM); installing Debian's chromium: $(SUDO) apt-get install -y chromium (about 2 min)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; } || true
	@test -x "$(CHROMIUM)" || { \
	  echo "e2e: FAILED - no Chromium at $(CHROMIUM) and apt-get could not install it."; \
	  echo "     Install one (apt-get install -y chromium) or run: make e2e CHROMIUM=/path/to/chromium"; exit 1; }
	@echo "e2e: $$($(CHROMIUM) --version 2>/dev/null) at $(CHROMIUM); screenshots go to out/e2e/"
	MOODLINE_E2E=1 CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/e2e
# Property tests with fresh random examples (the gate replays a fixed set): run it after touching
# parsing, signatures or the alert machine, and keep any failure it finds as an explicit example.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=explore $(BIN)/pytest -q -p no:cacheprovider $$(grep -rl "@given" tests)

unit: $(STAMP)
	$(BIN)/pytest tests/unit tests/usecases tests/infra

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python infra/bench.py

# Rebuild the semantic second opinion from tests/data/triage_corpus.jsonl (EXTRA="a.jsonl b.jsonl" adds files).
model: $(STAMP)
	$(BIN)/python infra/model/train.py $(EXTRA)

build: $(STAMP)
	$(BIN)/python infra/build.py

deploy: build
	sam deploy --guided

clean:
	rm -rf build .aws-sam out .pytest_cache .mypy_cache .ruff_cache
