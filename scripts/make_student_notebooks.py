"""Generate the student copies of the exercises from their solution notebooks (the single source).

    python -m scripts.make_student_notebooks           # write notebooks/NN_exercise_*.ipynb
    python -m scripts.make_student_notebooks --check   # exit 1 if a committed copy differs from what it generates

For each ``notebooks/solutions/NN_exercise_*.ipynb``:

* a code cell tagged ``solution:qN`` (or a region ``# BEGIN SOLUTION qN`` ... ``# END SOLUTION qN`` in a cell)
  becomes a hint pointer and ``name = ____`` for every name the answer assigns at its top level (or a comment
  when it assigns none); a one-line clock cell just before it (``start = time.perf_counter()``) and just after
  it (``x_seconds = time.perf_counter() - start``) move into that cell, so that the clock times the learner's
  answer, not the time spent writing it;
* a check cell ``qN.check()`` (tagged ``nbval-check-output``: nbval compares its "Correct" output in the
  solution notebook) keeps its "not attempted" output instead;
* a later cell that uses a name whose value depends on an unanswered region is wrapped in
  ``if ready(qN, ...):``, which prints "finish qN first" instead of failing (its output is kept too);
* then ``nbtools.clean`` stamps the copy's own Colab badge and the setup cell.
"""
from __future__ import annotations

import ast
import re
import sys
import textwrap
from pathlib import Path

import nbformat

from helpers import exercises
from helpers.exercises import framework
from scripts import nbtools

REPO = Path(__file__).resolve().parent.parent

CHECK_RE = re.compile(r"^(q\d+)\.check\(\)\s*$")
CLOCK_START_RE = re.compile(r"^\w+ = time\.perf_counter\(\)\s*(#.*)?$")
CLOCK_STOP_RE = re.compile(r"^\w+ = time\.perf_counter\(\) - \w+\s*(#.*)?$")
REGION_RE = re.compile(rf"^\s*{re.escape(exercises.BEGIN)}\s+(q\d+)\s*$")
END_RE = re.compile(rf"^\s*{re.escape(exercises.END)}\s+(q\d+)\s*$")


def solution_paths() -> list[Path]:
    """The solution notebooks that have student copies."""
    return sorted(exercises.SOLUTIONS_DIR.glob("[0-9][0-9]_exercise_*.ipynb"))


def student_path(solution: Path) -> Path:
    """Where the student copy of ``solution`` lives: notebooks/<same name>."""
    return REPO / "notebooks" / solution.name


def _root(node: ast.AST) -> str | None:
    """The variable at the root of ``a.b[c].d``, or None."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def affected_names(code: str) -> set[str]:
    """Names whose value or state ``code`` sets: assigned names, and roots of assigned attributes or called methods."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
            names.add(_root(node) or "")
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(
                node.value.func, ast.Attribute):
            names.add(_root(node.value.func.value) or "")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    names.discard("")
    return names


def used_names(code: str) -> set[str]:
    """Names ``code`` reads."""
    return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def stub_lines(question: str, code: str) -> list[str]:
    """The placeholder lines that replace a solution region.

    ``name = ____`` for every name the region assigns at its top level. A region that only changes objects
    (``base_model.trainable = True``, ``head.compile(...)``) gets a comment instead: a stub that assigned the
    object's name would replace the learner's object with the placeholder.
    """
    names: list[str] = []
    loop_names: set[str] = set()
    for statement in ast.parse(code).body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                names += [e.id for e in elements if isinstance(e, ast.Name) and e.id not in names]
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            loop_names |= {n.id for n in ast.walk(statement.target) if isinstance(n, ast.Name)}
    lines = [exercises.HINT_POINTER.format(q=question)]
    if names:
        return lines + [f"{name} = ____" for name in names]
    changed = sorted(affected_names(code) - loop_names)
    return lines + [f"# ____  (this step changes {' and '.join(changed) or 'the notebook'} in place)"]


def _split_regions(source: str) -> tuple[list[str], dict[str, str]]:
    """(student lines, {question: solution code}) of one code cell."""
    out: list[str] = []
    regions: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    for line in source.splitlines():
        begin, end = REGION_RE.match(line), END_RE.match(line)
        if begin:
            current, body = begin[1], []
        elif end and current:
            regions[current] = "\n".join(body)
            out += stub_lines(current, textwrap.dedent("\n".join(body)))
            current = None
        elif current:
            body.append(line)
        else:
            out.append(line)
    if current:
        raise ValueError(f"{exercises.BEGIN} {current} has no {exercises.END} {current}")
    return out, regions


