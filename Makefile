# Two commands do everything on a fresh machine:  make book  and  make test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
SANITIZE := book/nbval_sanitize.cfg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv book test test-py test-nb build-strict execute lab bench clean

help:
	@echo "make book     create .venv, install everything, build the website into _build/html"
	@echo "make test     unit tests + doctests, notebooks under strict nbval, strict website build"
	@echo "make lab      open the chapter notebooks in JupyterLab"
	@echo "make execute  re-execute every notebook in place (after changing mhacourse)"
	@echo "make bench    python -m mhacourse.bench"

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --keep-going
	@echo "Open the course: file://$(CURDIR)/_build/html/index.html"

test: test-py test-nb build-strict

test-py: $(STAMP)
	$(BIN)/python -m pytest -q --doctest-modules mhacourse tests

test-nb: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval --nbval-sanitize-with $(SANITIZE) \
		--nbval-current-env $(NOTEBOOKS)

build-strict: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

execute: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 $(NOTEBOOKS)

lab: $(STAMP)
	$(BIN)/jupyter lab book/

bench: $(STAMP)
	$(BIN)/python -m mhacourse.bench

clean:
	rm -rf _build
