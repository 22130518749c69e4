"""The exercise framework (helpers/exercises/framework.py), its record of fits (recording), the judges on tiny
models, the results file, and the student-copy generator (scripts/make_student_notebooks.py).

Whole answers, right and wrong, are tried in the real notebooks' state in test_wrong_answers.py.
"""
from __future__ import annotations

import contextlib
import io

import keras
import numpy as np
import pytest

from helpers import config, exercises
from helpers.exercises import ____, Context, framework, judges, questions, recording, results, run_judges
from helpers.exercises.ex09 import ReadTheCurve
from helpers.models import SCRATCH_IMAGES, scratch_plan
from helpers.standins import vgg16_standin
from scripts import make_student_notebooks as generator

PROFILE = config.PROFILES["offline"]
SIZE = PROFILE.image_size
Q07, Q08, Q09 = questions("07"), questions("08"), questions("09")
ALL = [*Q07, *Q08, *Q09]


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


def features(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, SIZE // 32, SIZE // 32, 64)).astype("float32"), rng.integers(0, 5, n)


# ------------------------------------------------------------------------------------ the framework
@pytest.mark.parametrize("question", ALL, ids=lambda q: f"{q.notebook[:2]}-{q.id}")
def test_placeholder_reports_not_attempted_the_same_way_everywhere(question):
    result, printed = run(question, **{name: ____ for name in question.names})
    assert result.status == "not attempted" and not result
    assert printed.strip() == question.not_attempted_message()
    assert f"{question.id}.hint()" in printed and ("cell above" in printed if question.in_place else "____" in printed)
    assert run(question, *[____] * len(question.names))[0].status == "not attempted"


def test_not_attempted_is_an_exception_a_judge_raises():
    class Pending(exercises.Question):
        id, names, task = "q9", ("x",), "x"

        def judge(self, ctx, x):
            raise exercises.NotAttempted

    assert run(Pending(), 1)[0].status == "not attempted" and not Pending().answered({"x": 1})


def test_a_step_not_done_yet_counts_as_unanswered_for_the_guards():
    assert not Q07[3].answered({"head": head(), "cfg": PROFILE})  # exists, but never compiled
    assert Q07[3].answered({"head": compiled(head()), "cfg": PROFILE})


def test_a_check_that_breaks_explains_instead_of_raising(monkeypatch):
    def broken(self, ctx, *values):
        raise KeyError("surprise")

    monkeypatch.setattr(type(Q07[0]), "judge", broken)
    result, _ = run(Q07[0], vgg())
    assert result.status == "wrong" and "raised KeyError" in result.message


def test_wrong_number_of_values_is_explained_with_grammar():
    assert "takes 2 values" in run(Q07[4], 0.9)[0].message
    assert "takes 1 value:" in run(Q07[0], 1, 2)[0].message


def test_check_reads_the_variables_of_the_notebook_that_calls_it():
    namespace = {"q1": Q07[0], "base_model": vgg(frozen=True), "cfg": PROFILE}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec("result = q1.check()", namespace)  # noqa: S102 -- a notebook cell
    assert namespace["result"] and out.getvalue().startswith("q1 · ✓ Correct")


ODD_VALUES = [None, 42, "text", 3.5, True, [1, 2, 3], {"a": 1}, np.zeros((3, 3)), np.zeros((2, 64, 64, 3)),
              lambda x: None, object(), keras.layers.Dense(5)]


@pytest.mark.parametrize("question", ALL, ids=lambda q: f"{q.notebook[:2]}-{q.id}")
def test_odd_values_give_a_sentence_not_an_exception(question):
    for value in ODD_VALUES:
        result, printed = run(question, *[value] * len(question.names))
        assert result.status in ("wrong", "not attempted"), (question, value)
        assert result.message and printed.startswith(question.id) and "raised" not in result.message, (value, result)


def test_hints_are_tiered_and_end_with_the_solution_pointer(capsys):
    q = Q07[1]
    q.hint()
    first = capsys.readouterr().out
    q.hint(99)
    last = capsys.readouterr().out
    q.hint("x")
    assert "Hint 1/3" in first and "q2.hint(2)" in first
    assert "Hint 3/3" in last and "q2.solution()" in last and "    preprocess = " in last
    assert "Hint 1/3" in capsys.readouterr().out


def test_solution_text_is_the_marked_region_of_the_solution_notebook():
    regions = exercises.solution_regions(exercises.SOLUTIONS_DIR / "07_exercise_vgg16_classify.ipynb")
    text = Q07[0].solution_text()
    assert regions["q1"] in text and "BEGIN SOLUTION" not in text
    for q in ALL:
        assert q.id in exercises.solution_regions(exercises.SOLUTIONS_DIR / f"{q.notebook}.ipynb"), q


def test_solutions_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("COURSE_SOLUTIONS", "off")
    text = Q07[0].solution_text()
    assert "switched off" in text and "load_base" not in text and not exercises.solutions_enabled()


def test_missing_solution_notebook_or_region_is_explained(monkeypatch, tmp_path):
    import nbformat

    monkeypatch.setattr(framework, "SOLUTIONS_DIR", tmp_path)
    assert "No solution notebook" in Q07[0].solution_text()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]),
                   tmp_path / f"{Q07[0].notebook}.ipynb")
    assert "has no region" in Q07[0].solution_text()


