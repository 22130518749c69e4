"""Test-suite set-up shared by the unit tests (tests/) and nbval (notebooks/): see tests/harness.py."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import harness  # tests/harness.py: pyproject.toml puts tests/ on sys.path (pytest's pythonpath)
import output_check

REPO = Path(__file__).resolve().parent

VERIFY_REAL = os.environ.get("COURSE_VERIFY_REAL") == "1"  # make verify-real: real network, real caches


TMP = Path(tempfile.mkdtemp(prefix="course-tests-"))


def pytest_configure(config: pytest.Config) -> None:
    tmp = TMP
    os.environ.update(COURSE_REPO=str(REPO), MPLBACKEND="Agg", COURSE_HEADLESS="1",
                      COURSE_DETERMINISTIC="1", TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    if VERIFY_REAL:
        return
    os.environ.setdefault("COURSE_PROFILE", "offline")
    os.environ.setdefault("COURSE_HARNESS", "offline")
    os.environ.update(
        COURSE_NETLOG=str(tmp / "network-attempts.log"),
        COURSE_HARNESS_DIR=str(tmp / "harness"),
        COURSE_RESULTS_DIR=str(tmp / "results"),  # exercise results: never the learner's results/
        TFHUB_CACHE_DIR=str(tmp / "tfhub_modules"),  # never TF Hub's default /tmp/tfhub_modules
        KERAS_HOME=str(tmp / "keras"),
        TFDS_DATA_DIR=str(tmp / "tensorflow_datasets"),
        IPYTHONDIR=str(tmp / "ipython"),
    )
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    shutil.copy(REPO / "tests" / "ipython_startup" / "00_course_harness.py", startup)
    harness.install_network_guard()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    log = os.environ.get("COURSE_NETLOG")
    if log and Path(log).exists() and Path(log).read_text().strip():
        print(f"\nFAILED: the network was tried, or the harness broke, during the tests:\n{Path(log).read_text()}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(TMP, ignore_errors=True)


# --------------------------------------------------------------------- notebook kernels as JupyterLab's
def _start_kernel_like_jupyterlab() -> None:
    """Start nbval's kernels without pytest's PYTEST_CURRENT_TEST in their environment.

    ipykernel stops forwarding what is written to file descriptor 2 (TensorFlow's C++ log lines, for one) when
    it finds that variable (ipykernel/iostream.py: "Pytest set its own capture"). JupyterLab's kernels do
    forward it, so without this the tests would not see what a learner sees.
    """
    try:
        import nbval.kernel
    except ImportError:  # pragma: no cover - nbval is in requirements-test.txt
        return
    start = nbval.kernel.start_new_kernel
    if getattr(start, "_like_jupyterlab", False):
        return

    def start_new_kernel(*args, **kwargs):
        kwargs["env"] = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        return start(*args, **kwargs)

    start_new_kernel._like_jupyterlab = True
    nbval.kernel.start_new_kernel = start_new_kernel


_start_kernel_like_jupyterlab()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Fail a notebook cell that prints to stderr anything tests/output_check.py does not allow."""
    result = yield
    outputs = getattr(item, "test_outputs", None)
    if outputs:
        unexpected = output_check.unexpected_stderr(outputs)
        if unexpected:
            pytest.fail("the cell printed to stderr (a learner sees this in pink):\n  " + "\n  ".join(unexpected),
                        pytrace=False)
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """nbval compares a tagged cell's stdout and results, not its stderr: pytest_runtest_call above judges stderr
    (tests/output_check.py's allow-list), so that a test-only log line (e.g. op determinism's) fails no check cell."""
    for notebook in {id(item.parent): item.parent for item in items if hasattr(item.parent, "skip_compare")}.values():
        if "stderr" not in notebook.skip_compare:
            notebook.skip_compare = (*notebook.skip_compare, "stderr")
