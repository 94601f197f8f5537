# For people: `make report`, `make test`, `make lab`, `make lint`. Each sets up what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check
CHROMIUM := /usr/bin/chromium
LIBERATION := /usr/share/fonts/truetype/liberation
KERNEL_NAME := audit-pipeline
# The locks, made from pyproject.toml by `make lock`: the runtime set, and one per use beside it.
LOCKS := requirements.txt requirements-test.txt requirements-lint.txt requirements-lab.txt
LOCK_PYTHON := 3.11
UV ?= $(VENV)/bin/uv
# HOOKS=no: `make setup` leaves the git hooks alone (say, in a worktree whose hooks folder is shared).
HOOKS ?= yes
# Test processes at once (pytest-xdist): the machines here have two cores.
TEST_JOBS ?= 2

# A stamp per environment, named for the locks and pyproject.toml it was made from: change one, it is remade.
digest = $(shell cat $(1) pyproject.toml | sha256sum | cut -c1-12)
RUNTIME_STAMP := $(VENV)/.runtime-$(call digest,requirements.txt)
DEV_STAMP := $(VENV)/.dev-$(call digest,requirements-test.txt requirements-lint.txt)
LAB_STAMP := $(VENV)/.lab-$(call digest,requirements-lab.txt)
LATEST_VENV := $(VENV)/latest
LATEST_PACKAGES := papermill nbclient nbconvert jupyter_client
LATEST_TESTS := tests/test_run.py tests/test_notebooks.py tests/test_faults.py $(wildcard tests/test_execute*.py)

.PHONY: report test setup setup-runtime lab kernelspec lint lock test-latest browser fonts sample-pack clean

report: setup-runtime fonts
	$(PY) pipeline.py run

test: setup browser
	$(PY) -m pytest -n $(TEST_JOBS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)/notebooks" $(if $(filter 0,$(shell id -u)),--allow-root)

# The runtime (requirements.txt) plus what tests, lint and pre-commit use; the package installed editable.
setup: $(DEV_STAMP)

# The runtime alone: what `make report` needs.
setup-runtime: $(RUNTIME_STAMP)

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
		echo "$(PYTHON) -m venv does not work here (no ensurepip). On Debian: sudo apt-get install -y python3-venv (or python$$v-venv)" >&2; \
		exit 2; }
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt -e .
	@# Environments made before the package was installable carried a .pth file instead.
	rm -f $(VENV)/lib/python3*/site-packages/audit_pipeline_repo.pth
	rm -f $(VENV)/.runtime-*
	touch $@

$(DEV_STAMP): requirements-test.txt requirements-lint.txt $(RUNTIME_STAMP)
	$(PIP) install --quiet -r requirements-test.txt -r requirements-lint.txt -e '.[test,lab,lint]'
	$(MAKE) --no-print-directory kernelspec
	@# pre-commit hooks only in a git checkout (a worktree has a .git file, a clone a .git folder).
	@if [ "$(HOOKS)" = no ]; then echo "HOOKS=no: pre-commit hooks not installed"; \
	elif git rev-parse --git-dir >/dev/null 2>&1; then $(VENV)/bin/pre-commit install >/dev/null && echo "pre-commit hooks installed"; \
	else echo "not a git checkout: pre-commit hooks not installed"; fi
	rm -f $(VENV)/.dev-*
	touch $@

$(LAB_STAMP): requirements-lab.txt $(RUNTIME_STAMP)
	$(PIP) install --quiet -r requirements-lab.txt -e '.[lab]'
	$(MAKE) --no-print-directory kernelspec
	rm -f $(VENV)/.lab-*
	touch $@

# The kernel JupyterLab offers for this project: the environment's Python, the package importable.
kernelspec:
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL_NAME) \
		--display-name "Audit pipeline (Python $$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'))" >/dev/null

# Regenerate every lock from pyproject.toml with uv, keeping today's pins wherever they still fit:
# one resolution of all extras first (seeded with the current locks as preferences), then each lock
# constrained by it, so that any two locks installed together agree. For Python 3.11.0 and later
# (Debian 12 ships 3.11.2). To move a pin, edit or delete its line in every lock and rerun.
lock: $(if $(filter $(VENV)/bin/uv,$(UV)),setup)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	cat $(wildcard $(LOCKS)) | grep -E '^[A-Za-z0-9]' | sort -u > "$$tmp/all.txt"; \
	opts="--quiet --python-version $(LOCK_PYTHON) --custom-compile-command 'make lock'" && \
	eval $(UV) pip compile pyproject.toml --all-extras $$opts --no-header -o "$$tmp/all.txt" && \
	eval $(UV) pip compile pyproject.toml $$opts -c "$$tmp/all.txt" -o requirements.txt && \
	eval $(UV) pip compile pyproject.toml --extra test --extra lab $$opts -c "$$tmp/all.txt" -o requirements-test.txt && \
	eval $(UV) pip compile pyproject.toml --extra lint $$opts -c "$$tmp/all.txt" -o requirements-lint.txt && \
	eval $(UV) pip compile pyproject.toml --extra lab $$opts -c "$$tmp/all.txt" -o requirements-lab.txt && \
	sed -i "\|-c $$tmp/all.txt|d" $(LOCKS)
	@echo "Locks written: $(LOCKS)"

# The execution tests against the NEWEST papermill, nbclient, nbconvert and jupyter_client (the rest as
# locked), in a throw-away environment made with uv (fast): run it before moving those pins, to see
# what an upgrade would break.
test-latest: setup fonts
	rm -rf $(LATEST_VENV)
	$(UV) venv --quiet --python $(PY) $(LATEST_VENV)
	$(UV) pip install --quiet --python $(LATEST_VENV)/bin/python -r requirements-test.txt -e .
	$(UV) pip install --quiet --python $(LATEST_VENV)/bin/python $(foreach p,$(LATEST_PACKAGES),--upgrade-package $(p)) $(LATEST_PACKAGES)
	@$(UV) pip list --python $(LATEST_VENV)/bin/python 2>/dev/null | grep -i -E '^(papermill|nbclient|nbconvert|jupyter.client) '
	$(LATEST_VENV)/bin/python -m pytest -p no:cacheprovider $(LATEST_TESTS); status=$$?; rm -rf $(LATEST_VENV); exit $$status

# The fonts the PDF embeds (fonts-liberation, the report's Arial-metric font): all `make report` needs
# from the system. Installed with apt-get when root; otherwise one line says how.
fonts:
	@if [ -d $(LIBERATION) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-liberation >/dev/null; \
	else \
		echo "fonts-liberation is missing, so the PDF falls back to another font. Run: sudo apt-get install -y fonts-liberation" >&2; \
	fi

# For `make test` only: Debian's Chromium (browser tests), poppler-utils (pdftoppm, for looking at PDF
# pages) and fonts-liberation (so the PDF lays out the same everywhere).
browser:
	@if [ -x $(CHROMIUM) ] && command -v pdftoppm >/dev/null && [ -d $(LIBERATION) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils fonts-liberation >/dev/null; \
	else \
		echo "Chromium, poppler-utils or fonts-liberation is missing. Run: sudo apt-get install -y chromium poppler-utils fonts-liberation" >&2; exit 2; \
	fi

sample-pack: setup-runtime
	$(PY) scripts/make_sample_transactions.py data/ngss

clean:
	rm -rf reports/*/ .pytest_cache
