# Set-up and everyday commands. Every target installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: setup run test lint browser bench clean

$(BIN)/p3bm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip==26.0.1
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

setup: $(BIN)/p3bm

# The main job on the embedded SQLite default: set up Kota Bekasi, import the
# public sample tables from P3BM_SAMPLE_DATA when it is set, write the report
# and serve the dashboard on http://127.0.0.1:8000.
run: setup
	$(BIN)/p3bm up

# Headless Chromium from Debian for the browser tests; Playwright never
# downloads a browser of its own here.
browser:
	@command -v chromium >/dev/null || apt-get install -y -q chromium >/dev/null \
	  || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

test: setup browser lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --junitxml=.pytest-results.xml

# Speed and memory beside baselines measured in the same run; see BENCHMARKS.md.
bench: setup
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/analysis.py --backend sqlite --pages
	$(BIN)/python benchmarks/analysis.py --backend postgresql
	$(BIN)/python benchmarks/server.py

clean:
	rm -rf $(VENV) .pytest_cache .pytest-results.xml out
