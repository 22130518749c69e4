"""Every hint's code and every solution of exercises 07-09 runs, in the solution notebook's own state.

:func:`notebook_state` executes a solution notebook in this process, cell by cell, with the offline profile's
epochs cut down (its data, sizes and learning rates unchanged). Before each answer cell it runs the code of
every hint of that question, then checks the question (the last hint is a complete answer, so the check must
pass), then runs the answer cell itself (the solution) and its ``qN.check()`` cell. The state at the end
is what ``test_wrong_answers.py`` tries its wrong answers in. 09's comparison is capped at
:data:`SCRATCH_IMAGES` training images, as ``quick`` caps it, so that its path where 07's and 08's runs are
trained again on fewer images runs here too.
"""
from __future__ import annotations

import builtins
import contextlib
import dataclasses
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers import config, exercises, models
from helpers.exercises import framework

NOTEBOOKS = {path.name[:2]: path for path in sorted(exercises.SOLUTIONS_DIR.glob("[0-9][0-9]_exercise_*.ipynb"))}
EPOCHS = {"head_epochs": 3, "fine_tune_epochs": 2}
"""The cut-down budget the notebooks run with here (sizes and learning rates stay the offline profile's)."""
SCRATCH_IMAGES = 64
"""09's comparison trains on this many of the offline training split's images here (two batches)."""


def on_one_worker(exercise: str, *values: object, **kwargs: object) -> object:
    """A parameter set for a test that runs in ``exercise``'s solution state: all of them go to one xdist worker
    (``--dist loadgroup``), which runs that solution once (see :func:`notebook_state`)."""
    return pytest.param(exercise, *values, marks=pytest.mark.xdist_group(f"exercise{exercise}"), **kwargs)


EXERCISES = [on_one_worker(exercise) for exercise in NOTEBOOKS]


@dataclasses.dataclass
class NotebookRun:
    """A solution notebook executed in this process: its final namespace and what each step printed."""

    namespace: dict[str, Any]
    hint_results: dict[tuple[str, int], exercises.Result]
    check_results: dict[str, exercises.Result]
    regions: dict[str, str]

    def question(self, qid: str) -> exercises.Question:
        return self.namespace[qid]


_RUNS: dict[str, NotebookRun] = {}


def _cells(path: Path) -> list[tuple[str, str | None]]:
    """(source, the question it answers or None) of each code cell."""
    return [("".join(c["source"]), framework.solution_tag(c))
            for c in json.loads(path.read_text("utf8"))["cells"] if c["cell_type"] == "code"]


def _exec(code: str, namespace: dict[str, Any], where: str) -> None:
    from IPython.core.inputtransformer2 import TransformerManager

    exec(compile(TransformerManager().transform_cell(code), where, "exec"), namespace)  # noqa: S102


def notebook_state(exercise: str) -> NotebookRun:
    """The executed solution notebook of ``exercise`` (run once per process; see the module docstring)."""
    if exercise in _RUNS:
        return _RUNS[exercise]
    import matplotlib.pyplot as plt

    path = NOTEBOOKS[exercise]
    namespace: dict[str, Any] = {"__name__": "__main__"}
    hint_results, check_results = {}, {}
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet), pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "expect", lambda *args, **kwargs: None)  # claims are about the full budget
        patch.setitem(models.SCRATCH_IMAGES, config.PROFILES["offline"].name, SCRATCH_IMAGES)
        for index, (code, answers) in enumerate(_cells(path)):
            if answers:
                question = namespace[answers]
                for level, hint in enumerate(question.hints, start=1):
                    if hint.code:
                        _exec(hint.code, namespace, f"<{exercise} {question.id} hint {level}>")
                        hint_results[(question.id, level)] = question.check(namespace=namespace)
            _exec(code, namespace, f"<{exercise} cell {index}>")
            if code.startswith("# Setup:"):
                namespace["cfg"] = dataclasses.replace(namespace["cfg"], **EPOCHS)
            check = re.fullmatch(r"(q\d+)\.check\(\)", code.strip())
            if check:
                check_results[check[1]] = namespace[check[1]].check(namespace=namespace)
            plt.close("all")
    _RUNS[exercise] = NotebookRun(namespace, hint_results, check_results, exercises.solution_regions(path))
    return _RUNS[exercise]


@pytest.fixture(autouse=True)
def _results_in_a_temporary_folder(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path_factory.getbasetemp() / "exercise-results"))


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_solution_runs_in_its_notebook_and_passes_its_check(exercise):
    run = notebook_state(exercise)
    questions = exercises.questions(exercise)
    assert sorted(run.check_results) == sorted(q.id for q in questions)
    for qid, result in run.check_results.items():
        assert result, f"{exercise} {qid}: {result}"
        assert run.regions[qid] in run.question(qid).solution_text()


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_hint_with_code_runs_there_and_the_last_one_answers_the_question(exercise):
    run = notebook_state(exercise)
    for question in exercises.questions(exercise):
        coded = [level for level, hint in enumerate(question.hints, start=1) if hint.code]
        for level in coded:
            assert (question.id, level) in run.hint_results, f"{exercise} {question.id} hint {level} never ran"
        if coded:
            last = run.hint_results[(question.id, coded[-1])]
            assert last, f"{exercise} {question.id}: its last hint's code is not a right answer: {last}"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_hint_names_exist_in_the_notebook_where_they_are_given(exercise):
    """Names a hint's text shows as code (``name.attr``, ``name(``) exist in the notebook's state."""
    namespace = notebook_state(exercise).namespace
    for question in exercises.questions(exercise):
        for hint in question.hints:
            for name in re.findall(r"(?<![\w.])([a-z_][a-z0-9_]*)(?=\.[a-z_]|\()", hint.text):
                assert name in namespace or hasattr(builtins, name) or name == "layer", \
                    f"{exercise} {question.id}: hint names {name!r}, which the notebook lacks: {hint.text}"


def test_09_trains_both_sides_of_its_comparison_on_the_same_images_and_epochs():
    """The pre-trained runs 09 compares with train on the from-scratch run's images (here fewer than 07 and 08 saw)."""
    namespace = notebook_state("09").namespace
    plan, cfg, runs, table = namespace["plan"], namespace["cfg"], namespace["runs"], namespace["table"]
    assert plan.images == SCRATCH_IMAGES < namespace["splits"].sizes["train"]
    assert {name: row["train_images"] for name, row in table.items()} == dict.fromkeys(table, plan.images)
    frozen_epochs, fine_tune_epochs = (len(runs[name]["history"]["loss"]) for name in ("frozen", "fine-tuned"))
    assert (frozen_epochs, fine_tune_epochs) == (cfg.head_epochs, cfg.fine_tune_epochs)
    assert frozen_epochs + fine_tune_epochs == plan.epochs == len(namespace["history_scratch"].epoch)