def test_unknown_exercise_is_refused():
    with pytest.raises(ValueError, match="No exercise"):
        questions("42")


def test_guard_prints_finish_first_in_words_and_runs_once_answered():
    namespace = {"q1": Q07[0], "q2": Q07[1], "ready": exercises.ready, "base_model": ____, "preprocess": ____,
                 "cfg": PROFILE}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile("if ready(q1, q2):\n    ran = True", "<cell>", "exec"), namespace)  # noqa: S102
    assert out.getvalue().strip() == "Finish q1 and q2 first: this cell uses their answer."
    assert "ran" not in namespace
    namespace.update(base_model=vgg(frozen=True), preprocess=keras.applications.vgg16.preprocess_input)
    exec(compile("if ready(q1, q2):\n    ran = True", "<cell>", "exec"), namespace)  # noqa: S102
    assert namespace["ran"] is True


def test_choices_are_printed_from_the_question(capsys):
    exercises.print_choices(Q09[2])
    out = capsys.readouterr().out
    assert out.count(")") >= 4 and "  b) The pre-trained base is ahead" in out


@pytest.mark.parametrize("answer, right", [("b", True), (" B) ", True), ("(b)", True), ("b.", True),
                                           ("a", False), ("both", False), ("b and c", False), ("bc", False)])
def test_multiple_choice_answer_must_be_exactly_one_option(answer, right):
    assert bool(run(ReadTheCurve(), answer)[0]) is right


# -------------------------------------------------------------------------------- the record of fits
def test_fits_and_evaluations_are_recorded_with_their_data_and_effect():
    model = compiled(head())
    x, y = features(40)
    history = model.fit(x, y, epochs=2, initial_epoch=0, verbose=0)
    record = recording.fit_of(history)
    assert record.model() is model and record.x is x and record.epochs == 2
    assert record.moved == {id(v) for v in model.trainable_weights}
    loss, accuracy = model.evaluate(x, y, verbose=0)
    found = recording.evaluations_giving(accuracy)
    assert found and found[0][0].model() is model and found[0][0].x is x and found[0][1] == "accuracy"


def test_frozen_weights_are_not_counted_as_moved():
    model = compiled(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="low"),
                                       keras.layers.Dense(5, name="top")]))
    model.get_layer("low").trainable = False
    compiled(model)
    history = model.fit(np.ones((8, 4), "float32"), np.arange(8) % 5, verbose=0)
    moved = recording.fit_of(history).moved
    assert moved == {id(v) for v in model.get_layer("top").weights}


def test_the_train_step_keeps_the_variables_of_the_fit_that_traced_it():
    model = compiled(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="low"),
                                       keras.layers.Dense(5, name="top")]))
    model.get_layer("low").trainable = False
    compiled(model)
    model.fit(np.ones((8, 4), "float32"), np.arange(8) % 5, verbose=0)
    model.get_layer("low").trainable = True
    assert recording.train_step_variables(model) != {id(v) for v in model.trainable_weights}
    compiled(model)
    assert recording.train_step_variables(model) is None  # the next fit traces a new step


def test_data_a_model_cannot_take_gets_a_course_sentence():
    model = compiled(head())
    with pytest.raises(recording.ExerciseMistake, match="takes inputs of shape .* gives images"):
        model.fit(np.zeros((4, 8, 8, 3), "float32"), np.zeros(4), verbose=0)


def test_install_is_idempotent():
    before = keras.Model.fit
    recording.install()
    assert keras.Model.fit._course_original is before._course_original


# ------------------------------------------------------------------------------------- the judges
def test_splits_are_recognised_by_identity_and_by_content_in_any_order():
    train, val = features(12, seed=1), features(12, seed=2)
    ctx = Context({"train_features": train[0], "train_labels": train[1],
                   "val_features": val[0], "val_labels": val[1]})
    import tensorflow as tf

    shuffled = tf.data.Dataset.from_tensor_slices(train).shuffle(12, seed=3).batch(5)
    assert run_judges.splits_of(train[0], train[1], ctx) == {"train"}
    assert run_judges.splits_of(shuffled, None, ctx) == {"train"}
    assert run_judges.splits_of((val[0], val[1]), None, ctx) == {"validation"}
    assert run_judges.splits_of(train[0][:6], train[1][:6], ctx) == set()


@pytest.mark.parametrize("preprocess, words", [
    (lambda x: x / 255.0, "[0, 1]"),
    (keras.applications.mobilenet_v2.preprocess_input, "[-1, 1]"),
    (lambda x: x[..., ::-1], "mean is not subtracted"),
    (lambda x: x[:, :2], "changes the shape"),
])
def test_preprocessing_mistakes_are_recognised(preprocess, words):
    assert words in judges.judge_preprocess(preprocess)
    assert judges.judge_preprocess(keras.applications.vgg16.preprocess_input) is None


