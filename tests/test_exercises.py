"""The exercise checks (helpers/exercises.py) and the student-copy generator (scripts/make_student_notebooks.py).

Every model here is tiny (the VGG16 stand-in's layout at 32 px) and nothing is trained.
"""
from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from helpers import config, exercises
from helpers.exercises import ____, questions
from helpers.standins import vgg16_standin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import make_student_notebooks as generator  # noqa: E402

PROFILE = config.PROFILES["offline"]
SIZE = PROFILE.image_size
Q07, Q08, Q09 = questions("07"), questions("08"), questions("09")


@pytest.fixture(autouse=True)
def _offline_meaningful(monkeypatch):
    """Judge accuracy as in a real run (not a smoke run) unless a test says otherwise."""
    monkeypatch.delenv("COURSE_SMOKE", raising=False)
    monkeypatch.setenv("COURSE_HARNESS", "offline")
    monkeypatch.setenv("COURSE_SOLUTIONS", "on")


def run(question, *values, **namespace):
    """check() with the profile in the namespace; returns (result, printed text)."""
    namespace.setdefault("cfg", PROFILE)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = question.check(*values, namespace=namespace)
    return result, out.getvalue()


def vgg(pretrained=True, include_top=False, size=SIZE, frozen=False):
    model = vgg16_standin((size, size, 3), include_top=include_top)
    if pretrained:  # Keras initialises biases to zero: non-zero ones look pre-trained
        model.get_layer("block1_conv1").bias.assign(np.full((8,), 0.1, "float32"))
    model.trainable = not frozen
    return model


def head(units=5, activation=None, pool=True, features=(SIZE // 32, SIZE // 32, 64)):
    layers = [keras.Input(features)] + ([keras.layers.GlobalAveragePooling2D()] if pool else [])
    return keras.Sequential(layers + [keras.layers.Dense(units, activation=activation)])


def compiled(model, loss=None, lr=1e-3, metrics=("accuracy",)):
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True) if loss is None else loss
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, metrics=list(metrics))
    return model


def history(epochs, validation=True):
    h = keras.callbacks.History()
    h.epoch = list(epochs)
    h.history = {"loss": [1.0] * len(h.epoch), "accuracy": [0.5] * len(h.epoch)}
    if validation:
        h.history["val_accuracy"] = [0.5] * len(h.epoch)
    return h


# ------------------------------------------------------------------------------------ not attempted
@pytest.mark.parametrize("question", [*Q07, *Q08, *Q09], ids=lambda q: f"{q.notebook[:2]}-{q.id}")
def test_placeholder_reports_not_attempted(question):
    namespace = {name: ____ for name in question.names}
    result, printed = run(question, **namespace)
    assert result.status == "not attempted" and not result
    assert printed.strip() == question.not_attempted_message()
    assert "____" in printed and f"{question.id}.hint()" in printed
    assert run(question, *[____] * len(question.names))[0].status == "not attempted"


def test_missing_names_report_not_attempted_too():
    assert run(Q07[0])[0].status == "not attempted"
    assert not Q07[0].answered({"base_model": ____}) and Q07[0].answered({"base_model": 1})


def test_a_step_not_done_yet_counts_as_unanswered_for_the_guards():
    assert not Q07[3].answered({"head": head(), "cfg": PROFILE})  # exists, but never compiled
    assert Q07[3].answered({"head": compiled(head()), "cfg": PROFILE})


def test_not_attempted_message_is_the_same_on_every_profile(monkeypatch):
    first = Q07[0].not_attempted_message()
    monkeypatch.setenv("COURSE_HARNESS", "mock-real")
    assert Q07[0].not_attempted_message() == first and "px" not in first


# ---------------------------------------------------------------------------------- 07 q1: the base
def test_pretrained_frozen_vgg16_without_top_passes():
    result, printed = run(Q07[0], vgg(frozen=True))
    assert result.status == "correct" and "✓" in printed


def test_base_not_frozen_is_named():
    result, _ = run(Q07[0], vgg(frozen=False))
    assert result.status == "wrong" and "not frozen" in result.message and "trainable = False" in result.message


def test_random_weights_are_recognised():
    assert "random weights" in run(Q07[0], vgg(pretrained=False, frozen=True))[0].message


def test_random_weights_are_accepted_in_the_smoke_run_whose_imagenet_weights_are_random(monkeypatch):
    monkeypatch.setenv("COURSE_HARNESS", "mock-real")
    assert run(Q07[0], vgg(pretrained=False, frozen=True))[0]


