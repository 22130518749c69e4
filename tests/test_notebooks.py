"""Committed notebooks are clean: outputs stripped except nbval-check-output cells, the common opening."""
from __future__ import annotations

import pytest

from scripts import nbtools

NOTEBOOKS = nbtools.notebook_paths()


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_with_its_own_badge_and_the_standard_setup_cell(path):
    assert nbtools.problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_title_objectives_time_and_closes_with_recap_and_mistakes(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    first, text = nb.cells[0].source, "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert first.startswith("# ") and "**You will:**" in first and "**Time:**" in first
    assert "## Recap" in text and "## Common mistakes" in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_stand_in_label_is_never_written_out_in_a_cell(path):
    """It comes from one place: the plots label by themselves, printed lines end in ``standin_suffix()``."""
    import nbformat

    from helpers.config import STANDIN_NOTE

    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert STANDIN_NOTE not in code


def test_badge_is_built_from_the_one_configured_repository_url(monkeypatch):
    monkeypatch.setattr(nbtools, "REPO_URL", "https://github.com/someone/fork")
    badge = nbtools.colab_badge(NOTEBOOKS[0])
    assert f"github/someone/fork/blob/main/notebooks/{NOTEBOOKS[0].name}" in badge


def test_a_stray_output_is_reported(tmp_path):
    import nbformat

    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code" and not nbtools.keeps_output(c))
    code.outputs = [nbformat.v4.new_output("stream", text="hello")]
    code.execution_count = 3
    copy = nbtools.REPO / "notebooks" / "_tmp_copy.ipynb"
    try:
        nbformat.write(nb, copy)
        assert any("keeps outputs" in p for p in nbtools.problems(copy))
    finally:
        copy.unlink()


def test_the_instructor_guide_shows_the_run_times_of_docs_timings_csv():
    guide = nbtools.GUIDE.read_text(encoding="utf8")
    assert nbtools.stamp_guide(guide) == guide, "run `make strip` after editing docs/timings.csv"
    assert nbtools.guide_table() in guide


def test_every_numbered_notebook_has_a_row_in_the_timings_table():
    numbers = {p.name[:2] for p in NOTEBOOKS}
    assert numbers == set(nbtools.timings()), "one row per notebook number in docs/timings.csv"


def test_a_stale_time_line_is_reported(tmp_path):
    import nbformat

    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace(nbtools.time_line(NOTEBOOKS[0].name[:2]), "**Time:** a while.")
    copy = nbtools.REPO / "notebooks" / f"{NOTEBOOKS[0].name[:2]}_tmp_copy.ipynb"
    try:
        nbformat.write(nb, copy)
        assert any("Time:" in p for p in nbtools.problems(copy))
    finally:
        copy.unlink()
