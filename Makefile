# Hamkke: the two commands are `make run` and `make test`; everything else supports them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make
VENDOR := static/vendor
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help run test install vendor translations lint typecheck test-postgres test-embedded system-deps bench migration clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

run: install  ## Install what is missing and start the whole product on the embedded default
	$(BIN)/hamkke up

test: install system-deps lint typecheck test-postgres test-embedded  ## Run every check and the whole suite

install: $(STAMPS)/python $(STAMPS)/vendor $(STAMPS)/font translations  ## Create .venv, install Python and browser libraries, build the PDF font

$(STAMPS)/python: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 이상이 필요합니다 / Python >= 3.11 is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/vendor: package.json
	@command -v npm >/dev/null || { echo "npm이 필요합니다 (Node 20 이상) / npm (Node >= 20) is required"; exit 1; }
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/socket.io-client/dist/socket.io.min.js $(VENDOR)/socket.io.min.js
	cp node_modules/socket.io-client/dist/socket.io.min.js.map $(VENDOR)/socket.io.min.js.map
	@mkdir -p $(STAMPS) && touch $@

# The reduced Korean PDF font (hamkke/pdf.py) takes a minute to build: once here, not at the first PDF.
$(STAMPS)/font: $(STAMPS)/python
	$(BIN)/python -m hamkke.pdf
	@mkdir -p $(STAMPS) && touch $@

vendor: $(STAMPS)/vendor  ## Install the browser libraries from npm into static/vendor (ignored by git)

translations: $(STAMPS)/python  ## Compile the message catalogues (Korean source, English translation)
	$(BIN)/pybabel compile --statistics -d translations

# Debian packages the suite needs; installed only when missing and only when we are root.
# nginx: tests/test_nginx.py runs `nginx -t` on deploy/nginx.conf and the production-topology test
# puts it in front of two gunicorn processes (bookworm ships 1.22.1; the config needs >= 1.18).
system-deps:  ## Install postgresql, redis-server, nginx and chromium when missing (as root)
	@missing=""; \
	{ command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	{ command -v nginx >/dev/null || test -x /usr/sbin/nginx; } || missing="$$missing nginx"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "noto sans cjk" || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "설치 / installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "다음 패키지를 설치해 주세요 / please install:$$missing (sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

lint: $(STAMPS)/python  ## ruff format --check, ruff check and the import contract (lint-imports, pyproject.toml)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo --cache-dir $(STAMPS)/import-linter

typecheck: $(STAMPS)/python  ## mypy on every product package (the list is in pyproject.toml)
	$(BIN)/mypy

test-postgres: install  ## The suite on PostgreSQL + Redis (started by the fixtures)
	$(BIN)/pytest $(PYTEST_ARGS)

test-embedded: install  ## The embedded default's pass: marked tests on SQLite and the filesystem broker
	$(BIN)/pytest -m embedded --backend sqlite $(PYTEST_ARGS)

bench: install system-deps  ## Benchmarks (durable PostgreSQL, alternating rounds); a full run adds bench/results/history/ and regenerates docs/benchmarks.md
	$(BIN)/python -m bench $(BENCH_ARGS)

migration: $(STAMPS)/python  ## Autogenerate a migration against a throwaway PostgreSQL: make migration m="what changed"
	$(BIN)/python -m tests.make_migration "$(m)"

clean:  ## Remove installed and generated files (keeps instance/ data)
	rm -rf $(VENV) node_modules $(VENDOR) $(STAMPS)
	find translations -name '*.mo' -delete 2>/dev/null || true
