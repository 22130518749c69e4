"""Notebook housekeeping: strip outputs, stamp the common opening (Colab badge + setup cell), check both.

    python -m scripts.nbtools strip     # strip outputs (keeps nbval-check-output cells), stamp the opening
                                        # (badge, setup cell, Time line) and the guide's timing table
    python -m scripts.nbtools check     # list notebooks that are not clean (exit 1 if any)
    python -m scripts.nbtools refresh [NOTEBOOK ...]  # execute offline, then strip: refreshes kept outputs

Outputs are kept only for code cells tagged ``nbval-check-output`` (cell metadata, so the learner never sees
test plumbing in the code): nbval compares them (it needs their execution count too), so they are the
regression baseline. Cell tags are kept; every other piece of cell metadata is stripped.
"""
from __future__ import annotations

import csv
import os
import re
import sys
from pathlib import Path

import nbformat

from helpers.config import REPO_URL

REPO = Path(__file__).resolve().parent.parent

CHECK_TAG = "nbval-check-output"
"""The cell tag that makes nbval (``--nbval-lax``) compare a cell's stored output."""
COMMENT_MARKER_RE = re.compile(r"^\s*#\s*(NBVAL_|PYTEST_VALIDATE_)", re.MULTILINE)
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
SETUP_FIRST_LINE = "# Setup: in Colab"


