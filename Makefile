# The two set-up commands of the README: `make demo` and `make test`.
# Each creates the virtual environment, installs the package with its test extra,
# makes sure a Chromium is available, then runs the demo or the whole test suite.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the suite overlaps its waits on browsers and local servers: 3 workers keep
# 2 cores busy (docs/decisions/0008-parallel-tests.md); `make test WORKERS=0` runs it serially
WORKERS ?= 3

.PHONY: demo test install browser sandbox clean

demo: browser
	$(BIN)/dispute-agent demo

test: browser
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal

sandbox: install
	$(BIN)/dispute-agent sandbox

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

browser: install
	$(BIN)/dispute-agent install-browser

clean:
	rm -rf $(VENV) .pytest_cache test-results
