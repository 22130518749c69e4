"""The solution notebooks read as worked answers: no markers, no asserts; nbval still fails a wrong answer.

An answer is a whole code cell tagged ``solution:qN``; its check cell is ``qN.check()``, tagged
``nbval-check-output`` with the "Correct" line stored, so that nbval (``--nbval-lax``) fails when a solution
stops passing its check.
"""
from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from helpers import config
from helpers.exercises import Result, framework, questions
from scripts import make_student_notebooks as generator
from scripts.nbtools import CHECK_TAG

SOLUTIONS = generator.solution_paths()


def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_solution_notebooks_show_no_test_plumbing(solution):
    text = "\n".join(c.source for c in _code_cells(solution))
    assert framework.BEGIN not in text and framework.END not in text and "assert q" not in text


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_every_answer_is_a_tagged_cell_followed_by_its_check_with_the_correct_line_stored(solution):
    cells = _code_cells(solution)
    answers = {framework.solution_tag(c): i for i, c in enumerate(cells) if framework.solution_tag(c)}
    exercise = questions(solution.name[:2])
    assert sorted(answers) == sorted(q.id for q in exercise)
    for question in exercise:
        check = next(c for c in cells[answers[question.id] + 1:] if c.source.endswith(".check()"))
        assert check.source == f"{question.id}.check()" and check.metadata["tags"] == [CHECK_TAG]
        assert check.outputs[0]["text"] == f"{Result(question.id, 'correct', question.correct)}\n"
        assert check.execution_count


def test_clock_cells_around_an_answer_move_into_the_student_answer_cell():
    cells = [nbformat.v4.new_code_cell("start = time.perf_counter()  # times it"),
             nbformat.v4.new_code_cell("history = model.fit(x)", metadata={"tags": ["solution:q1"]}),
             nbformat.v4.new_code_cell("fit_seconds = time.perf_counter() - start"),
             nbformat.v4.new_code_cell("q1.check()")]
    folded = generator._as_regions(cells)
    assert [c.source for c in folded] == [
        "start = time.perf_counter()  # times it\n# BEGIN SOLUTION q1\nhistory = model.fit(x)\n# END SOLUTION q1\n"
        "fit_seconds = time.perf_counter() - start", "q1.check()"]
    assert "tags" not in folded[0].metadata


def _nbval(tmp_path, answer: str) -> subprocess.CompletedProcess:
    """Run nbval on a notebook of 07's opening lines, ``answer`` as q2's answer and 07's stored q2 check cell."""
    solution = next(p for p in SOLUTIONS if p.name.startswith("07"))
    check = next(c for c in _code_cells(solution) if c.source == "q2.check()")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import keras\nfrom helpers.exercises import questions\nq1, q2, q3, q4, q5 = '
                                  'questions("07")'),
        nbformat.v4.new_code_cell(answer, metadata={"tags": ["solution:q2"]}),
        nbformat.v4.new_code_cell(check.source, metadata=check.metadata, outputs=check.outputs,
                                  execution_count=check.execution_count),
    ])
    nbformat.write(nb, tmp_path / "answer.ipynb")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "PYTHONPATH": str(config.REPO_ROOT), "COURSE_PROFILE": "offline"}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "--nbval-lax", "--nbval-current-env", "-q", "answer.ipynb"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


def test_nbval_passes_the_stored_solution_and_fails_a_wrong_one(tmp_path):
    right = _nbval(tmp_path, "preprocess = keras.applications.vgg16.preprocess_input")
    assert right.returncode == 0 and "3 passed" in right.stdout, right.stdout[-2000:]
    wrong = _nbval(tmp_path, "preprocess = keras.applications.mobilenet_v2.preprocess_input")  # [-1, 1], not caffe
    assert wrong.returncode == 1 and "1 failed, 2 passed" in wrong.stdout, wrong.stdout[-2000:]
    assert "Not yet" in wrong.stdout