def test_base_with_imagenet_top_is_refused():
    message = run(Q07[0], vgg(include_top=True, frozen=True))[0].message
    assert "include_top=False" in message and "fc1" in message


def test_base_built_for_another_image_size_is_refused():
    message = run(Q07[0], vgg(size=32, frozen=True))[0].message
    assert "32×32" in message and "input_shape=cfg.image_shape" in message


def test_a_model_that_is_not_vgg16_is_refused():
    assert "not VGG16" in run(Q07[0], head())[0].message


def test_assigning_the_loader_instead_of_calling_it_is_explained():
    from helpers.models import load_base

    assert "call it" in run(Q07[0], load_base)[0].message


# ----------------------------------------------------------------------------- 07 q2: preprocessing
def test_vgg16_caffe_preprocessing_passes():
    assert run(Q07[1], keras.applications.vgg16.preprocess_input)[0]


@pytest.mark.parametrize("preprocess, words", [
    (lambda x: x / 255.0, "[0, 1]"),
    (keras.applications.mobilenet_v2.preprocess_input, "[-1, 1]"),
    (lambda x: x - np.array([123.68, 116.779, 103.939], "float32"), "RGB order"),
    (lambda x: x, "unchanged"),
    (lambda x: x[..., ::-1], "mean is not subtracted"),
    (lambda x: keras.applications.vgg16.preprocess_input(x / 255.0), "scaled to [0, 1] before"),
    (lambda x: x * 3.0, "does not give what VGG16 expects"),
    (lambda x: x[:, :2], "changes the shape"),
], ids=["unit", "mobilenet", "rgb-no-flip", "identity", "flip-only", "scaled-then-caffe", "other", "shape"])
def test_preprocessing_mistakes_are_recognised(preprocess, words):
    result, _ = run(Q07[1], preprocess)
    assert result.status == "wrong" and words in result.message


def test_calling_preprocess_instead_of_assigning_it_is_explained():
    assert "function itself" in run(Q07[1], np.zeros((2, 2)))[0].message


def test_preprocess_that_raises_is_reported_not_raised():
    def broken(images):
        raise RuntimeError("boom")

    message = run(Q07[1], broken)[0].message
    assert "raised RuntimeError: boom" in message


def test_preprocess_returning_something_odd_is_reported():
    assert "not an array" in run(Q07[1], lambda x: {"a": object()})[0].message


# -------------------------------------------------------------------------------------- 07 q3: head
def test_five_way_head_passes_whatever_its_layers():
    assert run(Q07[2], head(), base_model=vgg())[0]
    flatten = keras.Sequential([keras.Input((2, 2, 64)), keras.layers.Flatten(), keras.layers.Dense(32),
                                keras.layers.Dense(5, activation="softmax")])
    assert run(Q07[2], flatten)[0]  # no base_model in the namespace: the shape comes from the profile


@pytest.mark.parametrize("units, words", [(1, "binary"), (1000, "ImageNet"), (4, "Dense(5)")])
def test_wrong_number_of_output_units_is_named(units, words):
    result, _ = run(Q07[2], head(units=units), base_model=vgg())
    assert result.status == "wrong" and f"outputs {units} units" in result.message and words in result.message


def test_head_without_pooling_is_explained():
    message = run(Q07[2], head(pool=False), base_model=vgg())[0].message
    assert "GlobalAveragePooling2D" in message


def test_head_that_cannot_take_the_feature_map_is_explained():
    flat = keras.Sequential([keras.Input((7,)), keras.layers.Dense(5)])
    message = run(Q07[2], flat, base_model=vgg())[0].message
    assert "cannot take an input of shape (None, 2, 2, 64)" in message


# ---------------------------------------------------------------------------------- 07 q4: compile
def test_uncompiled_head_is_not_attempted():
    assert run(Q07[3], head())[0].status == "not attempted"


