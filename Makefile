# WhatsApp appointment assistant: the commands a person (and CI) types. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
AXE_STAMP   := node_modules/.installed
STACK       := $(PY) -m devtools.stack
RASA        := $(PY) -m connectors.launch rasa
MODEL        = $(shell $(PY) -m devtools.model --print-path)
NLU_MIN_F1  ?= 0.78
PYTEST_WORKERS ?= auto

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: bench-safety-rounds help install install-browser install-axe run simulator shell interactive model test lint types format pytest \
        validate test-stories test-nlu test-stack bench lock clean \
        install-haproxy install-promtool install-caddy install-compose install-tools prod-local cluster test-cluster bench-cluster

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

install: $(STAMP) ## build .venv on Python 3.10 with the pinned dependencies (idempotent)

$(STAMP): requirements.txt constraints.txt pyproject.toml scripts/find-python310.sh
	@python=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
	  rm -rf $(VENV); echo "creating $(VENV) with $$python"; $$python -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install -q --upgrade "pip>=24" "setuptools>=64,<71" wheel
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	@mkdir -p var models results && touch $@
	@echo "✓ environment ready in $(VENV)"

model: install ## train the Rasa model if config, domain or data changed
	@$(PY) -m devtools.model

run: model ## start Duckling, the action server and Rasa; Ctrl-C stops all
	@$(STACK) run

shell: model ## chat with the assistant in the terminal (rasa shell)
	@$(STACK) shell

interactive: model ## train by talking: rasa interactive with the real action server and Duckling
	@$(STACK) interactive

lint: install install-tools ## ruff lint + format check + the layers' import contracts (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

types: install ## mypy (strict) over clinic/, actions/ and connectors/
	$(VENV)/bin/mypy

format: install ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

pytest: install install-tools install-browser install-axe install-haproxy install-promtool install-caddy install-compose ## unit + integration tests (loopback only); exit 5 (no test) fails
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) -m "not stack" --durations=15 tests

validate: install ## rasa data validate --fail-on-warnings
	$(RASA) data validate --fail-on-warnings --config config.yml --domain domain.yml --data data

test-stories: model ## rasa test on tests/test_stories.yml, failing on any prediction error
	$(STACK) exec --with duckling,actions -- \
	  $(RASA) test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results/core

test-nlu: model ## score the model on the held-out NLU set; fail below NLU_MIN_F1
	$(STACK) exec --with duckling -- \
	  $(RASA) test nlu --model $(MODEL) --nlu tests/nlu_holdout.yml --out results/nlu
	$(PY) -m devtools.nlu_gate results/nlu/intent_report.json --min-f1 $(NLU_MIN_F1)

install-browser: ## Debian's Chromium for the browser tests (needs root or sudo once)
	@scripts/install-chromium.sh

install-axe: $(AXE_STAMP) ## axe-core from npm (package-lock.json), for the console's accessibility test

$(AXE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install-haproxy: ## Debian's HAProxy, the cluster's load balancer (needs root or sudo once)
	@scripts/debian-package.sh haproxy

install-promtool: ## Debian's prometheus package, for promtool (alert rules and their tests)
	@scripts/debian-package.sh promtool prometheus

install-tools: install ## hadolint, actionlint (deployment files) and import-linter (the layers), as wheels
	@$(PY) -m pip install -q -r requirements-tools.txt

install-compose: ## Debian's docker-compose, to check docker-compose.yml (no engine needed)
	@scripts/debian-package.sh docker-compose

install-caddy: ## Debian's Caddy, the public entry (TLS) of prod-local and production
	@scripts/debian-package.sh caddy

prod-local: model install-caddy ## the production configuration as processes, behind Caddy on https://localhost:8443
	@$(STACK) prod-local

cluster: model install-haproxy ## 2 Rasa replicas + 2 action servers + 2 workers behind HAProxy (PostgreSQL, Redis)
	@$(STACK) cluster

simulator: run ## same as `make run`: the assistant plus the local WhatsApp simulator page

test-stack: model install-browser install-haproxy install-caddy ## end-to-end: the real stack (and the cluster) over HTTP
	$(PY) -m pytest -q -m stack --durations=15 tests

test-cluster: model install-haproxy ## only the cluster's end-to-end tests (kill -9 of a replica included)
	$(PY) -m pytest -q -m cluster tests

test: lint types pytest validate model test-stories test-nlu test-stack ## the whole suite, in CI's order
	@echo "✓ all checks passed"

bench: model ## benchmarks (numbers printed, never asserted)
	$(PY) bench/duckling_parse.py
	$(PY) bench/availability.py
	$(PY) bench/reminders.py
	$(PY) bench/console.py
	$(PY) bench/observability.py
	$(PY) bench/report.py
	$(PY) bench/safety.py
	$(STACK) exec --with duckling,rasa -- $(PY) bench/nlu_parse.py
	$(STACK) exec --with duckling,actions,rasa -- $(PY) bench/whatsapp.py
	$(STACK) exec --with duckling,actions -- $(PY) bench/turn_profile.py

bench-safety-rounds: install ## the red-flag model on each tuning round it never saw (leave one round out): how its threshold is chosen (about 3 min)
	$(PY) bench/safety_rounds.py

bench-nlu-cv: install ## repeated stratified cross-validation of NLU configs on fixed folds (slow: one training per fold)
	$(STACK) exec --with duckling -- $(PY) bench/nlu_cv.py $(CV_ARGS)

bench-cluster: model install-haproxy ## load and fault suite: 200 patients on `make cluster` while parts fail
	$(PY) bench/cluster.py

lock: install ## regenerate constraints.txt from the current .venv
	@{ echo "# Full transitive pin set, proven to install together with pip check clean (Python 3.10)."; \
	   echo "# Regenerate: make lock"; \
	   $(PY) -m pip freeze --exclude-editable | grep -viE '^clinic-assistant'; } > constraints.txt

clean: ## remove the venv, models, results and local data
	rm -rf $(VENV) node_modules models/*.tar.gz results var .pytest_cache .ruff_cache
