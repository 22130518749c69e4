# Transfer Learning & Fine-Tuning with TensorFlow: every command the README and CONTRIBUTING.md mention.
#   make lab      set up (first time) and open JupyterLab on notebooks/
#   make test     set up (first time) and run the whole test suite, as CI runs it (.ci/run)
PYTHON ?= python3
# The venvs are made by python -m venv (so pip is there, as for a learner); uv installs into them: the same
# packages as pip, faster (requirements-dev.txt into a new venv, on CI: 49-52 s with uv, 132 s with pip).
# --compile-bytecode as pip does: where PYTHONDONTWRITEBYTECODE is set (as on CI), every process would compile
# TensorFlow anew (the unit run then took 502 s instead of 315 s).
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -n 2 --dist loadfile
NOTEBOOKS := notebooks
MOCK_REAL := COURSE_PROFILE=quick COURSE_HARNESS=mock-real COURSE_SMOKE=1

# The second test environment: Colab's own package set (see CONTRIBUTING.md, "The Colab test environment").
COLAB_CONSTRAINTS := constraints/colab-2026-08-19.txt
COLAB_VENV  ?= .venv-colab
COLAB_BIN   := $(COLAB_VENV)/bin
COLAB_STAMP := $(COLAB_VENV)/.course-installed

.PHONY: setup lab course prefetch test test-main test-unit test-notebooks test-notebooks-real test-colab \
        test-colab-unit test-colab-mocked test-colab-offline \
        test-browser verify-real assets benchmarks strip clean

$(STAMP): requirements.txt requirements-test.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements-dev.txt -e .
	touch $(STAMP)

setup: $(STAMP)

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)  # containers often run as root

# The notebooks ask for the kernel "python3"; this JupyterLab is the .venv's, so its python3 is the course's.
lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) $(NOTEBOOKS)

# Execute every notebook headless; executed copies and HTML go to build/.
course: $(STAMP)
	mkdir -p build/executed build/html
	for nb in $(NOTEBOOKS)/[0-9]*.ipynb; do \
	  COURSE_HEADLESS=1 MPLBACKEND=Agg $(BIN)/jupyter nbconvert --to notebook --execute \
	    --ExecutePreprocessor.timeout=1800 --output-dir build/executed "$$nb" || exit 1; \
	done
	$(BIN)/jupyter nbconvert --to html --output-dir build/html build/executed/*.ipynb

# The whole suite, as CI runs it (.ci/run): the main environment, Colab's, and JupyterLab in a browser.
# Each step fails on pytest's exit code 5 (no tests) too.
test:
	@for part in test-main test-colab test-browser; do \
	  start=$$(date +%s); $(MAKE) --no-print-directory $$part || exit 1; \
	  echo "=== $$part: $$(( $$(date +%s) - start )) s"; \
	done

# The mocked real path runs in test-colab, on Colab's packages with the GPU path on (make test-notebooks-real runs
# it here too); running it in both environments would take CI past its 25 minutes.
# In make test, 05 and 06 run offline once in this environment: in JupyterLab (test-browser: every cell, no error
# and no stderr line at all, widgets live), so test-main's nbval pass leaves them out (neither has a compared
# output). make test-notebooks alone runs every notebook.
BROWSER_RUN := notebooks/05_train_the_new_head.ipynb notebooks/06_fine_tune.ipynb
# test-main's two parts, and test-colab's three, run two at a time (make -j2; each part's output is printed in one
# piece when it ends): one part alone leaves about a fifth of the 2 cores idle (the unit run: 1.55 cores busy).
PARALLEL := $(MAKE) --no-print-directory -j2 --output-sync=target
TIMED = s=$$(date +%s); trap 'echo "=== $@: $$(( $$(date +%s) - s )) s"' EXIT;
test-main: $(STAMP)
	$(PARALLEL) test-unit test-notebooks NBVAL_EXTRA="$(foreach nb,$(BROWSER_RUN),--deselect $(nb))"

test-unit: $(STAMP)
	$(TIMED) $(BIN)/python -m pytest tests -q -n 2 --dist loadgroup --durations=5  # coverage: --cov=helpers

test-notebooks: $(STAMP)
	$(TIMED) COURSE_PROFILE=offline $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS) $(NBVAL_EXTRA) -q --durations=0

# The real (quick-profile) code path with the network boundary replaced (tests/harness.py): a smoke run.
test-notebooks-real: $(STAMP)
	$(MOCK_REAL) $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS) -q --durations=0

# Colab's packages (TF 2.20, Keras 3.13, ipywidgets 7, ...) in their own venv, finished as the setup cell finishes
# a Colab runtime (scripts/colab_env.py); then the unit tests, and every notebook on the mocked real path with the
# GPU code path on (mixed precision), as a Colab learner on a GPU runs them.
$(COLAB_STAMP): requirements.txt requirements-test.txt pyproject.toml $(COLAB_CONSTRAINTS) scripts/colab_env.py
	rm -rf $(COLAB_VENV)
	$(PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_BIN)/python -m pip install --quiet uv
	$(COLAB_BIN)/python -m uv pip install --quiet --compile-bytecode --python $(COLAB_BIN)/python -c $(COLAB_CONSTRAINTS) \
	  -r requirements.txt -r requirements-test.txt
	$(COLAB_BIN)/python -m uv pip install --quiet --compile-bytecode --python $(COLAB_BIN)/python --no-deps -e .
	$(COLAB_BIN)/python scripts/colab_env.py
	touch $(COLAB_STAMP)

# The two notebooks whose asserts check what fine-tuning gains on the stand-ins also run offline here (issue 14).
COLAB_OFFLINE := notebooks/06_fine_tune.ipynb notebooks/solutions/08_exercise_vgg16_fine_tune.ipynb

# Unit tests in Colab's environment: all but those that re-run whole exercise solutions (the mocked real notebooks
# below run them on Colab's packages) or only read files (notebook JSON, data checksums).
COLAB_UNIT_SKIP := --ignore=tests/test_exercise_wrong_answers.py --ignore=tests/test_exercise_snippets.py \
	--ignore=tests/test_notebooks.py --ignore=tests/test_benchmarks.py --ignore=tests/test_offline_assets.py

test-colab: $(COLAB_STAMP)
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
test-browser: $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-browser.txt
	COURSE_BROWSER=1 $(BIN)/python -m pytest tests/browser -q -n 2 --durations=0  # a JupyterLab per worker

# On a machine with internet: the notebooks against the real assets (slow; see CONTRIBUTING.md).
verify-real: $(STAMP)
	COURSE_VERIFY_REAL=1 COURSE_PROFILE=quick $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS) -q --durations=0

# Workshops: download every real asset once into ASSETS (copy it to a USB stick), then run with
# COURSE_ASSETS=<that folder> and the network off. See docs/instructor-guide.md.
ASSETS ?= course-assets
prefetch: $(STAMP)
	$(BIN)/python scripts/prefetch.py $(ASSETS)

# Rebuild the offline stand-ins in data/ (datasets byte-identical; models within the tolerance in data/README.md).
assets: $(STAMP)
	$(BIN)/python scripts/build_offline_assets.py

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/transfer_gain.py
	$(BIN)/python benchmarks/input_pipeline.py
	$(BIN)/python benchmarks/cached_features.py

# Strip notebook outputs (keeps the outputs of cells tagged nbval-check-output) and regenerate the student copies.
strip: $(STAMP)
	$(BIN)/python scripts/make_student_notebooks.py
	$(BIN)/python scripts/nbtools.py strip

clean:
	rm -rf build .pytest_cache
