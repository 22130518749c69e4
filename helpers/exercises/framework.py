"""The exercise framework: questions with ``check()``, ``hint()`` and ``solution()`` (the learntools pattern).

A question is one small class (``ex07.py`` ... ``ex09.py``): the names the learner assigns (``names``), the
hints, and ``judge``, which returns ``None`` when the answer is right, a sentence saying what is wrong, or raises
:class:`NotAttempted` when the notebook shows the step was not done yet. The judges look at what the answer *did*
(``judges.py``, ``run_judges.py``, fed by the record of every ``fit`` and ``evaluate`` call that ``recording.py``
keeps). Solutions are read at run time from the solution notebook in ``notebooks/solutions/``: a code cell tagged
``solution:q1`` (cell metadata, unseen by learners) is q1's answer, or the lines between ``# BEGIN SOLUTION q1`` and
``# END SOLUTION q1`` when an answer is only part of a cell; ``COURSE_SOLUTIONS=off`` switches ``solution()`` off
(for a workshop).
"""
from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from helpers import catalogue, config
from helpers.errors import CourseError
from helpers.exercises import recording, slips

SOLUTIONS_DIR = config.REPO_ROOT / "notebooks" / "solutions"
EXERCISES = ("07", "08", "09")
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
SOLUTION_TAG = "solution:"
"""Tag prefix of a code cell that is an answer as a whole: ``solution:q1``."""
HINT_POINTER = "# Your code here. Stuck? {q}.hint(), then {q}.hint(2), then {q}.solution()"


# ------------------------------------------------------------------------------------------ placeholder
class _Blank:
    """The ``____`` placeholder: a question whose answer is still this object is "not attempted"."""

    _instance: ClassVar[_Blank | None] = None

    def __new__(cls) -> _Blank:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "____"

    def _ipython_display_(self) -> None:  # a bare ____ line in a student copy shows nothing
        pass

    # Used as a value (an argument tested for truth, an attribute, a call, a shape), it says so instead of
    # passing for False or None: ``include_top=____`` is refused, not taken as include_top=False.
    def __bool__(self) -> bool:
        raise PlaceholderUsed(PLACEHOLDER_USED)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # IPython and copy probe _repr_html_, __deepcopy__...: plainly absent
            raise AttributeError(name)
        raise PlaceholderUsed(PLACEHOLDER_USED)

    def __setattr__(self, name: str, value: Any) -> None:
        raise PlaceholderUsed(PLACEHOLDER_USED)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise PlaceholderUsed(PLACEHOLDER_USED)

    def __iter__(self) -> Any:
        raise PlaceholderUsed(PLACEHOLDER_USED)

    def __len__(self) -> int:
        raise PlaceholderUsed(PLACEHOLDER_USED)

    __getitem__ = __call__
    __index__ = __int__ = __float__ = __len__


PLACEHOLDER_USED = ("a ____ placeholder is still in the code this cell runs: replace it with your answer (the "
                    "exercise's hint shows what goes there), then run the cell again.")


class PlaceholderUsed(CourseError, AttributeError, TypeError):
    """Code used the ``____`` placeholder as a value; the message says to replace it."""


____ = _Blank()
"""Placeholder in the student notebooks: replace it with your answer."""


def is_blank(value: Any) -> bool:
    """True for the ``____`` placeholder (also one made before a module reload)."""
    return value is ____ or type(value).__name__ == "_Blank"


class NotAttempted(Exception):
    """Raised by a judge when the notebook's state shows the step was not done yet (e.g. never compiled)."""


# ---------------------------------------------------------------------------------------------- results
@dataclass
class Result:
    """What ``check()`` found: ``status`` is "correct", "wrong" or "not attempted"; ``bool()`` is True if correct."""

    question: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __str__(self) -> str:
        mark = {"correct": "✓ Correct", "wrong": "✗ Not yet", "not attempted": "… Not attempted"}[self.status]
        return f"{self.question} · {mark}: {self.message}"

    def _ipython_display_(self) -> None:  # check() has already printed it
        pass