def notebook_paths() -> list[Path]:
    """Every course notebook (tutorial, exercises, solutions), sorted."""
    return sorted(p for p in (REPO / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


BADGE_IMAGE = REPO / "notebooks" / "images" / "colab-badge.svg"
"""The badge's picture, shipped in the repository: it shows offline too (Colab's own is on colab.research.google.com)."""


def colab_badge(path: Path) -> str:
    """The Open-in-Colab badge for the notebook at ``path`` (built from config.REPO_URL), its image relative."""
    relative = path.resolve().relative_to(REPO).as_posix()
    repo = REPO_URL.removeprefix("https://github.com/")
    image = Path(os.path.relpath(BADGE_IMAGE, path.resolve().parent)).as_posix()
    return (f"[![Open In Colab]({image})]"
            f"(https://colab.research.google.com/github/{repo}/blob/main/{relative})")


COLAB_CLONE = "/content/course"
"""Where the setup cell clones the course in Colab."""


CLONE_FAILED = "Could not download the course from GitHub: check this runtime's internet, then run this cell again."
"""The one sentence the setup cell shows when Colab cannot clone the course (git says why just above it)."""


def setup_cell_source() -> str:
    """The first code cell of every notebook."""
    return (
        f"{SETUP_FIRST_LINE}, fetch the course and install what Colab lacks; elsewhere nothing is installed.\n"
        "import os, sys\n"
        "if \"google.colab\" in sys.modules:\n"
        f"    if not os.path.isdir(\"{COLAB_CLONE}/helpers\"):\n"
        f"        !git clone --quiet --depth 1 {REPO_URL} {COLAB_CLONE}\n"
        f"    if not os.path.isdir(\"{COLAB_CLONE}/helpers\"):\n"
        "        from IPython.core.error import UsageError  # shown as one line, without a traceback\n"
        f"        raise UsageError({CLONE_FAILED!r})\n"
        f"    sys.path.insert(0, \"{COLAB_CLONE}\")\n"
        "from helpers import setup\n"
        "cfg = setup()  # profile banner, versions, GPU, seeds")


TIMINGS = REPO / "docs" / "timings.csv"
"""The one source of every notebook's run time: the notebooks' **Time:** lines and the instructor guide's table."""
TIME_RE = re.compile(r"\*\*Time:\*\*.*?(?=\n\s*\n|\Z)", re.DOTALL)
GUIDE = REPO / "docs" / "instructor-guide.md"
GUIDE_BEGIN = "<!-- timings: generated from docs/timings.csv by `make strip`; edit the CSV -->"
GUIDE_END = "<!-- end of timings -->"


def timings() -> dict[str, dict[str, str]]:
    """``{"05": {"offline_s": "40", "quick": "~6 min", ...}}`` from docs/timings.csv."""
    with TIMINGS.open(encoding="utf8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if None in row or None in row.values():
            raise ValueError(f"{TIMINGS.name}: row {row.get('notebook')} has the wrong number of fields (a comma in the basis?)")
    return {row["notebook"]: row for row in rows}


def time_line(number: str) -> str:
    """A notebook's **Time:** line, from :data:`TIMINGS`."""
    t = timings()[number]
    return (f"**Time:** offline ~{t['offline_s']} s (measured here on 2 CPU cores) · quick (CPU) "
            f"{t['quick']} · full (GPU) {t['full']} (estimates: {t['basis']}) · reading and doing "
            f"~{t['reading_min']} min.")


def guide_table() -> str:
    """The instructor guide's timing table, from :data:`TIMINGS`."""
    rows = ["| notebook | offline, measured here | quick, CPU (estimate) | full, T4 GPU (estimate) | reading + doing |",
            "|---|---|---|---|---|"]
    names = {p.name[:2]: p.stem for p in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
    for number, t in timings().items():
        rows.append(f"| {names.get(number, number)} | ~{t['offline_s']} s | {t['quick']} | {t['full']} | "
                    f"{t['reading_min']} min |")
    return "\n".join(rows)


def stamp_guide(text: str) -> str:
    """``text`` (the instructor guide) with its timing table regenerated between the markers."""
    start, end = text.index(GUIDE_BEGIN) + len(GUIDE_BEGIN), text.index(GUIDE_END)
    return text[:start] + "\n" + guide_table() + "\n" + text[end:]


def _number(path: Path) -> str:
    return path.name[:2]


def tags(cell: nbformat.NotebookNode) -> list[str]:
    """The cell's metadata tags (nbval reads ``nbval-check-output`` and friends from there)."""
    return list(cell.get("metadata", {}).get("tags", []))


def keeps_output(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and CHECK_TAG in tags(cell)


def clean(nb: nbformat.NotebookNode, path: Path) -> nbformat.NotebookNode:
    """Strip outputs (except nbval-check-output cells), keep tags only, stamp badge and setup cell."""
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for cell in nb.cells:
        kept = tags(cell)
        cell.metadata = {"tags": kept} if kept else {}
        cell.pop("id", None)
        if cell.cell_type == "markdown":
            cell.source = BADGE_RE.sub(colab_badge(path), cell.source)
            if cell is nb.cells[0] and _number(path) in timings():
                cell.source = TIME_RE.sub(lambda _: time_line(_number(path)), cell.source, count=1)
        elif cell.cell_type == "code":
            if cell.source.startswith(SETUP_FIRST_LINE):
                cell.source = setup_cell_source()
            if not keeps_output(cell):
                cell.outputs, cell.execution_count = [], None
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nb


def problems(path: Path) -> list[str]:
    """What is wrong with a committed notebook: kept outputs, a stale badge or setup cell."""
    nb = nbformat.read(path, as_version=4)
    found = []
    if colab_badge(path) not in (nb.cells[0].source if nb.cells else ""):
        found.append("first cell lacks its own Colab badge (run `make strip`)")
    if _number(path) in timings() and time_line(_number(path)) not in (nb.cells[0].source if nb.cells else ""):
        found.append("its **Time:** line is not the one docs/timings.csv gives (run `make strip`)")
    setup_cells = [c for c in nb.cells if c.cell_type == "code"][:1]
    if not setup_cells or setup_cells[0].source != setup_cell_source():
        found.append("first code cell is not the standard setup cell (run `make strip`)")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and not keeps_output(cell) and (cell.outputs or cell.execution_count):
            found.append(f"cell {index} keeps outputs but is not tagged {CHECK_TAG}")
        if keeps_output(cell) and not cell.execution_count:
            found.append(f"cell {index} is tagged {CHECK_TAG} but has no stored output to compare")
        if COMMENT_MARKER_RE.search(cell.source):
            found.append(f"cell {index} has an nbval comment marker in its code: use a cell tag instead")
    return found


def execute(path: Path) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in the offline profile, headless, from its own folder."""
    from nbconvert.preprocessors import ExecutePreprocessor

    os.environ.update(COURSE_PROFILE="offline", COURSE_HEADLESS="1", MPLBACKEND="Agg")
    nb = nbformat.read(path, as_version=4)
    ExecutePreprocessor(timeout=1800, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(path.parent)}})
    return nb


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    paths = [Path(p).resolve() for p in argv[2:]] or notebook_paths()
    if command == "refresh":
        for path in paths:
            nbformat.write(clean(execute(path), path), path)
            print(f"refreshed {path.relative_to(REPO)}")
        return 0
    if command == "strip":
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            nbformat.write(clean(nb, path), path)
        GUIDE.write_text(stamp_guide(GUIDE.read_text(encoding="utf8")), encoding="utf8")
        print(f"stripped {len(paths)} notebooks, stamped their Time lines and the guide's table")
        return 0
    bad = {p: problems(p) for p in paths}
    for path, found in bad.items():
        for problem in found:
            print(f"{path.relative_to(REPO)}: {problem}")
    return 1 if any(bad.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
