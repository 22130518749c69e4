# Transfer Learning & Fine-Tuning with TensorFlow: every command the README and CONTRIBUTING.md mention.
#   make lab      set up (first time) and open JupyterLab on notebooks/
#   make test     set up (first time) and run the whole test suite (unit tests + nbval, offline + mocked real)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -n 2 --dist loadfile
NOTEBOOKS := notebooks

.PHONY: setup lab course prefetch test test-unit test-notebooks test-notebooks-real verify-real assets \
        benchmarks strip student-notebooks clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e .
	$(BIN)/python -m ipykernel install --user --name tl-course --display-name "Python (transfer-learning course)"
	touch $(STAMP)

setup: $(STAMP)

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)  # containers often run as root

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

# The whole suite, as CI runs it (.ci/run). Each step fails on pytest's exit code 5 (no tests) too.
test: $(STAMP) test-unit test-notebooks test-notebooks-real

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests -q --durations=5 --cov=helpers --cov-report=term

test-notebooks: $(STAMP)
	COURSE_PROFILE=offline $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS) -q --durations=0

# The real (quick-profile) code path with the network boundary replaced (tests/harness.py): a smoke run.
test-notebooks-real: $(STAMP)
	COURSE_PROFILE=quick COURSE_HARNESS=mock-real COURSE_SMOKE=1 \
	  $(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS) -q --durations=0

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
