# Two commands on a fresh machine:  `make run`  (the bot in the terminal)  ·  `make test`
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench digest

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' || { \
	  echo "make: installing the dependencies failed. PyICU (used by the sanctions name matcher) is" >&2; \
	  echo "built from source: it needs ICU's headers, pkg-config and a C++ compiler —" >&2; \
	  echo "Debian/Ubuntu: apt install libicu-dev pkg-config g++ · macOS: brew install icu4c pkg-config" >&2; \
	  exit 1; }
	touch $@

run: $(VENV)/.installed
	$(PY) bot.py console

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

digest: $(VENV)/.installed
	$(PY) bot.py digest

bench: $(VENV)/.installed
	$(PY) -m bench
