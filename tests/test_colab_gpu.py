"""Colab and GPU handling, tested without Colab and without a GPU.

The Colab badge and setup cell of every notebook, what the setup cell runs in and out of Colab, mixed
precision on a (pretend) GPU, the out-of-memory message in an IPython shell, and determinism in tests only.
HubLayer's float32 under mixed precision is in test_models.py.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import types
from pathlib import Path

from typing import Any

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf
from IPython.core.inputtransformer2 import TransformerManager

from helpers import config, runtime
from helpers.models import restart_training

from scripts import nbtools

REPO = Path(__file__).resolve().parent.parent

NOTEBOOKS = nbtools.notebook_paths()
GITHUB_PATH = config.REPO_URL.removeprefix("https://github.com/")
NEVER_INSTALLED = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tf-nightly", "keras", "keras-nightly"}

pytestmark = pytest.mark.usefixtures("fresh_profile")


# ---------------------------------------------------------------- badge and setup cell
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_badge_opens_this_very_notebook_from_the_configured_repository(path):
    first_cell = nbformat.read(path, as_version=4).cells[0].source
    links = re.findall(r"\]\((https://colab\.research\.google\.com/github/[^)]+)\)", first_cell)
    assert len(links) == 1, "one Open-in-Colab badge in the title cell"
    prefix = f"https://colab.research.google.com/github/{GITHUB_PATH}/blob/main/"
    assert links[0].startswith(prefix)
    assert links[0].removeprefix(prefix) == path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_clones_the_configured_repository(path):
    setup_cell = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert f"!git clone --quiet --depth 1 {config.REPO_URL} /content/course" in setup_cell.source
    assert "/dev/null" not in setup_cell.source and "|| true" not in setup_cell.source, "a failure must show"


def test_repository_url_is_written_in_one_place_only():
    code = [p for p in (*REPO.glob("helpers/*.py"), *REPO.glob("scripts/*.py"), REPO / "Makefile") if p.is_file()]
    holders = [p.relative_to(REPO).as_posix() for p in code if config.REPO_URL in p.read_text(encoding="utf8")]
    assert holders == ["helpers/config.py"]


class FakeShell:
    """Just enough of IPython for the setup cell's ``!git clone``: records the shell commands.

    ``clone_works`` says whether the clone leaves a course folder behind (the setup cell looks for it).
    """

    def __init__(self, clone_works: bool = True) -> None:
        self.commands: list[str] = []
        self.clone_works = clone_works
        self.cloned = False

    def system(self, command: str) -> None:
        self.commands.append(command)
        self.cloned = self.cloned or self.clone_works


def fake_run(runs: list[list[str]], returncode: int = 0, stderr: str = ""):
    """A stand-in for subprocess.run that records each command and answers with ``returncode``."""
    def run(args, **kwargs):
        runs.append(list(args))
        return subprocess.CompletedProcess(args, returncode, "", stderr)
    return run


def pip_installs(runs: list[list[str]]) -> list[list[str]]:
    return [r for r in runs if r[1:4] == ["-m", "pip", "install"]]


def run_setup_cell(monkeypatch: pytest.MonkeyPatch, clone_works: bool = True, cloned_before: bool = False
                   ) -> tuple[dict, FakeShell, list[list[str]]]:
    """Execute the notebooks' setup cell as IPython would; return its namespace, shell commands and pip calls."""
    import os

    python = TransformerManager().transform_cell(nbtools.setup_cell_source())  # "!cmd" -> get_ipython().system
    shell, runs = FakeShell(clone_works), []
    shell.cloned = cloned_before
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: shell.cloned if str(p) == f"{nbtools.COLAB_CLONE}/helpers"
                        else real_isdir(p))
    monkeypatch.setattr(subprocess, "run", fake_run(runs))
    monkeypatch.setattr(sys, "path", list(sys.path))  # the cell may prepend the clone
    namespace = {"get_ipython": lambda: shell}
    exec(compile(python, "setup-cell", "exec"), namespace)
    return namespace, shell, runs


