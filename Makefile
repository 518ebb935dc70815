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

PORT ?= 8000
# Root (as in containers) must say so, or JupyterLab refuses to start.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help venv book serve test lint test-py test-nb test-exercises build-strict \
	test-browser test-bundle bundle execute lab bench clean

help:
	@echo "make book     create .venv, install everything, build the website into _build/html"
	@echo "make serve    serve the built website on http://localhost:$(PORT)/"
	@echo "make test     ruff, unit tests + doctests, exercise cells up to date, notebooks"
	@echo "              under strict nbval on 2 CPU capabilities x 1 and 2 threads, strict"
	@echo "              website build, every page in headless Chromium, course bundle"
	@echo "make lab      open the chapter notebooks in JupyterLab"
	@echo "make bundle   the course download (notebooks, wheel, pins) into _build/bundle"
	@echo "make execute  re-execute every notebook in place (after changing mhacourse)"
	@echo "make bench    python -m mhacourse.bench"

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned packages into $(VENV) (a few minutes; pip lists each one):"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# MathJax is served by the site itself (no CDN): fetched once from the npm registry.
$(MATHJAX): tools/vendor_mathjax.sh
	bash tools/vendor_mathjax.sh

book: $(STAMP) $(MATHJAX)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Serve the course with 'make serve', then open http://localhost:$(PORT)/"

# Search needs the site served over http (a file:// page loses its snippets).
serve:
	@test -f _build/html/index.html || { echo "no site yet: run make book"; exit 1; }
	@echo "Serving the course on http://localhost:$(PORT)/ (Ctrl-C stops it)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

test: lint test-py test-exercises test-nb build-strict test-browser test-bundle

LINTED := mhacourse tests tools book
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

test-py: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules -m "not browser" mhacourse tests

test-exercises: $(STAMP)
	$(BIN)/python tools/insert_exercises.py --check
	$(BIN)/python tools/setup_cell.py --check

# Strict nbval under ATEN_CPU_CAPABILITY=default and this CPU's best one, each with
# OMP_NUM_THREADS=1 and 2: the printed numbers must not depend on the machine.
test-nb: $(STAMP)
	$(BIN)/python tools/nb_matrix.py $(NOTEBOOKS)

# The download the site offers on its landing page (book/_ext/mhacourse_bundle.py puts
# it next to index.html); make bundle builds it alone.
bundle: $(STAMP)
	$(BIN)/python tools/make_bundle.py _build/bundle

# The site's zip, installed offline into a fresh venv (pip download fills .whl/ first,
# kept between runs), then every chapter run to the end from the unzipped folder, two
# at a time, with no network.
test-bundle: build-strict
	$(BIN)/python tools/try_bundle.py _build/html/mhacourse-course.zip --wheelhouse .whl

# From scratch, so no page left over from an earlier build is checked (or shipped).
build-strict: $(STAMP) $(MATHJAX)
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . -W -n --keep-going

# Installs Debian's chromium + chromium-driver when missing (as root); the tests skip,
# saying why, only where that is impossible. Screenshots land in _build/screenshots/.
test-browser: build-strict
	bash tools/ensure_chromium.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_website.py
	$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_jupyterlab.py

execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 $(NOTEBOOKS)

# The file browser shows the chapters (and the data they read), not the website's own
# files (tests/test_jupyterlab.py starts JupyterLab with the same list).
LAB_HIDE := __pycache__ *.pyc .ipynb_checkpoints _ext _static _templates *.md *.bib *.cfg
lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_ROOT) $(foreach g,$(LAB_HIDE),--ContentsManager.hide_globs='$(g)') book/

bench: $(STAMP)
	$(BIN)/python -m mhacourse.bench

clean:
	rm -rf _build
