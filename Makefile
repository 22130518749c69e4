# Transfer Learning & Fine-Tuning with TensorFlow: every command the README and CONTRIBUTING.md mention.
# `make help` lists them for learners, instructors and maintainers (the `## group: text` after each target).
# How long CI's parts take, and why the rules are shaped as they are: CONTRIBUTING.md, "CI's time".
.DEFAULT_GOAL := help
PYTHON ?= python3
# The venvs are made by python -m venv (so pip is there, as for a learner); uv installs into them: the same
# packages as pip, faster. --compile-bytecode as pip does: where PYTHONDONTWRITEBYTECODE is set (as on CI), every
# process would compile TensorFlow anew.
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -n 2 --dist loadfile
NOTEBOOKS := notebooks
MOCK_REAL := COURSE_PROFILE=quick COURSE_HARNESS=mock-real COURSE_SMOKE=1

# The second test environment: Colab's own Python and package set (see CONTRIBUTING.md, "The Colab test environment").
COLAB_CONSTRAINTS := constraints/colab-2026-08-19.txt
COLAB_PY    := 3.13
COLAB_VENV  ?= .venv-colab
COLAB_BIN   := $(COLAB_VENV)/bin
COLAB_STAMP := $(COLAB_VENV)/.course-installed-$(COLAB_PY)
# Colab's Python: python3.13 on PATH, else pyenv's newest 3.13 (a pyenv shim that has none does not count);
# `make test-colab COLAB_PYTHON=/path/to/python3.13` names another.
COLAB_PYTHON ?= $(shell for p in python$(COLAB_PY) \
  $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(COLAB_PY).*/bin/python$(COLAB_PY) 2>/dev/null | sort -rV); \
  do $$p -c '$(PRINT_IF_COLAB_PY)' 2>/dev/null && break; done)
PRINT_IF_COLAB_PY = import sys; sys.exit("%d.%d" % sys.version_info[:2] != "$(COLAB_PY)" or print(sys.executable))
NO_COLAB_PYTHON := The Colab test environment (make test-colab) needs Python $(COLAB_PY), Colab's, and found \
  none, on PATH or in pyenv: install one (pyenv install $(COLAB_PY), or a Debian 13 root: CONTRIBUTING.md, The Colab \
  test environment) or name it with COLAB_PYTHON=/path/to/python$(COLAB_PY)

.PHONY: help setup lab course prefetch test test-ready test-main test-unit test-notebooks test-notebooks-real \
        test-colab test-colab-unit test-colab-mocked test-colab-offline \
        test-browser verify-real assets real-assets benchmarks strip clean

help:  ## learner: this list
	@for group in learner instructor maintainer; do \
	  echo "For $${group}s:"; \
	  sed -n "s/^\([a-z-]*\):.*## $$group: \(.*\)/\1\t\2/p" $(firstword $(MAKEFILE_LIST)) | \
	    awk -F'\t' '{ printf "  make %-20s %s\n", $$1, $$2 }'; \
	done

$(STAMP): requirements.txt requirements-test.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-dev.txt -e .
	touch $(STAMP)

setup: $(STAMP)  ## learner: create .venv and install the course (make lab does it the first time)

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)  # containers often run as root

# The notebooks ask for the kernel "python3"; this JupyterLab is the .venv's, so its python3 is the course's.
# Its default settings (overrides.json in the .venv) switch off the "get notified about official Jupyter news?"
# pop-up and the update check; a learner's own JupyterLab settings still win.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_OVERRIDES): scripts/jupyterlab_overrides.json $(STAMP)
	mkdir -p $(dir $@)
	cp scripts/jupyterlab_overrides.json $@

lab: $(STAMP) $(LAB_OVERRIDES)  ## learner: set up (first time) and open JupyterLab on notebooks/
	$(BIN)/jupyter lab $(ROOT_FLAG) $(NOTEBOOKS)

