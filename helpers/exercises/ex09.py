"""Exercise 09's questions: VGG16 from scratch, trained at the learning rate validation chose; the curve.

The from-scratch side's budget (``scratch_plan``) is a lesson helper: it lives in ``helpers/models.py``."""
from __future__ import annotations

from typing import Any

import numpy as np

from helpers.exercises.framework import Context, Hint, Question
from helpers.exercises.judges import (a_type, contains, has_random_first_conv, judge_compiled, judge_outputs, layer,
                                      not_a_model)
from helpers.exercises.run_judges import judge_accuracy, judge_fit

NOTEBOOK = "09_exercise_compare_with_scratch"
FIT = "scratch_model.fit(train_ds, validation_data=val_ds, epochs=budget)"

class ScratchModel(Question):
    notebook, id, names = NOTEBOOK, "q1", ("scratch_model",)
    task = "the same VGG16 + head, from random weights (weights=None), all trainable, compiled"
    hints = (
        Hint("Same architecture as exercise 07, nothing pre-trained: which `weights` does load_base take? Build a "
             "new base and a new head: base_model and head are the pre-trained side's."),
        Hint("weights=None gives random weights. Nothing may be frozen: a frozen random layer never learns. "
             "Compile it like the head in 07; the grid below sets the learning rate."),
        Hint("A new base, a new head, compiled:",
             "scratch_base = load_base(\"vgg16\", weights=None, include_top=False, input_shape=cfg.image_shape)\n"
             "scratch_model = keras.Sequential([keras.Input(cfg.image_shape), scratch_base,\n"
             "                                  keras.layers.GlobalAveragePooling2D(),\n"
             "                                  keras.layers.Dense(128, activation=\"relu\"),\n"
             "                                  keras.layers.Dropout(0.2),\n"
             "                                  keras.layers.Dense(splits.num_classes, dtype=\"float32\")])\n"
             "scratch_model.compile(optimizer=keras.optimizers.Adam(cfg.head_learning_rate),\n"
             "                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
             "                      metrics=[\"accuracy\"])"),
    )
    correct = "VGG16 from random weights, everything trainable."

    def judge(self, ctx: Context, scratch_model: Any) -> str | None:
        problem = not_a_model(scratch_model, "scratch_model", "a Keras model")
        if problem:
            return problem
        if layer(scratch_model, "block5_conv3") is None:
            return "scratch_model does not contain VGG16: build it on load_base(\"vgg16\", weights=None, ...)."
        base, head = ctx.get("base_model"), ctx.get("head")
        if contains(scratch_model, base):
            return ("scratch_model contains base_model, the pre-trained base: load a new one with weights=None.")
        if contains(scratch_model, head):
            return ("scratch_model reuses `head`, the head trained on pre-trained features (and retrained by the "
                    "curve below): give it a new head with the same layers.")
        conv, reference = layer(scratch_model, "block1_conv1"), layer(base, "block1_conv1") if base else None
        if reference is not None and np.array_equal(np.asarray(conv.kernel), np.asarray(reference.kernel)):
            return "scratch_model starts from pre-trained weights: load the base with weights=None."
        if reference is None and not has_random_first_conv(scratch_model) and not ctx.smoke:
            optimizer = getattr(scratch_model, "optimizer", None)
            if optimizer is None or int(optimizer.iterations) == 0:
                return "scratch_model starts from pre-trained weights: load the base with weights=None."
        frozen = len(scratch_model.weights) - len(scratch_model.trainable_weights)
        if frozen:
            return (f"part of scratch_model is frozen ({frozen} weight tensors): random weights that never train "
                    "stay random. Leave everything trainable.")
        problem, outputs = judge_outputs(scratch_model, ctx.profile.image_shape, ctx, "scratch_model", takes="images")
        if problem:
            return problem
        if not getattr(scratch_model, "compiled", False):
            return "scratch_model is not compiled: compile it like the head in 07 (the grid below sets the rate)."
        return judge_compiled(scratch_model, outputs, ctx, "scratch_model", lr_range=(1e-5, 1e-1))