def test_outside_colab_the_setup_cell_installs_nothing(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setenv("COURSE_PROFILE", "offline")
    namespace, shell, runs = run_setup_cell(monkeypatch)
    assert shell.commands == [] and runs == []
    assert "/content/course" not in sys.path
    assert namespace["cfg"] is config.PROFILES["offline"]
    assert "Profile: OFFLINE" in capsys.readouterr().out


def _package_name(requirement: str) -> str:
    return re.split(r"[=<>~!\[ ;]", requirement)[0].lower()


def _colab_lacks_every_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend to be in a Colab that has none of COLAB_EXTRAS: the most pip can be asked to install."""
    import importlib.util

    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name in runtime.COLAB_EXTRAS else real_find_spec(name, *a))


def test_in_colab_the_setup_cell_clones_the_course_and_installs_only_what_is_missing(monkeypatch):
    _colab_lacks_every_extra(monkeypatch)
    _, shell, runs = run_setup_cell(monkeypatch)
    assert len(shell.commands) == 1 and f"git clone --quiet --depth 1 {config.REPO_URL} /content/course" in \
        shell.commands[0]
    assert sys.path[0] == "/content/course", "the clone (data/, solutions/) is importable"
    assert "git+" not in nbtools.setup_cell_source(), "a pip install of the repo would leave data/ behind"
    (pip,) = pip_installs(runs)
    packages = [arg for arg in pip[4:] if not arg.startswith("-")]
    assert {_package_name(p) for p in packages} == set(runtime.COLAB_EXTRAS.values())
    assert not {_package_name(p) for p in packages} & NEVER_INSTALLED


def test_in_colab_a_failed_clone_stops_the_notebook_with_one_sentence_that_names_the_fix(monkeypatch):
    from IPython.core.error import UsageError

    _colab_lacks_every_extra(monkeypatch)
    with pytest.raises(UsageError, match="check this runtime's internet, then run this cell again"):
        run_setup_cell(monkeypatch, clone_works=False)


def test_in_colab_a_second_run_of_the_setup_cell_does_not_clone_again(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setenv("COURSE_PROFILE", "offline")
    _, shell, _ = run_setup_cell(monkeypatch, cloned_before=True)
    assert shell.commands == [] and sys.path[0] == "/content/course"


def test_a_usage_error_shows_as_one_line_without_a_traceback(ipython_shell, capsys):
    ipython_shell.run_cell(f"from IPython.core.error import UsageError\nraise UsageError({nbtools.CLONE_FAILED!r})")
    text = "".join(capsys.readouterr())
    assert f"UsageError: {nbtools.CLONE_FAILED}" in text
    assert "Traceback" not in text and "---->" not in text


def test_in_colab_tf_keras_is_pinned_to_colabs_tensorflow_so_pip_keeps_it(monkeypatch):
    _colab_lacks_every_extra(monkeypatch)
    runs = []
    monkeypatch.setattr(subprocess, "run", fake_run(runs))
    runtime.colab_install()
    minor = ".".join(tf.__version__.split(".")[:2])
    (tf_keras,) = [arg for arg in runs[0] if _package_name(arg) == "tf-keras"]
    assert tf_keras in (f"tf-keras=={minor}.*", f"tf-keras~={minor}.0")


def test_colab_install_installs_nothing_when_colab_has_everything(monkeypatch):
    runs = []
    monkeypatch.setattr(subprocess, "run", fake_run(runs))
    assert runtime.colab_install() == [] and runs == []  # this environment has every extra


def test_setuptools_is_capped_below_81_while_tensorflow_hub_imports_its_pkg_resources():
    """setuptools 81 removed ``pkg_resources``; a venv on Python 3.12+ (Colab's is 3.13) has no setuptools of its
    own, and TensorFlow asks for any, so without the cap a fresh 3.13 install breaks ``import tensorflow_hub``."""
    hub_init = Path(importlib.util.find_spec("tensorflow_hub").origin).read_text(encoding="utf8")
    assert "from pkg_resources import" in hub_init, "tensorflow_hub no longer needs pkg_resources: lift the cap"
    (cap,) = [line for line in (REPO / "requirements.txt").read_text(encoding="utf8").splitlines()
              if line.startswith("setuptools")]
    assert re.match(r"setuptools\s*<\s*81\b", cap), cap
    assert int(importlib.metadata.version("setuptools").split(".")[0]) < 81
    assert importlib.util.find_spec("pkg_resources") is not None


# ---------------------------------------------------------------- GPU: mixed precision, banner
def _setup(monkeypatch, profile: str, gpu: bool) -> config.Profile:
    monkeypatch.setenv("COURSE_PROFILE", profile)
    monkeypatch.setattr(runtime, "gpu_available", lambda: gpu)
    return config.setup(quiet=True)


def test_real_profile_on_a_gpu_turns_mixed_precision_on_and_says_so(monkeypatch):
    _setup(monkeypatch, "quick", gpu=True)
    try:
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        assert "GPU: yes; mixed precision on" in config.banner(config.resolve_profile())
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("profile, gpu", [("quick", False), ("offline", True)])
def test_mixed_precision_stays_off_without_a_gpu_or_offline(monkeypatch, profile, gpu):
    _setup(monkeypatch, profile, gpu)
    assert keras.mixed_precision.global_policy().name == "float32"


def test_without_a_gpu_the_banner_says_how_to_get_one_in_colab(monkeypatch):
    _setup(monkeypatch, "quick", gpu=False)
    assert "GPU: none" in config.banner(config.resolve_profile())
    assert "In Colab: Runtime > Change runtime type > T4 GPU" in config.banner(config.resolve_profile())


def test_a_float32_last_layer_gives_float32_outputs_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        def head(**last):
            return keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(1, **last)])
        assert head()(tf.zeros((2, 8))).dtype == "float16", "without it the logits are float16"
        assert head(dtype="float32")(tf.zeros((2, 8))).dtype == "float32"
    finally:
        keras.mixed_precision.set_global_policy("float32")


# ---------------------------------------------------------------- out of memory in a notebook
@pytest.fixture
def ipython_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    settings = Config()
    settings.HistoryManager.enabled = False  # no history database to write at exit
    shell = InteractiveShell.instance(config=settings)
    yield shell
    InteractiveShell.clear_instance()


def test_out_of_memory_in_a_notebook_says_lower_the_batch_size_without_a_traceback(
        monkeypatch, ipython_shell, capsys):
    _setup(monkeypatch, "quick", gpu=True)  # registers the handler with the running shell
    keras.mixed_precision.set_global_policy("float32")
    result = ipython_shell.run_cell(
        "import tensorflow as tf\n"
        "raise tf.errors.ResourceExhaustedError(None, None, 'OOM when allocating tensor with shape[32,1280,7,7]')")
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert isinstance(result.error_in_exec, tf.errors.ResourceExhaustedError)
    assert "Lower the batch size" in text and "batch_size=16" in text and "32 images of 128 px" in text
    assert "OOM when allocating tensor" in text, "TensorFlow's own first line is kept, shortened"
    assert "Traceback" not in text and "---->" not in text


def test_other_errors_in_a_notebook_keep_their_traceback(monkeypatch, ipython_shell, capsys):
    _setup(monkeypatch, "quick", gpu=False)
    ipython_shell.run_cell("raise ValueError('a bug in the cell')")
    text = "".join(capsys.readouterr())
    assert "ValueError" in text and "Traceback" in text and "Lower the batch size" not in text


# ---------------------------------------------------------------- determinism: tests only
@pytest.mark.parametrize("value, expected", [(None, False), ("0", False), ("1", True)])
def test_op_determinism_is_enabled_only_when_course_deterministic_is_1(monkeypatch, value, expected):
    from tensorflow.python.framework import config as tf_config

    was_enabled = tf_config.is_op_determinism_enabled()
    tf_config.disable_op_determinism()
    try:
        if value is None:
            monkeypatch.delenv("COURSE_DETERMINISTIC", raising=False)
        else:
            monkeypatch.setenv("COURSE_DETERMINISTIC", value)
        _setup(monkeypatch, "offline", gpu=False)
        assert tf_config.is_op_determinism_enabled() is expected
    finally:
        (tf_config.enable_op_determinism if was_enabled else tf_config.disable_op_determinism)()


# ---------------------------------------------------------------- the GPU code path on a CPU (make test-colab)
def _regression(seed: int = 0) -> tuple[keras.Model, Any, Any]:
    """A small regression model with a float32 output layer, and its data."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(1, dtype="float32")])
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    x = np.random.default_rng(seed).normal(size=(64, 4)).astype("float32")
    return model, x, x.sum(axis=1, keepdims=True)


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_restart_training_keeps_the_loss_scale_so_training_resumes_under_mixed_precision(mixed_precision):
    model, x, y = _regression()
    start = model.get_weights()
    first = model.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0).history["loss"]
    restart_training(model, start)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert float(model.optimizer.dynamic_scale) == model.optimizer.initial_scale
    again = model.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0).history["loss"]
    assert all(np.isfinite(again)) and again[-1] < again[0]
    np.testing.assert_allclose(again, first, rtol=1e-3)  # the same start and state: the same run again
    assert all(np.isfinite(w).all() for w in model.get_weights())


