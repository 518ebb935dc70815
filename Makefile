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

.PHONY: help venv book serve test test-clock lint test-py test-nb test-exercises build-strict \
	test-browser test-viewer-lab test-bundle bundle execute lab bench time-chapters clean

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
	@echo "make time-chapters  each chapter's time on one thread, and its slowest cells"

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned packages into $(VENV) (a few minutes; pip lists each one):"
	@# --no-compile: Python compiles the files it imports when it first imports them,
	@# instead of pip compiling all of torch and Jupyter up front (a minute on 2 cores).
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on --no-compile \
		-r requirements.txt -c constraints.txt
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

# Each step prints its time ([time] lines, from tools/timed.sh); the list comes again
# at the end. Budget: 15 minutes on a 2-core machine from a fresh clone.
TIMED := bash tools/timed.sh
test: test-clock lint test-py test-exercises test-nb build-strict test-browser test-bundle
	@echo "make test, time per step:"; cat _build/step-times.txt

test-clock:
	@mkdir -p _build && rm -f _build/step-times.txt

LINTED := mhacourse tests tools book
lint: $(STAMP)
	$(TIMED) ruff-check $(BIN)/ruff check $(LINTED)
	$(TIMED) ruff-format $(BIN)/ruff format --check $(LINTED)

# The suite twice at once: this CPU's best instructions, and ATEN_CPU_CAPABILITY=default
# on one thread (tools/pytest_both.sh), so a number that depends on the CPU fails here.
test-py: $(STAMP)
	PYTHON=$(BIN)/python $(TIMED) test-py tools/pytest_both.sh \
		-q -p no:cacheprovider --doctest-modules -m "not browser" mhacourse tests

test-exercises: $(STAMP)
	$(TIMED) insert-exercises $(BIN)/python tools/insert_exercises.py --check
	$(TIMED) setup-cell $(BIN)/python tools/setup_cell.py --check

# Strict nbval under ATEN_CPU_CAPABILITY=default and this CPU's best one, each with
# OMP_NUM_THREADS=1 and 2: the printed numbers must not depend on the machine. The
# fourth setup (best capability, one thread) is checked by test-bundle, on the
# chapters as the course download ships them, run from the installed wheel.
test-nb: $(STAMP)
	$(TIMED) test-nb $(BIN)/python tools/nb_matrix.py --skip best:1 $(NOTEBOOKS)

# The download the site offers on its landing page (book/_ext/mhacourse_bundle.py puts
# it next to index.html); make bundle builds it alone.
bundle: $(STAMP)
	$(BIN)/python tools/make_bundle.py _build/bundle

# The site's zip, installed offline into a fresh venv (pip download fills .whl/ first,
# kept between runs), then every chapter checked under strict nbval from the unzipped
# folder (this CPU's best capability, one thread: the matrix's fourth setup), two at a
# time, with no network.
test-bundle: build-strict
	$(TIMED) test-bundle $(BIN)/python tools/try_bundle.py \
		_build/html/mhacourse-course.zip --wheelhouse .whl

# From scratch, so no page left over from an earlier build is checked (or shipped).
build-strict: $(STAMP) $(MATHJAX)
	rm -rf _build/html _build/.doctrees
	$(TIMED) build-strict $(BIN)/jupyter-book build . -W -n --keep-going

# Installs Debian's chromium + chromium-driver when missing (as root); the tests skip,
# saying why, only where that is impossible. Screenshots land in _build/screenshots/.
test-browser: build-strict
	$(TIMED) chromium bash tools/ensure_chromium.sh
	$(TIMED) test-website \
		$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_website.py
	$(TIMED) test-viewer \
		$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_viewer_browser.py
	$(TIMED) test-jupyterlab \
		$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_jupyterlab.py

# The head viewer in a real JupyterLab: static in an untrusted notebook, live once its
# cell runs (about a minute; not part of make test).
test-viewer-lab: $(STAMP)
	bash tools/ensure_chromium.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider -m browser tests/test_viewer_jupyterlab.py

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

# The budget: the seven chapters within about 3 minutes together on one thread.
time-chapters: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python tools/time_chapters.py $(NOTEBOOKS)

clean:
	rm -rf _build
