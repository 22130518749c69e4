"""What a notebook may print to stderr under the test suite: nothing, except the short allow-list below.

``conftest.py`` applies :func:`unexpected_stderr` to every cell nbval runs (offline, mocked real, Colab's
environment), in kernels started the way JupyterLab starts them, so that what a learner would see in pink is
what the tests see. A learner's own warnings and errors are not touched by the course (see
``tests/test_output_clean.py``); this list is only about what the course's own cells may print.
"""
from __future__ import annotations

import os
import re

ALLOWED: list[tuple[str, str, str]] = [
    # (condition, regular expression, why it is allowed)
    ("smoke", r"`input_shape` is undefined or non-square, or `rows` is not in \[96, 128, 160, 192, 224\]",
     "keras.applications with ImageNet weights at the smoke run's 32 px; quick (128 px) and full (224 px) are "
     "sizes it has weights for, so a learner never sees it"),
    ("smoke", r"out of the last \d+ calls to <function TensorFlowTrainer\._make_function\.<locals>\."
              r"multi_step_on_iterator at 0x[0-9a-f]+> triggered tf\.function retracing",
     "09's learning-rate grid on the smoke run's few mock images in batches of 8: every fit ends on another "
     "partial batch; at quick's sizes (benchmarks/exercise09_quick_budget.py) and offline it does not print"),
    ("mock-real", r"Variant folder .* has no dataset_info\.json",
     "tfds.testing.mock_data, which the mocked real run uses instead of the real datasets, reads no metadata"),
    ("mock-real", r"`TensorInfo\.dtype` is deprecated",
     "the same tfds mock builds its fake examples with an API tfds 4.9 deprecates; real loads do not use it"),
    ("deterministic", r"node_def_util\.cc:\d+\] NodeDef mentions attribute use_unbounded_threadpool which is not in "
                      r"the op definition: Op<name=MapDataset",
     "tests only: op determinism (COURSE_DETERMINISTIC=1, for reproducible test runs) turns tf.data's parallel map "
     "into a sequential one and TensorFlow 2.21 logs the rewrite; a learner's run never enables it"),
    ("tensorflow-2.20", r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR",
     "TensorFlow 2.20 (Colab's) prints it before its first C++ warning in notebook 11's distributed runs, "
     "TF_CPP_MIN_LOG_LEVEL=2 notwithstanding; 2.21 does not: a Colab learner sees it there"),
    ("tensorflow-2.20", r"auto_shard\.cc:\d+\] The `assert_cardinality` transformation is currently not handled by "
                        r"the auto-shard rewrite",
     "the same C++ warning from tf.data's auto-sharding of the TFRecord stream under MirroredStrategy, TF 2.20 only"),
    ("simulated-gpu", r"oneDNN supports DT_HALF only on platforms with AVX-512",
     "float16 maths on a CPU, which only the harness's simulated GPU does; a real GPU never prints it"),
]


def _conditions() -> set[str]:
    active = set()
    if os.environ.get("COURSE_SMOKE") == "1":
        active.add("smoke")
    if os.environ.get("COURSE_HARNESS") == "mock-real":
        active.add("mock-real")
    if os.environ.get("COURSE_DETERMINISTIC") == "1":
        active.add("deterministic")
    if os.environ.get("COURSE_HARNESS_GPU") == "1":
        active.add("simulated-gpu")
    from importlib.metadata import version

    if version("tensorflow").startswith("2.20."):
        active.add("tensorflow-2.20")
    return active


def unexpected_stderr(outputs: list[dict]) -> list[str]:
    """The stderr lines among a cell's outputs that the allow-list does not cover (warnings print there too)."""
    active = _conditions()
    patterns = [re.compile(rx) for condition, rx, _ in ALLOWED if condition in active]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
    lines = [line for line in text.splitlines() if line.strip()]
    flagged = [i for i, line in enumerate(lines) if not any(p.search(line) for p in patterns)]
    # a warning's second line (the source line it points at) goes with its first line
    return [lines[i] for i in flagged if not (i > 0 and i - 1 not in flagged and lines[i].startswith("  "))]