def _old_restart_training(model: keras.Model, weights: list) -> None:
    """restart_training as it was before 2026-12-01: every optimizer variable but the learning rate zeroed."""
    model.set_weights(weights)
    for variable in model.optimizer.variables:
        if "learning_rate" not in variable.path:
            variable.assign(tf.zeros(variable.shape, variable.dtype))


def test_the_harness_fails_a_fit_whose_loss_turns_nan_as_the_old_restart_training_made_it(
        mixed_precision, monkeypatch):
    import harness

    monkeypatch.setattr(keras.Model, "fit", keras.Model.fit)  # the guard's patch is undone after the test
    harness.guard_finite_losses()
    model, x, y = _regression()
    start = model.get_weights()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # guarded, and fine
    _old_restart_training(model, start)
    with pytest.raises(harness.NonFiniteLoss, match="loss is nan"):
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)


def test_the_harness_leaves_a_fit_alone_that_stops_itself_on_nan(monkeypatch):
    """09's learning-rate grid may diverge at its highest rate: it brings TerminateOnNaN and handles the NaN."""
    import harness

    monkeypatch.setattr(keras.Model, "fit", keras.Model.fit)
    harness.guard_finite_losses()
    model, x, y = _regression()
    model.optimizer.learning_rate.assign(1e6)  # diverges at once
    with pytest.raises(harness.NonFiniteLoss):
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    model, x, y = _regression()  # a fresh start: the same divergence, with the fit handling it
    model.optimizer.learning_rate.assign(1e6)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert not np.isfinite(history.history["loss"][-1])


def test_with_the_simulated_gpu_setup_turns_mixed_precision_on_and_the_banner_says_simulated(monkeypatch):
    monkeypatch.setenv("COURSE_HARNESS_GPU", "1")
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    try:
        config.setup(quiet=True)
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        assert "GPU: yes (SIMULATED by the test harness" in config.banner(config.resolve_profile())
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_setup_again_without_a_gpu_puts_float32_back(monkeypatch):
    _setup(monkeypatch, "quick", gpu=True)
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    monkeypatch.setattr(config, "_RESOLVED", None)  # a new kernel, or the profile decided again
    _setup(monkeypatch, "quick", gpu=False)
    assert keras.mixed_precision.global_policy().name == "float32"
