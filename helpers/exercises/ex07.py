"""Exercise 07's questions: a frozen pre-trained VGG16, its preprocessing, a new head, compile, train, test."""
from __future__ import annotations

from typing import Any

import keras

from helpers.exercises.framework import Context, Hint, Question
from helpers.exercises.judges import (contains, has_random_first_conv, judge_compiled, judge_outputs,
                                      judge_preprocess, judge_vgg16_base, layer, not_a_model, owners, would_train)
from helpers.exercises.results import DATASET
from helpers.exercises.run_judges import judge_accuracy, judge_fit

NOTEBOOK = "07_exercise_vgg16_classify"
FIT = ("head.fit(features_dataset(train_features, train_labels, cfg.batch_size), validation_data="
       "features_dataset(val_features, val_labels, cfg.batch_size, shuffle=False), epochs=cfg.head_epochs)")
EVALUATE = "head.evaluate(features_dataset(test_features, test_labels, cfg.batch_size, shuffle=False))"


def feature_shape(ctx: Context) -> tuple[int, ...]:
    """The shape of one feature map of the notebook's base_model (or what VGG16 gives at this image size)."""
    try:
        return tuple(ctx.get("base_model").output_shape[1:])
    except Exception:  # noqa: BLE001 -- no base yet
        side = ctx.profile.image_size // 32
        return (side, side, 512 if ctx.profile.real_assets else 64)


class LoadFrozenBase(Question):
    notebook, id, names = NOTEBOOK, "q1", ("base_model",)
    task = "pre-trained VGG16 without its top, loaded at cfg.image_shape and frozen"
    hints = (
        Hint("load_base(\"vgg16\", ...) loads keras.applications.VGG16 (offline: its stand-in). Which argument "
             "drops ImageNet's classifier?"),
        Hint("Pass weights=\"pretrained\", include_top=False and input_shape=cfg.image_shape; then freeze it "
             "with its `trainable` attribute."),
        Hint("Load, then freeze:",
             "base_model = load_base(\"vgg16\", weights=\"pretrained\", include_top=False, "
             "input_shape=cfg.image_shape)\nbase_model.trainable = False"),
    )
    correct = "pre-trained VGG16 without its top, frozen."

    def judge(self, ctx: Context, base_model: Any) -> str | None:
        problem = judge_vgg16_base(base_model, ctx, "base_model")
        if problem:
            return problem
        if len(getattr(base_model, "output_shape", ())) == 2:
            return ("base_model is pooled (pooling=\"avg\" or \"max\"): it outputs one vector per image, but the "
                    "head of q3 takes VGG16's feature maps and pools them itself. Load it without pooling.")
        if has_random_first_conv(base_model) and not ctx.smoke:  # the smoke run's "ImageNet" weights are random
            return "base_model has random weights (weights=None): load the pre-trained ones, weights=\"pretrained\"."
        training = would_train(base_model)
        if training and not base_model.trainable:
            names = sorted({owners(base_model)[id(v)] for v in training})
            return (f"base_model.trainable is False, but {', '.join(names)} were set trainable again: on Keras 3 "
                    "a model that contains base_model still trains them. Freeze the whole base: "
                    "base_model.trainable = False, and no layer set back to True.")
        if training:
            return (f"the base is not frozen: {len(training)} of its weight tensors would train. Set "
                    "base_model.trainable = False before you train the head.")
        return None


class VGGPreprocessing(Question):
    notebook, id, names = NOTEBOOK, "q2", ("preprocess",)
    task = "the function that prepares images the way VGG16 was trained"
    hints = (
        Hint("Every keras.applications family has its own preprocess_input. Which family is VGG16?"),
        Hint("VGG16 uses \"caffe\" preprocessing: RGB→BGR and the ImageNet mean subtracted, no scaling to [0, 1]."),
        Hint("Assign the function itself, not a call:", "preprocess = keras.applications.vgg16.preprocess_input"),
    )
    correct = "VGG16's caffe preprocessing (BGR, ImageNet mean subtracted)."

    def judge(self, ctx: Context, preprocess: Any) -> str | None:
        return judge_preprocess(preprocess)


