"""Exercise 08's questions: unfreeze block5 of the model's base, recompile low, continue the epochs, test."""
from __future__ import annotations

from typing import Any

from helpers.exercises import recording
from helpers.exercises.framework import Context, Hint, NotAttempted, Question
from helpers.exercises.judges import (VGG16_CONVS, contains, judge_compiled, judge_outputs, judge_vgg16_base,
                                      not_a_model, owners, would_train)
from helpers.exercises.run_judges import judge_accuracy, judge_fit

NOTEBOOK = "08_exercise_vgg16_fine_tune"
BLOCK5 = tuple(n for n in VGG16_CONVS if n.startswith("block5"))
FIT = ("model.fit(train_ds, validation_data=val_ds, initial_epoch=len(history.epoch), "
       "epochs=len(history.epoch) + cfg.fine_tune_epochs)")


def _head_ids(ctx: Context) -> set[int]:
    head = ctx.get("head")
    return {id(v) for v in head.weights} if head is not None and hasattr(head, "weights") else set()


def _layers_of(variables: Any, names: dict[int, str]) -> list[str]:
    """The VGG16 convolution layers among the owners of ``variables``, bottom to top."""
    held = {names.get(i) for i in variables}
    return [n for n in VGG16_CONVS if n in held]


class UnfreezeLastBlock(Question):
    notebook, id, names = NOTEBOOK, "q1", ("base_model",)
    task = "unfreeze the last convolutional block (block5) of base_model and keep the rest frozen"
    in_place = True
    hints = (
        Hint("Change the base that `model` holds (do not load a new one): make block5 trainable and keep "
             "blocks 1-4 frozen."),
        Hint("VGG16's layers are named block1_conv1 ... block5_conv3; `for layer in base_model.layers:` and "
             "layer.name tell you where you are. Check with describe_trainable(model)."),
        Hint("Unfreeze the base, then freeze what is not in block5:",
             "base_model.trainable = True\nfor layer in base_model.layers:\n"
             "    layer.trainable = layer.name.startswith(\"block5\")"),
    )
    correct = "model now trains block5 and the head; blocks 1-4 stay frozen."

    def judge(self, ctx: Context, base_model: Any) -> str | None:
        problem = judge_vgg16_base(base_model, ctx, "base_model")
        if problem:
            return problem
        model = ctx.get("model")
        if model is not None and not contains(model, base_model):
            return ("`model` does not contain this base_model: a new one was loaded after model was built, so "
                    "model still trains with the old, frozen base. Change the base model holds instead of loading "
                    "another (re-run the notebook from Step 0).")
        names = owners(model if model is not None else base_model)
        training = ({id(v) for v in model.trainable_weights} if model is not None
                    else {id(v) for v in would_train(base_model)} | _head_ids(ctx))
        convs = _layers_of(training, names)
        head = _head_ids(ctx)
        if not convs:
            empty = [found.name for found in base_model.layers if found.trainable and not found.weights
                     and not found.name.startswith("input")]
            if head and head <= training and empty:
                return (f"{', '.join(empty)} {'has' if len(empty) == 1 else 'have'} no weights: setting "
                        "it trainable trains nothing. Unfreeze block5_conv1, block5_conv2 and block5_conv3.")
            if head and head <= training:
                raise NotAttempted  # still the frozen phase's state
            return ("nothing in model would train now (is model.trainable False?): unfreeze block5 and keep the "
                    "head trainable.")
        if head and not head & training:
            return "the head is frozen: it should keep training with block5 (head.trainable = True)."
        if convs == list(BLOCK5):
            return None
        if len(convs) == len(VGG16_CONVS):
            return (f"too many layers unfrozen: all {len(VGG16_CONVS)} convolution layers train. With a small "
                    "dataset that over-fits and destroys general features: unfreeze block5 only.")
        extra = [n for n in convs if n not in BLOCK5]
        if extra and set(BLOCK5) <= set(convs):
            return f"too many layers unfrozen: {', '.join(extra)} train too. Unfreeze the last block only."
        if extra:
            return (f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not in the last block: the top "
                    "block (block5) is the most task-specific, unfreeze that one.")
        return (f"only {', '.join(convs)} of block5 would train: unfreeze the whole last block "
                "(block5_conv1, block5_conv2, block5_conv3).")