@dataclass
class Context:
    """What a judge needs besides the answer: the notebook's other names, the profile, the class count."""

    namespace: dict[str, Any]

    def get(self, name: str) -> Any:
        """The notebook's ``name``, or None when it is missing or still ``____``."""
        value = self.namespace.get(name)
        return None if is_blank(value) else value

    def name_of(self, value: Any, default: str = "another model") -> str:
        """The notebook name bound to ``value`` (e.g. "head"), for messages."""
        return next((f"`{k}`" for k, v in self.namespace.items() if v is value and not k.startswith("_")),
                    default)

    @property
    def profile(self) -> config.Profile:
        cfg = self.namespace.get("cfg")
        return cfg if isinstance(cfg, config.Profile) else config.resolve_profile().profile

    @property
    def num_classes(self) -> int:
        try:
            return int(self.namespace["splits"].num_classes)
        except Exception:  # noqa: BLE001 -- no splits yet: the catalogue knows
            return catalogue.DATASETS["tf_flowers"].num_classes

    @property
    def smoke(self) -> bool:
        """True in the test harness's mocked real run: mock data, random "pre-trained" weights, one epoch."""
        return not config.results_are_meaningful()


# ------------------------------------------------------------------------------------------- questions
def solutions_enabled() -> bool:
    """False when the instructor switched solutions off with ``COURSE_SOLUTIONS=off`` (or 0/no/false)."""
    return os.environ.get("COURSE_SOLUTIONS", "on").strip().lower() not in ("off", "0", "no", "false")


def solution_regions(path: str | Path) -> dict[str, str]:
    """``{"q1": code, ...}``: the answers of a notebook: cells tagged ``solution:qN``, and marked regions."""
    import nbformat

    regions: dict[str, str] = {}
    for cell in nbformat.read(str(path), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tagged = solution_tag(cell)
        if tagged:
            regions[tagged] = cell.source.rstrip("\n")
            continue
        current, lines = None, []
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped.startswith(BEGIN):
                current, lines = stripped[len(BEGIN):].strip(), []
            elif stripped.startswith(END) and current:
                regions[current] = "\n".join(lines)
                current = None
            elif current:
                lines.append(line)
    return regions


def solution_tag(cell: Any) -> str | None:
    """``"q1"`` for a notebook cell tagged ``solution:q1`` (the whole cell is q1's answer), else None."""
    return next((tag[len(SOLUTION_TAG):] for tag in cell.get("metadata", {}).get("tags", [])
                 if tag.startswith(SOLUTION_TAG)), None)


@dataclass(frozen=True)
class Hint:
    """A hint: a sentence, and optionally code that runs in the notebook at that point (tests run it)."""

    text: str
    code: str = ""


class Question:
    """One exercise question. Subclasses fill in the fields and :meth:`judge`."""

    notebook: ClassVar[str] = ""
    id: ClassVar[str] = ""
    names: ClassVar[tuple[str, ...]] = ()
    task: ClassVar[str] = ""
    hints: ClassVar[tuple[Hint, ...]] = ()
    correct: ClassVar[str] = "well done."
    in_place: ClassVar[bool] = False
    """True when the answer changes an object (``head.compile(...)``) instead of assigning a name."""

    def judge(self, ctx: Context, *values: Any) -> str | None:
        """``None`` when the answer is right, else a sentence saying what is wrong; raise NotAttempted if not done."""
        raise NotImplementedError

    # -- what the learner calls
    def check(self, *values: Any, namespace: dict[str, Any] | None = None) -> Result:
        """Print and return whether the answer is right; never raises.

        Without arguments it reads the answer from the notebook's variables (``names``).
        """
        result = self._result(values, sys._getframe(1).f_globals if namespace is None else namespace)
        print(result)
        return result

    def answered(self, namespace: dict[str, Any]) -> bool:
        """True when the answer is given: its names are set and the step was done (right or wrong)."""
        return self._result((), namespace).status != "not attempted"

    def hint(self, level: int = 1) -> None:
        """Print hint ``level`` (1 = a nudge; higher levels say more)."""
        if not self.hints:
            print(f"{self.id} has no hints. Try {self.id}.solution().")
            return
        try:
            level = min(max(int(level), 1), len(self.hints))
        except (TypeError, ValueError):
            level = 1
        more = (f"More: {self.id}.hint({level + 1})." if level < len(self.hints)
                else f"That was the last hint; {self.id}.solution() shows the answer.")
        hint = self.hints[level - 1]
        code = "\n" + "\n".join(f"    {line}" for line in hint.code.splitlines()) + "\n" if hint.code else " "
        print(f"{self.id} · Hint {level}/{len(self.hints)}: {hint.text}{code}{more}")

    def solution(self) -> None:
        """Print the solution, taken from the solution notebook (unless ``COURSE_SOLUTIONS=off``)."""
        print(self.solution_text())

    def solution_text(self) -> str:
        """The text :meth:`solution` prints."""
        if not solutions_enabled():
            return (f"{self.id} · Solutions are switched off for this session (COURSE_SOLUTIONS=off). "
                    f"Try {self.id}.hint({len(self.hints) or 1}), or ask your instructor.")
        path = SOLUTIONS_DIR / f"{self.notebook}.ipynb"
        if not path.exists():
            return f"{self.id} · No solution notebook here ({path.name} is not in notebooks/solutions/)."
        code = solution_regions(path).get(self.id)
        if code is None:
            return (f"{self.id} · The solution notebook {path.name} has no region for {self.id} "
                    f"(a cell tagged {SOLUTION_TAG}{self.id}).")
        return f"{self.id} · Solution (from notebooks/solutions/{path.name}):\n\n{code}"

    def not_attempted_message(self) -> str:
        """What ``check()`` prints while the answer is still ``____``: the same on every machine."""
        return str(self._not_attempted())

    # -- plumbing
    def _not_attempted(self) -> Result:
        todo = (f"in the cell above, {self.task}" if self.in_place else f"replace ____ with {self.task}")
        return Result(self.id, "not attempted", f"{todo}. Stuck? {self.id}.hint()")

    def _names_text(self) -> str:
        return " and ".join(f"`{n}`" for n in self.names) or "your answer"

    def _result(self, values: tuple[Any, ...], namespace: dict[str, Any]) -> Result:
        if not values:
            if not all(name in namespace and not is_blank(namespace[name]) for name in self.names):
                return self._not_attempted()
            values = tuple(namespace[name] for name in self.names)
        elif any(is_blank(v) for v in values):
            return self._not_attempted()
        if len(values) != len(self.names):
            count = f"{len(self.names)} value{'s' if len(self.names) != 1 else ''}"
            return Result(self.id, "wrong", f"check() takes {count}: {self._names_text()}.")
        try:
            problem = self.judge(Context(namespace), *values)
        except NotAttempted:
            return self._not_attempted()
        except Exception as error:  # noqa: BLE001 -- a check explains, it never raises
            return Result(self.id, "wrong", f"checking your answer raised {type(error).__name__}: "
                                            f"{str(error).splitlines()[0][:200] if str(error) else ''}. "
                                            f"Look at what {self._names_text()} hold.")
        return Result(self.id, "wrong", problem) if problem else Result(self.id, "correct", self.correct)

    def __repr__(self) -> str:
        return f"<{self.id} of exercise {self.notebook[:2]}: {self.task}. Call {self.id}.check(), .hint(), .solution()>"


def questions(exercise: str) -> tuple[Question, ...]:
    """The question objects of exercise ``"07"``, ``"08"`` or ``"09"``, in order: ``q1, q2, ... = questions("07")``.

    Also starts recording ``fit`` and ``evaluate`` calls (``recording.py``): the checks read them; and shows the
    common Keras slips in one sentence (``slips.py``).
    """
    exercise = str(exercise)[:2]
    if exercise not in EXERCISES:
        raise ValueError(f"No exercise {exercise!r}; there are {', '.join(EXERCISES)}.")
    recording.install()
    slips.install()
    module = importlib.import_module(f"helpers.exercises.ex{exercise}")
    return tuple(cls() for cls in module.QUESTIONS)


# ------------------------------------------------------------------------------ guards and choices
def ready_message(ids: list[str]) -> str:
    """What a student-copy guard prints while questions ``ids`` are unanswered: "Finish q1 first: ..."."""
    listed = ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"
    return f"Finish {listed} first: this cell uses {'its' if len(ids) == 1 else 'their'} answer."


def ready(*asked: Question) -> bool:
    """True when every question is answered; else print "Finish qN first" and return False.

    The student copies wrap each cell that needs an answer in ``if ready(q1, ...):``, so that the notebook
    still runs top to bottom while questions are open.
    """
    namespace = sys._getframe(1).f_globals
    missing = [q.id for q in asked if not q.answered(namespace)]
    if missing:
        print(ready_message(missing))
        return False
    return True


def print_choices(question: Any) -> None:
    """Print a multiple-choice question's options (``question.choices``, or a dict), one per line."""
    choices = question if isinstance(question, dict) else question.choices
    for letter, text in choices.items():
        print(f"  {letter}) {text}")