@pytest.mark.parametrize("activation, loss", [
    (None, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
    ("softmax", keras.losses.SparseCategoricalCrossentropy()),
    ("softmax", "sparse_categorical_crossentropy"),
    ("softmax", keras.losses.sparse_categorical_crossentropy),
], ids=["logits", "softmax-object", "softmax-string", "softmax-function"])
def test_any_loss_that_matches_labels_and_outputs_passes(activation, loss):
    assert run(Q07[3], compiled(head(activation=activation), loss))[0]


def test_softmax_layer_at_the_end_counts_as_probabilities():
    model = keras.Sequential([keras.Input((2, 2, 64)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(5), keras.layers.Softmax()])
    message = run(Q07[3], compiled(model))[0].message
    assert "softmax is applied twice" in message


@pytest.mark.parametrize("activation, loss, words", [
    ("softmax", keras.losses.SparseCategoricalCrossentropy(from_logits=True), "from_logits=True"),
    (None, keras.losses.SparseCategoricalCrossentropy(), "from_logits=False"),
    (None, keras.losses.BinaryCrossentropy(from_logits=True), "binary"),
    (None, "binary_crossentropy", "binary"),
    (None, keras.losses.CategoricalCrossentropy(from_logits=True), "integer labels"),
    (None, "mse", "not a classification loss"),
    ("sigmoid", keras.losses.SparseCategoricalCrossentropy(), "sigmoid"),
], ids=["logits-on-softmax", "softmax-expected", "bce-object", "bce-string", "categorical", "mse", "sigmoid"])
def test_loss_mistakes_are_named(activation, loss, words):
    result, _ = run(Q07[3], compiled(head(activation=activation), loss))
    assert result.status == "wrong" and words in result.message


def test_missing_accuracy_metric_is_named():
    assert 'metrics=["accuracy"]' in run(Q07[3], compiled(head(), metrics=()))[0].message


def test_absurd_learning_rate_for_a_head_is_named():
    assert "too high" in run(Q07[3], compiled(head(), lr=0.5))[0].message


def test_compiled_without_a_loss_is_named():
    model = head()
    model.compile(optimizer="adam")
    assert "without a loss" in run(Q07[3], model)[0].message


# ------------------------------------------------------------------------- 07 q5 / accuracies in general
def test_trained_and_evaluated_passes():
    assert run(Q07[4], history(range(PROFILE.head_epochs)), 0.9)[0]


@pytest.mark.parametrize("accuracy, words", [
    ([0.3, 0.9], "unpack it"), ({"accuracy": 0.9}, "dict"), (None, "None"), ("0.9", "should be a number"),
    (87.0, "not an accuracy between 0 and 1"), (float("nan"), "not an accuracy"), (0.22, "barely better"),
])
def test_accuracy_mistakes_are_named(accuracy, words):
    result, _ = run(Q07[4], history(range(PROFILE.head_epochs)), accuracy)
    assert result.status == "wrong" and words in result.message


def test_low_accuracy_is_not_judged_in_the_smoke_run(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    monkeypatch.setenv("COURSE_HARNESS", "mock-real")
    assert run(Q07[4], history(range(PROFILE.head_epochs)), 0.1)[0]


@pytest.mark.parametrize("value, words", [
    (history([0]), f"epochs=cfg.head_epochs ({PROFILE.head_epochs})"),
    (history([]), "recorded no epoch"),
    (history(range(PROFILE.head_epochs), validation=False), "validation_data"),
    (None, "is None"),
    ([0.1, 0.2], "should be what fit(...) returns"),
])
def test_history_mistakes_are_named(value, words):
    assert words in run(Q07[4], value, 0.9)[0].message


# ------------------------------------------------------------------------------ 08: fine-tune
def unfrozen(blocks, base_flag=True):
    base = vgg(frozen=True)
    base.trainable = True
    for layer in base.layers:
        layer.trainable = any(layer.name.startswith(f"block{b}") for b in blocks)
    base.trainable = base_flag
    if not base_flag:  # what a learner gets by setting the layers after freezing the model
        for layer in base.layers:
            layer.trainable = any(layer.name.startswith(f"block{b}") for b in blocks)
    return base


def test_unfreezing_block5_only_passes():
    assert run(Q08[0], unfrozen([5]))[0]


@pytest.mark.parametrize("blocks, words", [
    ([1, 2, 3, 4, 5], "all 13 convolution layers"), ([4, 5], "block4_conv1"), ([1], "not in the last block"),
])
def test_unfreezing_mistakes_are_named(blocks, words):
    result, _ = run(Q08[0], unfrozen(blocks))
    assert result.status == "wrong" and words in result.message


def test_partly_unfrozen_block5_is_named():
    base = unfrozen([5])
    base.get_layer("block5_conv1").trainable = False
    assert "whole last block" in run(Q08[0], base)[0].message


def test_frozen_model_flag_overriding_its_layers_is_explained():
    message = run(Q08[0], unfrozen([5], base_flag=False))[0].message
    assert "base_model.trainable is still False" in message


def test_still_frozen_base_is_not_attempted():
    assert run(Q08[0], vgg(frozen=True))[0].status == "not attempted"


def test_frozen_head_during_fine_tuning_is_named():
    frozen_head = head()
    frozen_head.trainable = False
    assert "head is frozen" in run(Q08[0], unfrozen([5]), head=frozen_head)[0].message


def full_model(activation=None):
    return keras.Sequential([keras.Input((SIZE, SIZE, 3)), vgg(), keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(5, activation=activation)])


def test_recompiling_at_a_low_rate_passes():
    assert run(Q08[1], compiled(full_model(), lr=PROFILE.fine_tune_learning_rate))[0]


def test_fine_tuning_learning_rate_too_high_is_named():
    result, _ = run(Q08[1], compiled(full_model(), lr=1e-3))
    assert result.status == "wrong" and "too high for fine-tuning" in result.message


def test_model_not_recompiled_is_not_attempted():
    assert run(Q08[1], full_model())[0].status == "not attempted"


def test_continuing_from_initial_epoch_passes():
    start = PROFILE.head_epochs
    assert run(Q08[2], history(range(start, start + PROFILE.fine_tune_epochs)))[0]
    assert run(Q08[2], history(range(7, 7 + PROFILE.fine_tune_epochs)), history=history(range(7)))[0]


@pytest.mark.parametrize("epochs, words", [
    (range(PROFILE.fine_tune_epochs), f"initial_epoch={PROFILE.head_epochs}"),
    ([PROFILE.head_epochs], "epochs=initial_epoch + cfg.fine_tune_epochs"),
], ids=["restarted-at-0", "epochs-not-added"])
def test_fine_tuning_epoch_mistakes_are_named(epochs, words):
    assert words in run(Q08[2], history(epochs))[0].message


def test_fine_tuned_accuracy_is_judged_like_any_accuracy():
    assert run(Q08[3], 0.93)[0] and "unpack" in run(Q08[3], [0.2, 0.93])[0].message


# ---------------------------------------------------------------------------------- 09: scratch
def scratch(pretrained=False, frozen_layer=False, lr=1e-3):
    base = vgg(pretrained=pretrained)
    if frozen_layer:
        base.get_layer("block1_conv1").trainable = False
    model = keras.Sequential([keras.Input((SIZE, SIZE, 3)), base, keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(5)])
    return compiled(model, lr=lr)


def test_vgg16_from_random_weights_passes():
    assert run(Q09[0], scratch())[0]


def test_pretrained_weights_in_the_scratch_run_are_named():
    assert "weights=None" in run(Q09[0], scratch(pretrained=True))[0].message


def test_frozen_part_of_the_scratch_model_is_named():
    assert "frozen" in run(Q09[0], scratch(frozen_layer=True))[0].message


def test_scratch_model_without_vgg16_is_named():
    assert "does not contain VGG16" in run(Q09[0], compiled(head()))[0].message


def test_scratch_model_already_trained_is_not_mistaken_for_pretrained():
    model = scratch(pretrained=True)
    model.optimizer.iterations.assign(3)
    assert run(Q09[0], model)[0]


def test_scratch_budget_is_checked_and_low_accuracy_accepted():
    budget = PROFILE.head_epochs + PROFILE.fine_tune_epochs
    assert run(Q09[1], history(range(budget)), 0.21)[0]
    message = run(Q09[1], history(range(budget + 5)), 0.21)[0].message
    assert f"= {budget}" in message


@pytest.mark.parametrize("answer, status", [("b", "correct"), (" B) ", "correct"), ("(b)", "correct"),
                                            ("a", "wrong"), ("c", "wrong"), ("d", "wrong"), ("e", "wrong"),
                                            (2, "wrong")])
def test_multiple_choice_answer(answer, status):
    result, _ = run(Q09[2], answer)
    assert result.status == status
    if status == "wrong":
        assert result.message and "raised" not in result.message


def test_choices_are_printed():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exercises.print_choices()
    assert out.getvalue().count(")") >= 4 and "b)" in out.getvalue()


# -------------------------------------------------------------------- robustness: never a traceback
ODD_VALUES = [None, 42, "text", 3.5, [1, 2, 3], {"a": 1}, np.zeros((3, 3)), np.zeros((2, 64, 64, 3)),
              lambda x: None, object(), keras.layers.Dense(5)]


@pytest.mark.parametrize("question", [*Q07, *Q08, *Q09], ids=lambda q: f"{q.notebook[:2]}-{q.id}")
def test_none_wrong_types_and_shapes_give_a_message_not_an_exception(question):
    for value in ODD_VALUES:
        result, printed = run(question, *[value] * len(question.names))
        assert result.status in ("wrong", "not attempted"), (question, value)
        assert result.message and printed.startswith(question.id), (question, value)


def test_a_check_that_breaks_explains_instead_of_raising(monkeypatch):
    def broken(self, ctx, *values):
        raise KeyError("surprise")

    monkeypatch.setattr(type(Q07[0]), "judge", broken)
    result, _ = run(Q07[0], vgg())
    assert result.status == "wrong" and "raised KeyError" in result.message


def test_wrong_number_of_values_is_explained():
    assert "takes 2 value(s)" in run(Q07[4], 0.9)[0].message


def test_check_reads_the_callers_variables():
    base_model = vgg(frozen=True)  # noqa: F841 -- read by check() from this frame
    cfg = PROFILE  # noqa: F841
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert Q07[0].check() is not None
    assert "q1" in out.getvalue()


# ------------------------------------------------------------------------------ hints and solutions
def test_hints_are_tiered_and_end_with_the_solution_pointer(capsys):
    q = Q07[1]
    q.hint()
    first = capsys.readouterr().out
    q.hint(2)
    second = capsys.readouterr().out
    q.hint(99)
    last = capsys.readouterr().out
    q.hint("x")
    assert first != second and "Hint 1/3" in first and "q2.hint(2)" in first
    assert "Hint 3/3" in last and "q2.solution()" in last and "Hint 1/3" in capsys.readouterr().out


def test_solution_text_is_extracted_from_the_solution_notebook():
    regions = exercises.solution_regions(exercises.SOLUTIONS_DIR / "07_exercise_vgg16_classify.ipynb")
    text = Q07[0].solution_text()
    assert regions["q1"] in text and 'load_base("vgg16"' in text and "trainable = False" in text
    assert "BEGIN SOLUTION" not in text
    for q in (*Q07, *Q08, *Q09):
        assert q.id in exercises.solution_regions(exercises.SOLUTIONS_DIR / f"{q.notebook}.ipynb"), q


def test_solution_prints(capsys):
    Q09[2].solution()
    assert 'curve_answer = "b"' in capsys.readouterr().out


def test_solutions_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("COURSE_SOLUTIONS", "off")
    text = Q07[0].solution_text()
    assert "switched off" in text and "load_base" not in text and not exercises.solutions_enabled()


def test_missing_solution_notebook_or_region_is_explained(monkeypatch, tmp_path):
    monkeypatch.setattr(exercises, "SOLUTIONS_DIR", tmp_path)
    assert "No solution notebook" in Q07[0].solution_text()
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]),
                   tmp_path / f"{Q07[0].notebook}.ipynb")
    assert "has no region" in Q07[0].solution_text()


