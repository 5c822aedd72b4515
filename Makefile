# 红松分 · 兴安分 — the two set-up commands: `make run` and `make test`.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PIP := $(BIN)/python -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: pip runs again only when a requirements file has changed.
$(VENV)/.requirements.stamp: requirements.txt | $(BIN)/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.requirements-dev.stamp: requirements-dev.txt requirements.txt | $(BIN)/python
	$(PIP) install -q -r requirements-dev.txt
	touch $@

## run: migrate, load the demo data, start the scheduler and serve http://$(HOST):$(PORT)
run: $(VENV)/.requirements.stamp
	$(FLASK) points db upgrade
	$(FLASK) points demo
	$(FLASK) points verify
	@# One scheduler next to the web server; it stops (and releases its lease) with it.
	$(FLASK) points scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null || true; wait $$scheduler 2>/dev/null || true' EXIT; \
	trap 'exit 130' INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

## test: the whole suite in parallel (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), the import contracts, then ruff
# pytest's own exit codes stand: 5 (no tests collected) fails this target like any other.
# The accessibility rules the browser tests inject (axe-core, from the npm registry), when npm is here.
BROWSER_JS := tests/browser/node_modules/.package-lock.json

$(BROWSER_JS): tests/browser/package-lock.json
	if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund; fi

test: $(VENV)/.requirements-dev.stamp $(BROWSER_JS)
	$(BIN)/pytest -n auto
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Page text: the Chinese source is the msgid, English the one translation.
# Besides gettext's own names: _l (lazy), N_ (marked, translated at render time), and the
# message — second argument — of the refusals a page shows. `update` never guesses: a
# changed text comes back untranslated, not fuzzy, and the tests insist on a translation.
TRANSLATIONS := points/translations
I18N_KEYWORDS := -k _l -k N_ -k DomainError:2 -k Conflict:2 -k Forbidden:2 -k NotFound:2 -k Unauthorized:2

## translations: extract the page text, merge it into the English catalogue, compile it
translations: $(VENV)/.requirements.stamp
	$(BIN)/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --add-comments=TRANSLATORS: \
		--sort-by-file --project=points --no-wrap \
		-o $(TRANSLATIONS)/messages.pot .
	if [[ -f $(TRANSLATIONS)/en/LC_MESSAGES/messages.po ]]; then \
		$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l en \
			--no-fuzzy-matching --ignore-obsolete --no-wrap; \
	else \
		$(BIN)/pybabel init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l en --no-wrap; \
	fi
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics
