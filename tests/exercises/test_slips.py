"""The five common Keras slips in an exercise cell show as one course sentence; other errors in full (issue 23)."""
from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from helpers.exercises import slips


@pytest.fixture
def shell():
    settings = Config()
    settings.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=settings)
    shell.run_cell("import keras\nfrom helpers.exercises import ____\nfrom helpers.exercises import slips\n"
                   "slips.install()")
    yield shell
    InteractiveShell.clear_instance()


def _run(shell, code, capsys) -> str:
    capsys.readouterr()
    shell.run_cell(code)
    return "".join(capsys.readouterr())


@pytest.mark.parametrize("code, sentence", [
    ("keras.Sequential([keras.Input((4,)), keras.layers.Dense])",
     "keras.layers.Dense is a layer class: a model needs a layer made from it, keras.layers.Dense(...)"),
    ("m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\nm.compile(optimizer=keras.optimizers.Adam, "
     "loss='mse')", "optimizer=keras.optimizers.Adam is the optimizer class: pass an optimizer made from it"),
    ("m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\nm.compile(optimizer='adam', loss='mse', "
     "metrics='accuracy')", "metrics takes a list: metrics=[\"accuracy\"]"),
    ("preprocess = keras.applications.vgg16.preprocess_input()",
     "preprocess_input() was called with no images: to give the function itself to the pipeline, leave out"),
    ("base_model = ____\nbase_model.trainable = False", "a ____ placeholder is still in the code this cell runs"),
])
def test_a_common_keras_slip_shows_one_course_sentence_naming_the_fix(shell, capsys, code, sentence):
    shown = _run(shell, code, capsys)
    assert sentence in shown, shown
    assert "Traceback" not in shown and "---->" not in shown and len(shown.strip().splitlines()) == 1, shown


@pytest.mark.parametrize("code, words", [
    ("int('seven')", "invalid literal for int()"),
    ("keras.layers.Dense(-3)", "units"),
    ("def f(x): return x\nf()", "missing 1 required positional argument: 'x'"),
])
def test_a_learners_other_errors_still_show_in_full(shell, capsys, code, words):
    shown = _run(shell, code, capsys)
    assert words in shown and ("Traceback" in shown or "---->" in shown or "Cell In" in shown), shown


def test_an_earlier_course_handler_keeps_its_exceptions(capsys):
    settings = Config()
    settings.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=settings)
    try:
        shell.set_custom_exc((KeyError,), lambda self, *a, **k: print("the earlier handler") or [])
        slips.install()
        slips.install()  # a second questions() call does not wrap it twice
        assert _run(shell, "{}['x']", capsys).strip() == "the earlier handler"
        assert "metrics takes a list" in _run(
            shell, "raise ValueError('Expected `metrics` argument to be a list, tuple, or dict. Received instead: "
                   "metrics=accuracy of type str')", capsys)
    finally:
        InteractiveShell.clear_instance()