def test_question_without_hints_points_to_the_solution(capsys):
    class Bare(exercises.Question):
        id, names = "q9", ("x",)

    Bare().hint()
    assert "q9.solution()" in capsys.readouterr().out
    assert "q9" in repr(Q07[0]) or "q1" in repr(Q07[0])


def test_unknown_exercise_is_refused():
    with pytest.raises(ValueError, match="No exercise"):
        questions("42")


# ------------------------------------------------------------------------------------ results file
def test_results_are_saved_and_read_back_for_the_same_profile_only(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    assert exercises.load_results(PROFILE) == {}
    path = exercises.save_result(PROFILE, "frozen", test_accuracy=np.float32(0.9), history={"loss": [1.0]})
    assert path.parent == tmp_path
    saved = exercises.load_results(PROFILE)["frozen"]
    assert saved["test_accuracy"] == pytest.approx(0.9) and saved["history"] == {"loss": [1.0]}
    assert exercises.load_results(config.PROFILES["quick"]) == {}
    monkeypatch.setenv("COURSE_HARNESS", "mock-real")
    assert exercises.load_results(PROFILE) == {}


def test_result_label_says_where_numbers_come_from(monkeypatch):
    assert "STAND-IN" in exercises.result_label(PROFILE)
    assert "quick profile" in exercises.result_label(config.PROFILES["quick"])
    monkeypatch.setenv("COURSE_SMOKE", "1")
    assert "mean nothing" in exercises.result_label(config.PROFILES["quick"])


def test_stopwatch_measures():
    with exercises.Stopwatch() as clock:
        sum(range(1000))
    assert clock.seconds > 0


# --------------------------------------------------------------------------------- student copies
@pytest.mark.parametrize("solution", generator.solution_paths(), ids=lambda p: p.name)
def test_committed_student_copy_is_what_the_generator_makes(solution):
    import nbformat

    committed = generator.student_path(solution).read_text(encoding="utf8")
    assert nbformat.writes(generator.generate(solution)).strip() == committed.strip()


def test_there_are_three_exercises_with_student_copies():
    assert [p.name[:2] for p in generator.solution_paths()] == ["07", "08", "09"]


@pytest.mark.parametrize("solution", generator.solution_paths(), ids=lambda p: p.name)
def test_student_copy_has_no_solution_code(solution):
    import nbformat

    student = nbformat.read(generator.student_path(solution), as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text
    for code in exercises.solution_regions(solution).values():
        assert code.strip() not in text


def test_student_copy_guards_print_finish_first_and_run_once_answered():
    import nbformat

    student = nbformat.read(generator.student_path(generator.solution_paths()[0]), as_version=4)
    guarded = [c for c in student.cells if c.cell_type == "code" and "if ready(" in c.source]
    assert guarded and all("finish q" in c.outputs[0]["text"] for c in guarded)
    cell = guarded[0].source
    q1, q2 = Q07[0], Q07[1]
    namespace = {"q1": q1, "q2": q2, "ready": exercises.ready, "base_model": ____, "preprocess": ____}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile("if ready(q1, q2):\n    ran = True", "<cell>", "exec"), namespace)
    assert out.getvalue().strip() == "⏸ finish q1 and q2 first: this cell uses their answer."
    assert "ran" not in namespace and "if ready(q1, q2):" in cell
    namespace.update(base_model=1, preprocess=2)
    exec(compile("if ready(q1, q2):\n    ran = True", "<cell>", "exec"), namespace)
    assert namespace["ran"] is True


def test_check_cells_keep_their_not_attempted_output():
    import nbformat

    student = nbformat.read(generator.student_path(generator.solution_paths()[1]), as_version=4)
    checks = [c for c in student.cells if c.cell_type == "code" and c.source.endswith(".check()")]
    assert len(checks) == len(Q08)
    for cell, question in zip(checks, Q08):
        assert cell.metadata["tags"] == ["nbval-check-output"] and "NBVAL" not in cell.source
        assert cell.outputs[0]["text"].strip() == question.not_attempted_message()


def test_region_stubs_and_taint():
    assert generator.stub_lines("q4", "head.compile(optimizer='adam')")[1:] == ["____"]
    assert generator.stub_lines("q5", "a = 1\nb, c = 2, 3")[1:] == ["a = ____", "b = ____", "c = ____"]
    assert generator.affected_names("base.trainable = True\nfor layer in base.layers:\n    layer.x = 1\n"
                                    "model.compile()\ndef f(): pass") == {"base", "layer", "model", "f"}


def test_unclosed_region_and_tainted_code_next_to_a_region_are_refused(tmp_path):
    import nbformat

    with pytest.raises(ValueError, match="has no"):
        generator._split_regions("# BEGIN SOLUTION q1\nx = 1")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("# BEGIN SOLUTION q1\nbase_model = 1\n# END SOLUTION q1"),
        nbformat.v4.new_code_cell("# BEGIN SOLUTION q2\npreprocess = 2\n# END SOLUTION q2\nprint(base_model)"),
    ])
    path = tmp_path / "07_exercise_x.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="move it to its own cell"):
        generator.generate(path)


def test_generator_check_mode_agrees_with_the_committed_copies(capsys):
    assert generator.main(["make_student_notebooks.py", "--check"]) == 0


def test_restart_training_restores_weights_and_a_fresh_optimizer_without_a_new_compile():
    model = compiled(head(), lr=0.1)
    start = model.get_weights()
    x, y = np.random.default_rng(0).normal(size=(8, 2, 2, 64)).astype("float32"), np.arange(8) % 5
    model.fit(x, y, epochs=2, verbose=0)
    train_function = model.train_function
    exercises.restart_training(model, start)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), start))
    assert int(model.optimizer.iterations) == 0
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    model.fit(x, y, epochs=1, verbose=0)
    assert model.train_function is train_function