class RecompileLowRate(Question):
    notebook, id, names = NOTEBOOK, "q2", ("model",)
    task = "compile model again for fine-tuning, at a low learning rate"
    in_place = True
    hints = (
        Hint("A new `trainable` setting reaches training through compile: compile the model you will fit, at a "
             "learning rate far below the head's."),
        Hint("Same loss and metrics as the head; the learning rate is the profile's cfg.fine_tune_learning_rate."),
        Hint("Compile model (not head, not base_model):",
             "model.compile(optimizer=keras.optimizers.Adam(cfg.fine_tune_learning_rate),\n"
             "              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
             "              metrics=[\"accuracy\"])"),
    )
    correct = "compiled with a low learning rate, after the change of trainable."

    def judge(self, ctx: Context, model: Any) -> str | None:
        problem = not_a_model(model, "model", "a Keras model")
        if problem:
            return problem
        problem, outputs = judge_outputs(model, ctx.profile.image_shape, ctx, "model", takes="images")
        if problem:
            return problem
        if not getattr(model, "compiled", False):
            for name in ("base_model", "head"):
                other = ctx.get(name)
                optimizer = getattr(other, "optimizer", None)
                if optimizer is not None and int(optimizer.iterations) == 0:
                    return (f"you compiled `{name}`, but the model you fit is `model` (base and head together): "
                            "compile model.")
            raise NotAttempted
        updated = recording.train_step_variables(model)
        if updated is not None and updated != {id(v) for v in model.trainable_weights}:
            return ("model was fit after its last compile, and `trainable` changed since: its train step still "
                    "updates the old list of weights, so the newly unfrozen ones would never move. Compile model "
                    "again now.")
        limit = max(ctx.profile.fine_tune_learning_rate, 1e-4)
        return judge_compiled(model, outputs, ctx, "model", lr_range=(1e-7, limit), lr_hint=" for fine-tuning",
                              too_high_why=": large steps wreck the pre-trained weights",
                              use="cfg.fine_tune_learning_rate")


class ContinueTraining(Question):
    notebook, id, names = NOTEBOOK, "q3", ("history_fine",)
    task = "history_fine: fit continued from where the head's training stopped (initial_epoch)"
    hints = (
        Hint("fit has an argument that makes the epoch count continue instead of restarting at 0."),
        Hint("initial_epoch is the number of epochs already done, len(history.epoch); epochs= is the epoch to "
             "stop at, so epochs=initial_epoch + cfg.fine_tune_epochs."),
        Hint("Fit the whole model on the image pipelines:",
             "history_fine = model.fit(train_ds, validation_data=val_ds, initial_epoch=len(history.epoch),\n"
             "                         epochs=len(history.epoch) + cfg.fine_tune_epochs, verbose=0)"),
    )
    correct = "block5 and the head moved, blocks 1-4 did not, and the epoch count continued."

    def judge(self, ctx: Context, history_fine: Any) -> str | None:
        problem, record = judge_fit(history_fine, "history_fine", ctx, "model", FIT)
        if problem:
            return problem
        head_history = ctx.get("history")
        start = len(head_history.epoch) if getattr(head_history, "epoch", None) else ctx.profile.head_epochs
        wanted = list(range(start, start + ctx.profile.fine_tune_epochs))
        if history_fine.epoch[0] != start:
            if record.initial_epoch == 0:
                return (f"fine-tuning restarted at epoch 0: pass initial_epoch={start} (len(history.epoch)) so the "
                        "curves continue where the head's training stopped.")
            if record.initial_epoch == start - 1:
                return (f"initial_epoch={start - 1} is history.epoch[-1], the index of the head's last epoch: "
                        f"epoch {start - 1} would run again. The count continues at len(history.epoch) = {start}.")
            return (f"initial_epoch={record.initial_epoch}, but the head trained {start} epochs (0-{start - 1}): "
                    f"continue at initial_epoch=len(history.epoch) = {start}.")
        if history_fine.epoch != wanted:
            return (f"{len(history_fine.epoch)} fine-tuning epoch(s) instead of cfg.fine_tune_epochs = "
                    f"{len(wanted)}: epochs= is the epoch to stop at, epochs=initial_epoch + cfg.fine_tune_epochs.")
        names = owners(record.model())
        moved = _layers_of(record.moved, names)
        lower = [n for n in moved if n not in BLOCK5]
        if lower:
            return f"{', '.join(lower)} moved during fine-tuning: only block5 should (freeze blocks 1-4, recompile)."
        if moved != list(BLOCK5):
            if record.updated != record.trainable:
                return ("block5 did not move: model's train step was built by an earlier fit, before block5 was "
                        "unfrozen, and model was not compiled since. Compile model again, then fit.")
            return (f"block5 did not move during this fit (moved: {', '.join(moved) or 'none'}): unfreeze all of "
                    "block5 (q1) and compile model (q2) before you fit.")
        if _head_ids(ctx) and not _head_ids(ctx) & record.moved:
            return "the head did not move during fine-tuning: keep it trainable with block5."
        return None


class FineTunedAccuracy(Question):
    notebook, id, names = NOTEBOOK, "q4", ("fine_tune_accuracy",)
    task = "the fine-tuned model's accuracy on the test split"
    hints = (
        Hint("The fine-tuned model is `model`, and it takes images: evaluate it on the test image pipeline."),
        Hint("evaluate returns [loss, accuracy] because the model was compiled with metrics=[\"accuracy\"]."),
        Hint("Once, at the end:", "fine_tune_loss, fine_tune_accuracy = model.evaluate(test_ds, verbose=0)"),
    )
    correct = "the fine-tuned model, evaluated once on the test split."

    def judge(self, ctx: Context, fine_tune_accuracy: Any) -> str | None:
        fine = recording.fit_of(ctx.get("history_fine"))
        return judge_accuracy(fine_tune_accuracy, "fine_tune_accuracy", ctx, "model", "model.evaluate(test_ds)",
                              after=fine)


QUESTIONS = (UnfreezeLastBlock, RecompileLowRate, ContinueTraining, FineTunedAccuracy)
