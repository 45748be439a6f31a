# Two commands do everything on a fresh Debian machine with Python 3.11:
#   make run    set up .venv and launch the app
#   make test   set up .venv and run the whole test suite headless
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: run test lint bench fuzz screenshot setup sysdeps clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@bash .ci/sysdeps
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip >/dev/null
	$(PIP) install -c constraints.txt -e ".[test]"
	@touch $@

run: setup
	$(PY) -m playground

# One worker per core; worksteal rebalances when a worker is left with the long tests.
# Every test also runs alone (`$(PY) -m pytest tests/...` without -n).
# Byte-code caching on even where the environment turns it off (PYTHONDONTWRITEBYTECODE=1):
# otherwise every worker and every child process compiles the sources again (collecting the
# suite took 17.7 CPU-s without the cache, 10.7 s with it).
TEST_WORKERS ?= auto
test: setup
	PYTHONDONTWRITEBYTECODE= QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal
	$(VENV)/bin/ruff check .

# The fuzzed window at 50,000 actions (CI runs 2,000); FUZZ_ACTIONS and FUZZ_SEED override.
FUZZ_ACTIONS ?= 50000
FUZZ_SEED    ?= 1126
fuzz: setup
	QT_QPA_PLATFORM=offscreen PLAYGROUND_FUZZ_ACTIONS=$(FUZZ_ACTIONS) PLAYGROUND_FUZZ_SEED=$(FUZZ_SEED) \
		PLAYGROUND_FUZZ_CHECK_EVERY=1000 PLAYGROUND_FUZZ_SCRIPT_CHECKS=10 \
		$(PY) -m pytest -p no:cacheprovider -s -o faulthandler_timeout=0 \
		tests/ui/window/test_fuzz_window.py::test_fuzzed_window

bench: setup
	QT_QPA_PLATFORM=offscreen $(PY) benchmarks/run_all.py

screenshot: setup
	QT_QPA_PLATFORM=offscreen $(PY) docs/screenshots.py

clean:
	rm -rf $(VENV) build *.egg-info
