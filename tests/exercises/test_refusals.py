"""Issue 23's misleading refusals, each tried in the solution notebook's state: the sentence says what happened.

Same machinery as ``test_wrong_answers.py`` (its ``_try``); each case is also refused there in spirit, here the
words are the point.
"""
from __future__ import annotations

import pytest

from helpers.errors import CourseError
from test_snippets import on_one_worker
from test_wrong_answers import EVAL07, FIT07, FRESH_HEAD, LOAD, SCCE, TEST_F, TRAIN_F, _try

REFUSALS = [
    ("07", "q1", "base_model = " + LOAD.replace("include_top=False", "include_top=____"), "placeholder is still in the code"),
    ("07", "q1", "base_model = " + LOAD.replace(")", ', pooling="avg")') + "\nbase_model.trainable = False",
     "base_model is pooled"),
    ("07", "q3", "head = keras.Sequential([keras.Input(cfg.image_shape), keras.layers.GlobalAveragePooling2D(), "
     "keras.layers.Dense(splits.num_classes)])", "Its first layer must take that shape, e.g. keras.Input(("),
    ("07", "q4", FRESH_HEAD + "head.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy, "
     "metrics=['accuracy'])", "the loss is the class keras.losses.SparseCategoricalCrossentropy itself"),
    ("07", "q4", FRESH_HEAD + "model = keras.Sequential([keras.Input(cfg.image_shape), base_model, head])\n"
     f"model.compile(keras.optimizers.Adam(1e-3), {SCCE}, metrics=['accuracy'])",
     "you compiled `model`, but the model you train here is the head"),
    ("07", "q5", FIT07 + EVAL07.replace(TEST_F, TRAIN_F),
     "the training split"),
    ("08", "q2", f"model.compile(keras.optimizers.Adam(1e-8), {SCCE}, metrics=['accuracy'])",
     "too low for fine-tuning (at least 1e-07): the weights would barely move"),
]


@pytest.mark.parametrize("exercise, question_id, code, words",
                         [on_one_worker(*r, id=f"{r[0]}-{r[1]}-{i}") for i, r in enumerate(REFUSALS)])
def test_a_refusal_says_what_actually_happened(exercise, question_id, code, words):
    result, error = _try(exercise, question_id, code, [question_id] if exercise == "08" else None)
    assert result.status != "correct", f"accepted: {code!r}"
    shown = str(error) if error is not None else result.message
    assert error is None or isinstance(error, CourseError), f"raw {type(error).__name__}: {error}"
    assert words in shown, shown
    assert not any(misleading in shown for misleading in ("wreck", "before the training you just did",
                                                          "Exception encountered", "not a classification loss"))


def test_09_q3s_options_do_not_give_the_answer_away_by_length():
    from helpers.exercises.ex09 import ReadTheCurve

    lengths = {letter: len(text) for letter, text in ReadTheCurve.choices.items()}
    assert max(lengths.values()) <= 1.05 * min(lengths.values()), lengths
    assert lengths["b"] < max(lengths.values()), "the right option is not the longest"


def test_09_q1s_last_hint_builds_the_head_the_question_asks_for():
    from helpers.exercises.ex09 import ScratchModel

    code = ScratchModel.hints[-1].code
    assert "keras.layers.Dense(128" in code and "keras.layers.Dropout(" in code, code
