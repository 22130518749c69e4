"""The exercise framework (helpers/exercises/framework.py): placeholders, checks that never raise, hints,
solutions read from the solution notebooks, the guards of the student copies, and the package's public names.

Whole answers, right and wrong, are tried in the real notebooks' state in test_wrong_answers.py.
"""
from __future__ import annotations

import contextlib
import io

import keras
import numpy as np
import pytest

from helpers import exercises
from helpers.exercises import ____, framework, questions
from helpers.exercises.ex09 import ReadTheCurve
from tiny_answers import PROFILE, compiled, head, judged_as_a_real_run, run, vgg  # noqa: F401

pytestmark = pytest.mark.usefixtures("judged_as_a_real_run")
Q07, Q08, Q09 = questions("07"), questions("08"), questions("09")
ALL = [*Q07, *Q08, *Q09]


@pytest.mark.parametrize("question", ALL, ids=lambda q: f"{q.notebook[:2]}-{q.id}")
def test_placeholder_reports_not_attempted_the_same_way_everywhere(question):
    result, printed = run(question, **{name: ____ for name in question.names})
    assert result.status == "not attempted" and not result
    assert printed.strip() == question.not_attempted_message()
    assert f"{question.id}.hint()" in printed and ("cell above" in printed if question.in_place else "____" in printed)
    assert run(question, *[____] * len(question.names))[0].status == "not attempted"


def test_not_attempted_is_an_exception_a_judge_raises():
    class Pending(framework.Question):
        id, names, task = "q9", ("x",), "x"

        def judge(self, ctx, x):
            raise framework.NotAttempted

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
    regions = framework.solution_regions(framework.SOLUTIONS_DIR / "07_exercise_vgg16_classify.ipynb")
    text = Q07[0].solution_text()
    assert regions["q1"] in text and "BEGIN SOLUTION" not in text
    for q in ALL:
        assert q.id in framework.solution_regions(framework.SOLUTIONS_DIR / f"{q.notebook}.ipynb"), q


def test_solutions_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("COURSE_SOLUTIONS", "off")
    text = Q07[0].solution_text()
    assert "switched off" in text and "load_base" not in text and not framework.solutions_enabled()


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
    namespace = {"q1": Q07[0], "q2": Q07[1], "ready": framework.ready, "base_model": ____, "preprocess": ____,
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
    framework.print_choices(Q09[2])
    out = capsys.readouterr().out
    assert out.count(")") >= 4 and "  b) The pre-trained base is ahead" in out


@pytest.mark.parametrize("answer, right", [("b", True), (" B) ", True), ("(b)", True), ("b.", True),
                                           ("a", False), ("both", False), ("b and c", False), ("bc", False)])
def test_multiple_choice_answer_must_be_exactly_one_option(answer, right):
    assert bool(run(ReadTheCurve(), answer)[0]) is right


def test_notebooks_public_names_are_there():
    for name in ("____", "Stopwatch", "questions", "ready", "result_label", "save_result", "load_results",
                 "print_choices", "results_path", "rerun_07_and_08"):
        assert hasattr(exercises, name), name
    assert not hasattr(exercises, "restart_training")  # one home: helpers.models