class ClassifierHead(Question):
    notebook, id, names = NOTEBOOK, "q3", ("head",)
    task = f"a head that turns VGG16's feature map into one score per {DATASET} class"
    hints = (
        Hint("The head takes the base's feature map, of shape base_model.output_shape[1:], and ends with one "
             "unit per class (splits.num_classes)."),
        Hint("Pool the map into a vector (GlobalAveragePooling2D), optionally add a small Dense layer and "
             "Dropout, and end with Dense(splits.num_classes, dtype=\"float32\"): no activation, so it outputs "
             "logits, in float32 even under mixed precision."),
        Hint("The smallest head that works:",
             "head = keras.Sequential([keras.Input(base_model.output_shape[1:]),\n"
             "                         keras.layers.GlobalAveragePooling2D(),\n"
             "                         keras.layers.Dense(splits.num_classes, dtype=\"float32\")], name=\"head\")"),
    )
    correct = "the head takes the feature map and outputs one score per class."

    def judge(self, ctx: Context, head: Any) -> str | None:
        problem = not_a_model(head, "head", "a Keras model (e.g. keras.Sequential([...]))")
        if problem:
            return problem
        if contains(head, ctx.get("base_model")) or layer(head, "block1_conv1") is not None:
            return ("head contains VGG16: the head is only what comes after the base, and it is trained on the "
                    "cached feature maps. Start it with keras.Input(base_model.output_shape[1:]).")
        return judge_outputs(head, feature_shape(ctx), ctx, "head", takes="the base's feature maps")[0]


class CompileHead(Question):
    notebook, id, names = NOTEBOOK, "q4", ("head",)
    task = "compile the head: an optimizer, a loss that matches labels and outputs, and accuracy"
    in_place = True
    hints = (
        Hint("The labels are integers 0-4, one per image. Does your head end with softmax, or output logits?"),
        Hint("SparseCategoricalCrossentropy takes integer labels; from_logits=True when the last layer has no "
             "softmax. The learning rate is the profile's, cfg.head_learning_rate; metrics=[\"accuracy\"]."),
        Hint("For a head that outputs logits:",
             "head.compile(optimizer=keras.optimizers.Adam(cfg.head_learning_rate),\n"
             "             loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
             "             metrics=[\"accuracy\"])"),
    )
    correct = "the loss matches integer labels and the head's outputs."

    def judge(self, ctx: Context, head: Any) -> str | None:
        problem = not_a_model(head, "head", "a Keras model")
        if problem:
            return problem
        problem, outputs = judge_outputs(head, feature_shape(ctx), ctx, "head", takes="the base's feature maps")
        if problem:
            return problem
        if not getattr(head, "compiled", False):
            other = next((name for name, value in ctx.namespace.items() if not name.startswith("_")
                          and value is not head and isinstance(value, keras.Model) and getattr(value, "compiled", False)
                          and int(getattr(value.optimizer, "iterations", 1)) == 0), None)
            if other:
                return f"you compiled `{other}`, but the model you train here is the head: compile head."
        return judge_compiled(head, outputs, ctx, "head", lr_range=(1e-4, 1e-2), lr_hint=" for training a new head")


class TrainAndEvaluate(Question):
    notebook, id, names = NOTEBOOK, "q5", ("history", "test_accuracy")
    task = "the head trained for cfg.head_epochs epochs (history) and its test accuracy (test_accuracy)"
    hints = (
        Hint("The head takes feature maps, not images: fit it on the cached training features, validate on the "
             "validation features, then evaluate once on the test features."),
        Hint("features_dataset(features, labels, cfg.batch_size) batches cached features (shuffle=False for "
             "validation and test); fit returns a History, evaluate returns [loss, accuracy]."),
        Hint("Train, then test once:",
             "history = head.fit(features_dataset(train_features, train_labels, cfg.batch_size),\n"
             "                   validation_data=features_dataset(val_features, val_labels, cfg.batch_size,"
             " shuffle=False),\n"
             "                   epochs=cfg.head_epochs, verbose=0)\n"
             "test_loss, test_accuracy = head.evaluate(\n"
             "    features_dataset(test_features, test_labels, cfg.batch_size, shuffle=False), verbose=0)"),
    )
    correct = "trained on the training features, tested once on the test split."

    def judge(self, ctx: Context, history: Any, test_accuracy: Any) -> str | None:
        problem, record = judge_fit(history, "history", ctx, "head", FIT)
        if problem:
            return problem
        wanted = ctx.profile.head_epochs
        if history.epoch != list(range(wanted)):
            return (f"history ran epochs {history.epoch[0]}-{history.epoch[-1]}; train the head for the profile's "
                    f"budget from epoch 0: epochs=cfg.head_epochs ({wanted}), no initial_epoch.")
        if not record.moved:
            return "no weight of the head moved during this fit: is the head frozen (head.trainable = False)?"
        return judge_accuracy(test_accuracy, "test_accuracy", ctx, "head", EVALUATE, after=record)


QUESTIONS = (LoadFrozenBase, VGGPreprocessing, ClassifierHead, CompileHead, TrainAndEvaluate)
