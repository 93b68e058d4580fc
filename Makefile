# Two commands on a fresh machine with Python 3.10+ and make:
#   make lab    - set up .venv if needed and open JupyterLab on the lessons
#   make test   - set up .venv if needed and run the whole test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NB     ?= notebooks

NBVAL_OPTS := --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
              --nbval-kernel-startup-timeout 120 --nbval-cell-timeout 120

.PHONY: lab test lint execute benchmark learner grade clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Jupyter refuses to run as root unless told; containers often run as root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks $(ROOT_FLAG)

lint: $(STAMP)
	$(BIN)/ruff check common tests tools benchmarks notebooks conftest.py

test: lint
	$(BIN)/pytest -n 2 --dist loadscope --nbval $(NBVAL_OPTS) tests notebooks

# Refresh the stored outputs of every notebook (or NB=path/to/one.ipynb).
execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(filter %.ipynb,$(NB))

# The learner edition: solutions replaced by `raise NotImplementedError`, outputs cleared.
learner: $(STAMP)
	$(BIN)/python -m common.classroom learner build/learner

# Grade a learner's notebooks: make grade NB=build/learner (a folder or one notebook).
grade: $(STAMP)
	$(BIN)/python -m common.classroom grade $(NB)

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf build