class TrainScratch(Question):
    notebook, id, names = NOTEBOOK, "q2", ("history_scratch", "scratch_accuracy")
    task = ("scratch_model trained from initial_weights at best_lr for the budget (history_scratch) and its test "
            "accuracy (scratch_accuracy)")
    hints = (
        Hint("Start again from the random initial weights (the grid left the last rate's weights in the model), "
             "at the learning rate validation chose, then train on train_ds for `budget` epochs."),
        Hint("restart_training(scratch_model, initial_weights) restores the weights and a fresh optimizer; "
             "scratch_model.optimizer.learning_rate.assign(best_lr) sets the rate without compiling again."),
        Hint("Restart, set the rate, train, test once:",
             "restart_training(scratch_model, initial_weights)\n"
             "scratch_model.optimizer.learning_rate.assign(best_lr)\n"
             "history_scratch = scratch_model.fit(train_ds, validation_data=val_ds, epochs=budget,"
             " verbose=0)\n"
             "scratch_loss, scratch_accuracy = scratch_model.evaluate(test_ds, verbose=0)"),
    )
    correct = "trained from scratch at the rate validation chose, on the same budget, tested once."

    def judge(self, ctx: Context, history_scratch: Any, scratch_accuracy: Any) -> str | None:
        problem, record = judge_fit(history_scratch, "history_scratch", ctx, "scratch_model", FIT)
        if problem:
            return problem
        budget = ctx.profile.head_epochs + ctx.profile.fine_tune_epochs
        if history_scratch.epoch != list(range(budget)):
            return (f"history_scratch ran {len(history_scratch.epoch)} epoch(s) from epoch "
                    f"{history_scratch.epoch[0]}: the same budget as the pre-trained runs is epochs=budget "
                    f"({budget}), from epoch 0.")
        initial = ctx.get("initial_weights")
        if initial is not None and not record.starts_from(initial):
            return ("scratch_model did not start from initial_weights (it held the weights of an earlier run): "
                    "restart_training(scratch_model, initial_weights) before fit.")
        best = ctx.get("best_lr")
        if best is not None and record.learning_rate is not None and not np.isclose(record.learning_rate, best):
            return (f"this run trained at learning rate {record.learning_rate:g}, but validation chose best_lr = "
                    f"{best:g}: scratch_model.optimizer.learning_rate.assign(best_lr) before fit.")
        return judge_accuracy(scratch_accuracy, "scratch_accuracy", ctx, "scratch_model",
                              "scratch_model.evaluate(test_ds)", after=record, judge_level=False)


class ReadTheCurve(Question):
    notebook, id, names = NOTEBOOK, "q3", ("curve_answer",)
    task = ("the letter of the statement the data-efficiency curve supports (curve_answer), once q1 and q2 are "
            "done and the curve cell has drawn it")
    choices = {
        "a": "Training from scratch catches up with the pre-trained base once it gets half of the training images.",
        "b": "The pre-trained base is ahead at every size; from random weights, VGG16 learns far less from them.",
        "c": "With the fewest training images, the from-scratch model is ahead; the pre-trained one wins later.",
        "d": "Pre-training pays off only with the whole training set; with fewer images the two lines are level.",
    }
    why = {
        "a": "compare the two lines at the largest size: the pre-trained one is still far above.",
        "c": "at the smallest size the pre-trained line is above the from-scratch one too.",
        "d": "it is the other way round: the pre-trained base's lead is there at the smallest size already.",
    }
    hints = (
        Hint("Compare the two lines at the smallest training-set size, then at the largest."),
        Hint("Which line is higher at every size, and where is the from-scratch line compared with chance (20%)?"),
        Hint("The letter whose statement says the pre-trained base wins everywhere and scratch learns much less."),
    )
    correct = "with little data, pre-trained features are what make learning possible."

    def judge(self, ctx: Context, curve_answer: Any) -> str | None:
        options = ", ".join(f'"{k}"' for k in self.choices)
        if not isinstance(curve_answer, str):
            return f"curve_answer should be one letter as a string ({options}), but it is {a_type(curve_answer)}."
        letter = curve_answer.strip().lower().strip("().").strip()
        if letter not in self.choices:
            return f"{curve_answer!r} is not one of the options: answer exactly one letter, {options}."
        return None if letter == "b" else f"not {letter}: {self.why[letter]}"


QUESTIONS = (ScratchModel, TrainScratch, ReadTheCurve)
