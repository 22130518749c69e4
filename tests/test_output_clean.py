"""A learner's screen is clean: the course prints nothing to stderr, and the learner's own messages still show.

These run small notebooks with nbclient in a kernel started the way JupyterLab starts one (no pytest variables in
its environment, so ipykernel forwards what TensorFlow's C++ code writes to file descriptor 2). The course's own
notebooks get the same check on every cell through ``conftest.py`` (``tests/output_check.py``).
"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from output_check import unexpected_stderr
from scripts import nbtools

REPO = Path(__file__).resolve().parent.parent


def run_like_jupyterlab(*cells: str) -> list[list[dict]]:
    """Execute ``cells`` in a fresh kernel (offline profile) and return each cell's outputs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(COURSE_PROFILE="offline", COURSE_HEADLESS="1")
    NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=False,
                   resources={"metadata": {"path": str(REPO / "notebooks")}}).execute(env=env)
    return [[dict(o) for o in cell.outputs] for cell in nb.cells]


def stderr(outputs: list[dict]) -> str:
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")


LEARNER_CELL = """
import os, sys, warnings
import keras
warnings.warn("the learner's own warning")
print("the learner's own stderr line", file=sys.stderr)
os.write(2, b"a C-level line of the learner's\\n")
keras.layers.Dense(3, input_shape=(4,))  # Keras warns about input_shape: a warning the course did not cause
"""


def test_setup_cell_prints_the_banner_and_nothing_else_while_the_learners_own_messages_still_show():
    setup, learner = run_like_jupyterlab(nbtools.setup_cell_source(), LEARNER_CELL)
    assert stderr(setup) == "" and unexpected_stderr(setup) == []
    assert "Profile: OFFLINE" in "".join(o.get("text", "") for o in setup)
    shown = stderr(learner)
    for line in ("the learner's own warning", "the learner's own stderr line", "a C-level line of the learner's",
                 "input_shape"):
        assert line in shown, f"{line!r} was hidden"


def test_without_the_course_tensorflow_prints_its_start_up_lines_in_such_a_kernel():
    """The control: the kernel does forward TensorFlow's C++ lines, so the clean setup cell above means something."""
    (outputs,) = run_like_jupyterlab("import tensorflow as tf\ntf.config.list_physical_devices()")
    if "cuda" not in stderr(outputs).lower() and "onednn" not in stderr(outputs).lower():
        pytest.skip("this TensorFlow build prints no start-up lines here")
    assert unexpected_stderr(outputs), "the allow-list must not cover TensorFlow's start-up lines"
