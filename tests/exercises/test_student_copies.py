"""The student copies of exercises 07-09 and their generator (scripts/make_student_notebooks.py)."""
from __future__ import annotations

import pytest

from helpers.exercises import questions, solution_regions
from scripts import make_student_notebooks as generator
from tiny_answers import judged_as_a_real_run  # noqa: F401

pytestmark = pytest.mark.usefixtures("judged_as_a_real_run")
Q08 = questions("08")


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
    for code in solution_regions(solution).values():
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