def test_articles_and_plurals_read_right():
    assert judges.a_type(3) == "an int" and judges.a_type([]) == "a list" and judges.a_type(None) == "None"
    assert judges.plural(1, "unit") == "1 unit" and judges.plural(5, "unit") == "5 units"


def test_base_frozen_with_a_layer_set_back_is_not_frozen():
    base = vgg(frozen=True)
    base.get_layer("block5_conv3").trainable = True
    message = run(Q07[0], base)[0].message
    assert "block5_conv3" in message and "still trains them" in message


def test_metrics_are_judged_by_what_they_measure():
    ctx = Context({"cfg": PROFILE})
    model = compiled(head(), metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
    assert "does not measure" in judges.judge_metrics(model, "logits", ctx, "head")
    assert judges.judge_metrics(compiled(head()), "logits", ctx, "head") is None


def test_float16_logits_are_refused(monkeypatch):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        mixed = head()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert 'dtype="float32"' in run(Q07[2], mixed)[0].message


def test_scratch_plan_caps_quick_and_keeps_the_shared_grid():
    quick = scratch_plan(config.PROFILES["quick"], 1101)
    offline = scratch_plan(PROFILE, 200)
    cap = SCRATCH_IMAGES["quick"]
    assert quick.images == cap < 1101 and quick.grid_images == cap // 2  # the grid trains on half of them
    assert quick.curve == (max(32, cap // 4), cap // 2, cap)  # a quarter (at least one batch), a half, all
    assert offline.images == 200 and offline.epochs == PROFILE.head_epochs + PROFILE.fine_tune_epochs
    assert quick.learning_rates == config.SCRATCH_LEARNING_RATES


# ------------------------------------------------------------------------------------ results file
def test_results_are_saved_and_read_back_for_the_same_profile_only(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    assert exercises.load_results(PROFILE) == {}
    path = exercises.save_result(PROFILE, "frozen", test_accuracy=np.float32(0.9), history={"loss": [1.0]})
    assert path == exercises.results_path() and path.parent == tmp_path
    saved = exercises.load_results(PROFILE)["frozen"]
    assert saved["test_accuracy"] == pytest.approx(0.9) and saved["history"] == {"loss": [1.0]}
    assert exercises.load_results(config.PROFILES["quick"]) == {}
    monkeypatch.setenv("COURSE_HARNESS", "mock-real")
    assert exercises.load_results(PROFILE) == {}


def test_result_label_says_where_numbers_come_from(monkeypatch):
    assert "STAND-IN" in results.result_label(PROFILE)
    assert "quick profile" in results.result_label(config.PROFILES["quick"])
    monkeypatch.setenv("COURSE_SMOKE", "1")
    assert "mean nothing" in results.result_label(config.PROFILES["quick"])


def test_stopwatch_measures():
    with exercises.Stopwatch() as clock:
        sum(range(1000))
    assert clock.seconds > 0


def test_notebooks_public_names_are_there():
    for name in ("____", "Stopwatch", "questions", "ready", "result_label", "save_result", "load_results",
                 "print_choices", "results_path"):
        assert hasattr(exercises, name), name
    assert not hasattr(exercises, "restart_training")  # one home: helpers.models


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
    assert "BEGIN SOLUTION" not in text and "⏸" not in text
    for code in exercises.solution_regions(solution).values():
        assert code.strip() not in text


def test_a_stub_never_replaces_an_object_the_answer_changes():
    assert generator.stub_lines("q1", "base.trainable = True\nfor layer in base.layers:\n    layer.trainable = 1")[1:] \
        == ["# ____  (this step changes base in place)"]
    assert generator.stub_lines("q4", "head.compile(optimizer='adam')")[1:] == ["# ____  (this step changes head in place)"]
    assert generator.stub_lines("q5", "a = 1\nb, c = 2, 3\nm.fit()")[1:] == ["a = ____", "b = ____", "c = ____"]


def test_08_student_copy_keeps_the_learners_base_model():
    import nbformat

    student = nbformat.read(generator.student_path(generator.solution_paths()[1]), as_version=4)
    assert not any("base_model = ____" in c.source for c in student.cells)


def test_check_cells_keep_their_not_attempted_output():
    import nbformat

    student = nbformat.read(generator.student_path(generator.solution_paths()[1]), as_version=4)
    checks = [c for c in student.cells if c.cell_type == "code" and c.source.endswith(".check()")]
    assert len(checks) == len(Q08)
    for cell, question in zip(checks, Q08):
        assert cell.metadata["tags"] == ["nbval-check-output"]
        assert cell.outputs[0]["text"].strip() == question.not_attempted_message()


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


def test_generator_check_mode_agrees_with_the_committed_copies():
    assert generator.main(["make_student_notebooks.py", "--check"]) == 0
