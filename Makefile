# Two commands do everything on a fresh machine:  make book  and  make test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
SANITIZE := book/nbval_sanitize.cfg
MATHJAX := book/_static/mathjax/.version
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv book test test-py test-nb build-strict test-browser execute lab bench clean

help:
	@echo "make book     create .venv, install everything, build the website into _build/html"
	@echo "make test     unit tests + doctests, notebooks under strict nbval, strict website build,"
	@echo "              then every page checked in headless Chromium (make test-browser)"
	@echo "make lab      open the chapter notebooks in JupyterLab"
	@echo "make execute  re-execute every notebook in place (after changing mhacourse)"
	@echo "make bench    python -m mhacourse.bench"

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# MathJax is served by the site itself (no CDN): fetched once from the npm registry.
$(MATHJAX): tools/vendor_mathjax.sh
	bash tools/vendor_mathjax.sh

book: $(STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open the course: file://$(CURDIR)/_build/html/index.html"

test: test-py test-nb build-strict test-browser

test-py: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules -m "not browser" mhacourse tests

test-nb: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval --nbval-sanitize-with $(SANITIZE) \
		--nbval-current-env $(NOTEBOOKS)

# From scratch, so no page left over from an earlier build is checked (or shipped).
build-strict: $(STAMP) $(MATHJAX)
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . -W -n --keep-going

# Installs Debian's chromium + chromium-driver when missing (as root); the tests skip,
# saying why, only where that is impossible. Screenshots land in _build/screenshots/.
test-browser: build-strict
	bash tools/ensure_chromium.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_website.py

execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 $(NOTEBOOKS)

lab: $(STAMP)
	$(BIN)/jupyter lab book/

bench: $(STAMP)
	$(BIN)/python -m mhacourse.bench

clean:
	rm -rf _build
