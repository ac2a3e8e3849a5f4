# The course's two commands (see README):
#   make lab    set up .venv if needed, then open JupyterLab on your work/
#               folder (python -m autograder.lab: copies new chapters into
#               work/, never overwriting yours; student panels only)
#   make instructor  the same lab with nbgrader's instructor panels
#   make test   set up .venv if needed, then run every test
# Set-up is idempotent: .venv is only (re)installed when pyproject.toml or
# requirements.lock changed since the last install.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
# nbgrader shells out to alembic, and Jupyter finds its kernels on PATH.
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Two test workers per core unless told otherwise (make test JOBS=1): many
# tests wait on kernels, a browser or a grader's round trips rather than
# compute, and 4 workers on 2 cores took 8.1 min where 2 took 10.8.
JOBS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))
LAB_ARGS ?=

.PHONY: lab instructor test venv release twins bench lock clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), \
	  "Python >= 3.11 is needed (nbgrader 0.9); found " + sys.version' \
	  || { echo "Set PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the course into $(VENV) (first run: about a minute)"
	$(BIN)/python -m pip install -q -r requirements.lock -e '.[test]'
	@touch $@

lab: $(STAMP)
	$(BIN)/python -m autograder.lab $(LAB_ARGS)

instructor: $(STAMP)
	$(BIN)/python -m autograder.lab --instructor $(LAB_ARGS)

# Unit tests in parallel; then nbval runs every solution notebook (the cells
# of one notebook share a kernel, so each file stays on one worker).
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider tests
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -p no:cacheprovider \
	  -p autograder.zmqwait --nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg solutions

# Regenerate the student release (notebooks/) from solutions/, after
# copying the shared markdown cells (solutions/*.md) into every chapter,
# and the text twins (solutions/*/*.py) that reviews read and diff.
release: twins
	$(BIN)/course-autograder release

# Rewrite the Jupytext twin of every solution notebook (never released).
twins: $(STAMP)
	$(BIN)/python -m autograder.course.shared_text
	$(BIN)/python -m autograder.course.twins

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Re-pin requirements.lock from pyproject.toml's bounds (needs the network).
lock:
	rm -rf /tmp/course-lock-venv
	$(PYTHON) -m venv /tmp/course-lock-venv
	/tmp/course-lock-venv/bin/pip install -q '.[test]'
	{ echo "# Exact versions for reproducible installs (make, CI,"; \
	  echo "# environment.yml). Regenerate with: make lock"; \
	  /tmp/course-lock-venv/bin/pip freeze --exclude-editable \
	  | grep -v '^nn-from-the-derivative-up' | sort -f; } > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
