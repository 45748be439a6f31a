# Two commands do everything on a fresh Debian machine with Python 3.11:
#   make run    set up .venv and launch the app
#   make test   set up .venv and run the whole test suite headless
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: run test lint bench screenshot setup sysdeps clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@bash .ci/sysdeps
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip >/dev/null
	$(PIP) install -c constraints.txt -e ".[test]"
	@touch $@

run: setup
	$(PY) -m playground

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest
	$(VENV)/bin/ruff check .

bench: setup
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run_all.py

screenshot: setup
	QT_QPA_PLATFORM=offscreen $(PY) docs/screenshots.py

clean:
	rm -rf $(VENV) build *.egg-info
