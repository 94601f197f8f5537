# Two commands for people: `make report` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-12)
CHROMIUM := /usr/bin/chromium

.PHONY: report test setup browser lint sample-pack clean

report: setup browser
	$(PY) pipeline.py run

test: setup browser
	$(PY) -m pytest

setup: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@# Make the package importable from the venv (and so from every kernel it starts), wherever the clone is.
	$(PY) -c 'import site, sys; open(site.getsitepackages()[0] + "/audit_pipeline_repo.pth", "w").write(sys.argv[1] + "\n")' "$(CURDIR)"
	rm -f $(VENV)/.installed-*
	touch $@

# Debian's Chromium (browser tests), poppler-utils (pdftoppm, for looking at PDF pages) and
# fonts-liberation (the report's Arial-metric font, so the PDF lays out the same everywhere).
browser:
	@if [ -x $(CHROMIUM) ] && command -v pdftoppm >/dev/null && [ -d /usr/share/fonts/truetype/liberation ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils fonts-liberation >/dev/null; \
	else \
		echo "Chromium, poppler-utils or fonts-liberation is missing. Run: sudo apt-get install -y chromium poppler-utils fonts-liberation" >&2; exit 2; \
	fi

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

sample-pack: setup
	$(PY) scripts/make_sample_transactions.py data/ngss

clean:
	rm -rf reports/*/ .pytest_cache
