"""The Open-in-Colab badge: its image ships in the repository, so it shows offline (JupyterLab, a workshop room)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from scripts import nbtools

NOTEBOOKS = nbtools.notebook_paths()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(nbtools.REPO).as_posix())
def test_every_notebooks_badge_image_resolves_to_the_shipped_svg(path):
    title = nbformat.read(path, as_version=4).cells[0].source
    images = re.findall(r"\[!\[Open In Colab\]\(([^)]+)\)\]", title)
    assert len(images) == 1
    assert not images[0].startswith(("http:", "https:", "/")), "a relative path: no network needed"
    assert (path.parent / images[0]).resolve() == nbtools.BADGE_IMAGE.resolve()


def test_the_badge_image_is_an_svg_that_says_open_in_colab():
    root = ET.parse(nbtools.BADGE_IMAGE).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = ["".join(e.itertext()).strip() for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["Open in Colab"] and root.get("aria-label") == "Open in Colab"


def test_a_notebook_in_another_folder_gets_the_relative_path_from_there():
    assert nbtools.colab_badge(Path(nbtools.REPO / "notebooks" / "solutions" / "x.ipynb")).startswith(
        "[![Open In Colab](../images/colab-badge.svg)]")
    assert nbtools.colab_badge(Path(nbtools.REPO / "notebooks" / "x.ipynb")).startswith(
        "[![Open In Colab](images/colab-badge.svg)]")