# Execute every notebook headless; executed copies and HTML go to build/.
course: $(STAMP)  ## instructor: execute every notebook headless into build/ (executed copies and HTML)
	mkdir -p build/executed build/html
	for nb in $(NOTEBOOKS)/[0-9]*.ipynb; do \
	  COURSE_HEADLESS=1 MPLBACKEND=Agg $(BIN)/jupyter nbconvert --to notebook --execute \
	    --ExecutePreprocessor.timeout=1800 --output-dir build/executed "$$nb" || exit 1; \
	done
	$(BIN)/jupyter nbconvert --to html --output-dir build/html build/executed/*.ipynb

# What make test needs beyond pip, checked before its tests start: Colab's Python (test-colab) and Debian's Chromium
# (test-browser), which it installs with apt-get where it runs as root (as on CI).
test-ready:
	@test -n "$(COLAB_PYTHON)" || { echo "$(NO_COLAB_PYTHON)" >&2; exit 1; }
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null && \
	  echo "=== installing Debian's chromium (the browser test drives JupyterLab in it)" && \
	  { apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; }; } || \
	  { echo "make test needs Debian's chromium for test-browser ($(CHROMIUM)): sudo apt-get install chromium" >&2; \
	    exit 1; }
CHROMIUM := /usr/bin/chromium

# The whole suite, as CI runs it (.ci/run): the main environment, Colab's, and JupyterLab in a browser.
# Each step fails on pytest's exit code 5 (no tests) too.
test: test-ready  ## maintainer: the whole suite, as CI runs it (.ci/run): test-main, test-colab, test-browser
	@for part in test-main test-colab test-browser; do \
	  start=$$(date +%s); $(MAKE) --no-print-directory $$part || exit 1; \
	  echo "=== $$part: $$(( $$(date +%s) - start )) s"; \
	done

# The mocked real path runs in test-colab, on Colab's packages with the GPU path on (make test-notebooks-real runs
# it here too); running it in both environments would take CI past its time budget.
# In make test, 05 and 06 run offline once in this environment: in JupyterLab (test-browser: every cell, no error
# and no stderr line at all, widgets live), so test-main's nbval pass leaves them out (neither has a compared
# output). make test-notebooks alone runs every notebook.
BROWSER_RUN := notebooks/05_train_the_new_head.ipynb notebooks/06_fine_tune.ipynb
# test-main's two parts, and test-colab's three, run two at a time (make -j2; each part's output is printed in one
# piece when it ends): one part alone leaves part of the 2 cores idle.
PARALLEL := $(MAKE) --no-print-directory -j2 --output-sync=target
TIMED = s=$$(date +%s); trap 'echo "=== $@: $$(( $$(date +%s) - s )) s"' EXIT;
test-main: $(STAMP)  ## maintainer: test-unit + test-notebooks in .venv (no Chromium, no Python 3.13 needed)
	$(PARALLEL) test-unit test-notebooks NBVAL_EXTRA="$(foreach nb,$(BROWSER_RUN),--deselect $(nb))"

test-unit: $(STAMP)  ## maintainer: pytest tests/ in .venv, two workers
	$(TIMED) $(BIN)/python -m pytest tests -q -n 2 --dist loadgroup --durations=5  # coverage: --cov=helpers

test-notebooks: $(STAMP)  ## maintainer: nbval over notebooks/, offline profile
	$(TIMED) COURSE_PROFILE=offline $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS) $(NBVAL_EXTRA) -q --durations=0

# The real (quick-profile) code path with the network boundary replaced (tests/harness.py): a smoke run.
test-notebooks-real: $(STAMP)  ## maintainer: nbval over notebooks/ on the real (quick) path, network mocked
	$(MOCK_REAL) $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS) -q --durations=0

# Colab's Python and packages (Python 3.13, TF 2.20, Keras 3.13, ipywidgets 7, ...) in their own venv, with Colab's
# pip (the setup cell installs with it), finished as the setup cell finishes a Colab runtime (scripts/colab_env.py);
# then the unit tests, and every notebook on the mocked real path with the GPU code path on (mixed precision), as a
# Colab learner on a GPU runs them.
$(COLAB_STAMP): requirements.txt requirements-test.txt pyproject.toml $(COLAB_CONSTRAINTS) scripts/colab_env.py
	@test -n "$(COLAB_PYTHON)" || { echo "$(NO_COLAB_PYTHON)" >&2; exit 1; }
	rm -rf $(COLAB_VENV)
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	@test "$$($(COLAB_BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = $(COLAB_PY) || \
	  { echo "$(COLAB_VENV) is not on Python $(COLAB_PY), Colab's: COLAB_PYTHON=$(COLAB_PYTHON)" >&2; exit 1; }
	$(COLAB_BIN)/python -m pip install --quiet uv
	$(COLAB_BIN)/python -m uv pip install --quiet --compile-bytecode --python $(COLAB_BIN)/python -c $(COLAB_CONSTRAINTS) \
	  pip -r requirements.txt -r requirements-test.txt
	$(COLAB_BIN)/python -m uv pip install --quiet --compile-bytecode --python $(COLAB_BIN)/python --no-deps -e .
	$(COLAB_BIN)/python -m scripts.colab_env
	touch $(COLAB_STAMP)

# The two notebooks whose asserts check what fine-tuning gains on the stand-ins also run offline here (issue 14).
COLAB_OFFLINE := notebooks/06_fine_tune.ipynb notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb

# Unit tests in Colab's environment: all but those that re-run whole exercise solutions (the mocked real notebooks
# below run them on Colab's packages), only read files (notebook JSON, data checksums) or need JupyterLab (not on Colab).
COLAB_UNIT_SKIP := --ignore=tests/exercises/test_wrong_answers.py --ignore=tests/exercises/test_snippets.py \
	--ignore=tests/test_notebooks.py --ignore=tests/test_benchmarks.py --ignore=tests/test_offline_assets.py \
	--ignore=tests/test_lab_settings.py

test-colab: $(COLAB_STAMP)  ## maintainer: Colab's Python and packages (.venv-colab): unit, mocked real, offline
	$(PARALLEL) test-colab-unit test-colab-mocked test-colab-offline

test-colab-unit: $(COLAB_STAMP)
	$(TIMED) $(COLAB_BIN)/python -m pytest tests -q -n 2 --durations=5 $(COLAB_UNIT_SKIP)

# 09's solution is the longest notebook there (float16 training on a CPU, see CONTRIBUTING.md): it goes first, so
# that one worker runs it while the other runs the rest.
COLAB_MOCKED_FIRST := $(NOTEBOOKS)/solutions/09_exercise_compare_with_scratch.ipynb
COLAB_MOCKED := $(COLAB_MOCKED_FIRST) $(filter-out $(COLAB_MOCKED_FIRST),$(sort $(wildcard $(NOTEBOOKS)/*.ipynb $(NOTEBOOKS)/solutions/*.ipynb)))
test-colab-mocked: $(COLAB_STAMP)
	$(TIMED) $(MOCK_REAL) COURSE_HARNESS_GPU=1 $(COLAB_BIN)/python -m pytest $(NBVAL) $(COLAB_MOCKED) -q --durations=0

test-colab-offline: $(COLAB_STAMP)
	$(TIMED) COURSE_PROFILE=offline $(COLAB_BIN)/python -m pytest $(NBVAL) $(COLAB_OFFLINE) -q --durations=0

# JupyterLab in Debian's Chromium (apt-get install chromium), driven by playwright: the notebooks with widgets.
BROWSER_STAMP := $(VENV)/.browser-installed
$(BROWSER_STAMP): $(STAMP) requirements-browser.txt
	$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-browser.txt
	touch $(BROWSER_STAMP)

test-browser: $(BROWSER_STAMP)  ## maintainer: JupyterLab in Debian's Chromium, driven by playwright
	COURSE_BROWSER=1 $(BIN)/python -m pytest tests/browser -q -n 2 --durations=0  # a JupyterLab per worker

# On a machine with internet: the notebooks against the real assets (slow; see CONTRIBUTING.md).
verify-real: $(STAMP)  ## maintainer: the notebooks against the real assets (needs internet; slow)
	COURSE_VERIFY_REAL=1 COURSE_PROFILE=quick $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS) -q --durations=0

# Workshops: download every real asset once into ASSETS (copy it to a USB stick), then run with
# COURSE_ASSETS=<that folder> and the network off. See docs/instructor-guide.md.
ASSETS ?= course-assets
prefetch: $(STAMP)  ## instructor: download every real asset into ASSETS=course-assets (for a room without network)
	$(BIN)/python -m scripts.prefetch $(ASSETS)

# Rebuild the offline stand-ins in data/ (datasets byte-identical; models within the tolerance in data/README.md).
assets: $(STAMP)  ## maintainer: rebuild the offline stand-ins in data/
	$(BIN)/python -m scripts.build_offline_assets
	$(BIN)/python -m scripts.build_keras_hub_preset  # notebook 12's KerasHub preset (about 4 min)

REAL_ASSETS ?= ../shared/real-assets
real-assets: $(STAMP)  ## maintainer: rebuild data/'s real photos and weights from REAL_ASSETS (a folder of genuine files)
	$(BIN)/python -m scripts.build_real_assets --source $(REAL_ASSETS)

# Every benchmark, printing its figures (each docstring says what it measures); none rewrites a stored result. Left
# out: benchmarks/notebook_times.py, which times one notebook after another into docs/timings.csv (run it on an idle
# machine, as CONTRIBUTING.md, "Add a notebook" says), and benchmarks/mixed_precision_cpu.py, which measures the
# Colab test environment's float16 path and rewrites its stored figure (.venv-colab/bin/python -m benchmarks.mixed_precision_cpu).
# transfer_gain takes about 20 min (data/README.md), exercise09_quick_budget about 11 (estimate: docs/timings.csv row 09);
# real_photos (the offline lessons' figures, stored in benchmarks/results/real_photos.json) about 15 min on an idle machine.
# layerwise_rates (notebook 12's figures, stored in benchmarks/results/layerwise_rates.json) about 10 min.
BENCHMARKS := transfer_gain real_photos flower_pairs input_pipeline cached_features decode_pipeline exercise09_quick_budget \
              layerwise_rates
benchmarks: $(STAMP)  ## maintainer: run every benchmark in benchmarks/ but two (the Makefile says which and why)
	@echo "left out: notebook_times (rewrites docs/timings.csv), mixed_precision_cpu (runs in .venv-colab)"
	for name in $(BENCHMARKS); do $(BIN)/python -m benchmarks.$$name || exit 1; done

# Strip notebook outputs (keeps the outputs of cells tagged nbval-check-output) and regenerate the student copies.
strip: $(STAMP)  ## maintainer: strip notebook outputs, regenerate the student copies
	$(BIN)/python -m scripts.make_student_notebooks
	$(BIN)/python -m scripts.nbtools strip

clean:  ## maintainer: remove build/ and pytest's cache
	rm -rf build .pytest_cache