def _as_regions(cells: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """``cells`` with each answer cell (tagged ``solution:qN``) turned into a marked region, and the one-line
    clock cells next to it moved into it (see the module docstring)."""
    out: list[nbformat.NotebookNode] = []
    after_answer = False
    for cell in cells:
        question = framework.solution_tag(cell) if cell.cell_type == "code" else None
        if question:
            tags = [t for t in cell.metadata["tags"] if t != framework.SOLUTION_TAG + question]
            cell.metadata.pop("tags")
            cell.metadata.update({"tags": tags} if tags else {})
            cell.source = f"{exercises.BEGIN} {question}\n{cell.source.strip()}\n{exercises.END} {question}"
            if out and out[-1].cell_type == "code" and CLOCK_START_RE.match(out[-1].source.strip()):
                cell.source = f"{out.pop().source.strip()}\n{cell.source}"
        elif after_answer and cell.cell_type == "code" and CLOCK_STOP_RE.match(cell.source.strip()):
            out[-1].source += f"\n{cell.source.strip()}"
            continue
        out.append(cell)
        after_answer = bool(question)
    return out


def _stream(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")


def _leading_comments(lines: list[str]) -> tuple[list[str], list[str]]:
    head = []
    while lines and lines[0].lstrip().startswith("#"):
        head.append(lines.pop(0))
    return head, lines


def generate(solution: Path) -> nbformat.NotebookNode:
    """The student copy of ``solution``, in memory."""
    nb = nbformat.read(solution, as_version=4)
    nb.cells = _as_regions(nb.cells)
    taint: dict[str, set[str]] = {}  # name -> the questions its value depends on
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        source = cell.source
        lines, regions = _split_regions(source)
        if regions:
            outside = "\n".join(line for line in source.splitlines()
                                if not (REGION_RE.match(line) or END_RE.match(line)))
            for question, code in regions.items():
                for name in affected_names(textwrap.dedent(code)):
                    taint.setdefault(name, set()).add(question)
            rest = "\n".join(line for line in lines if not line.startswith(exercises.HINT_POINTER[:15]))
            deps = set().union(*(taint.get(n, set()) for n in used_names(rest))) - set(regions)
            if deps:
                raise ValueError(f"{solution.name}: code outside the solution region in this cell needs "
                                 f"{sorted(deps)}; move it to its own cell:\n{outside}")
            cell.source = "\n".join(lines)
            continue
        check = CHECK_RE.match(source.strip())
        if check:
            question = next(q for q in exercises.questions(solution.name[:2]) if q.id == check[1])
            cell.source = f"{check[1]}.check()"
            cell.metadata["tags"] = [nbtools.CHECK_TAG]
            cell.outputs, cell.execution_count = [_stream(question.not_attempted_message())], count
            continue
        if source.startswith(nbtools.SETUP_FIRST_LINE):
            continue
        deps = set().union(*(taint.get(n, set()) for n in used_names(source)))
        for name in affected_names(source):
            if deps:
                taint.setdefault(name, set()).update(deps)
        if deps:
            ids = sorted(deps, key=lambda q: int(q[1:]))
            head, body = _leading_comments(source.splitlines())
            cell.source = "\n".join([*head, f"if ready({', '.join(ids)}):",
                                     textwrap.indent("\n".join(body), "    ")])
            cell.metadata["tags"] = [nbtools.CHECK_TAG]
            cell.outputs, cell.execution_count = [_stream(exercises.ready_message(ids))], count
    return nbtools.clean(nb, student_path(solution))


def main(argv: list[str]) -> int:
    stale = []
    for solution in solution_paths():
        target = student_path(solution)
        text = nbformat.writes(generate(solution))
        if "--check" in argv:
            if not target.exists() or target.read_text(encoding="utf8") != text + "\n" and \
                    target.read_text(encoding="utf8") != text:
                stale.append(target)
            continue
        nbformat.write(nbformat.reads(text, as_version=4), target)
        print(f"wrote {target.relative_to(REPO)}")
    for target in stale:
        print(f"{target.relative_to(REPO)} differs from what its solution notebook generates: "
              "run python -m scripts.make_student_notebooks")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
