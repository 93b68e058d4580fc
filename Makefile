# Learners:  make lab      - first time: set up .venv (runtime only), then JupyterLab on workspace/
#            make grade    - grade the exercises in workspace/
# Authors:   make test     - also installs the test tools, then runs the whole test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The course itself, then the test tools on top (pytest, nbval, Playwright, ...).
RUNTIME := $(VENV)/.runtime-installed
TESTS   := $(VENV)/.tests-installed
# setuptools prints a warnings box for every editable install of a flat-layout project.
PIP := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip \
       --disable-pip-version-check

# One BLAS thread for every kernel started from here: the course's matrices are small, so more
# threads only burn CPU (about 16 % of the lessons' kernel time) and fight each other when the
# tests run in parallel. The numbers come out the same (strict nbval passes either way).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

NBVAL_OPTS := --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
              --nbval-kernel-startup-timeout 120 --nbval-cell-timeout 120

.PHONY: lab lab-reference grade solution workspace test lint execute benchmark learner clean

$(RUNTIME): pyproject.toml
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $(PYTHON) ..."; $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python tools/venv_ready.py || { \
	  echo "Installing the course (NumPy, matplotlib, JupyterLab, ipywidgets) into $(VENV)."; \
	  echo "This takes a minute or two, once."; \
	  $(PIP) install --progress-bar on -e . ; }
	@touch $@

$(TESTS): $(RUNTIME)
	@$(BIN)/python tools/venv_ready.py test || { \
	  echo "Installing the test tools (pytest, nbval, hypothesis, ruff, Playwright) into $(VENV)."; \
	  $(PIP) install --progress-bar on -e '.[test]' ; }
	@touch $@

# Your own copy of the lessons, in workspace/: created on first use, never overwritten.
lab: $(RUNTIME)
	@$(BIN)/python -m common.classroom lab

# For instructors and authors: the reference edition in notebooks/, every solution filled in.
lab-reference: $(RUNTIME)
	@$(BIN)/python -m common.classroom lab --reference

# Bring workspace/ up to date (new lessons copied in) without starting JupyterLab.
workspace: $(RUNTIME)
	@$(BIN)/python -m common.classroom workspace

# A learner's command that fails with status 1 has said why in its last line (a failed grade, a
# misspelt exercise). make would add "make: *** [Makefile:NN: grade] Error 1" below it, so the
# recipe ends make itself quietly (SIGPIPE: no message from make or the shell); the exit status
# stays non-zero (141) for scripts and CI.
define quietly
@$(1); status=$$?; if [ $$status -eq 1 ]; then kill -PIPE $$PPID; fi; exit $$status
endef

# Grade workspace/, or NB=a/folder or NB=one.ipynb: a table, a score and what to do next.
grade: $(RUNTIME)
	$(call quietly,$(BIN)/python -m common.classroom grade $(NB))

# Stuck? Show the reference solution of one exercise: make solution EX=softmax
solution: $(RUNTIME)
	$(call quietly,$(BIN)/python -m common.classroom solution $(EX))

lint: $(TESTS)
	$(BIN)/ruff check common tests tools benchmarks notebooks conftest.py

test: lint
	$(BIN)/pytest -n 2 --dist loadscope --nbval $(NBVAL_OPTS) tests notebooks

# Refresh the stored outputs of every notebook (or NB=path/to/one.ipynb).
execute: $(RUNTIME)
	$(BIN)/python tools/execute_notebooks.py $(filter %.ipynb,$(NB))

# The learner edition for a class repository: build/learner/, solutions replaced by
# `raise NotImplementedError`, outputs cleared, checks.json beside the notebooks.
learner: $(RUNTIME)
	$(BIN)/python -m common.classroom learner build/learner

# ARGS="--make-test --browser" adds wall times of the tests (they need make test's tools).
benchmark: $(RUNTIME)
	$(BIN)/python benchmarks/run.py $(ARGS)

# build/ only: workspace/ holds the learner's work and is never removed by make.
clean:
	rm -rf build
