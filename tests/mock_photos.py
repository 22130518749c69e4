"""A small folder in the layout of tf_flowers' ``flower_photos.tgz``, for the mocked real path (test-only).

``tests/harness.py::fake_get_file`` serves it when notebook 10 (``helpers.images.example_folder``) or
``make prefetch`` asks Keras for the real archive: 5 class folders of random-pixel JPEGs of assorted sizes and
a ``LICENSE.txt`` at the top, as in the real archive, and it hands back what ``keras.utils.get_file`` returns
for the same arguments (the unpacked folder, or the archive itself without ``extract``).
"""
from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
"""The real archive's class folders (tfds ``tf_flowers`` has the same names, in another order)."""
PER_CLASS = 6
"""Enough for one validation and one test image per class with the notebook's 20 % / 20 % split."""
LICENSE = "All images in this archive are licensed under the Creative Commons By-Attribution License.\n"


def files(seed: int = 0) -> dict[str, bytes]:
    """``{path inside the archive: bytes}``: ``flower_photos/<class>/<n>.jpg`` and ``flower_photos/LICENSE.txt``."""
    rng = np.random.default_rng(seed)
    out = {"flower_photos/LICENSE.txt": LICENSE.encode()}
    for label, name in enumerate(CLASSES):
        for i in range(PER_CLASS):
            h, w = int(rng.integers(40, 97)), int(rng.integers(40, 97))
            pixels = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
            pixels[..., label % 3] //= 2  # a faint colour cast per class
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, format="JPEG", quality=85)
            out[f"flower_photos/{name}/{1000 + i}_{label}.jpg"] = buffer.getvalue()
    return out


def write_tree(folder: Path) -> Path:
    """Write :func:`files` under ``folder`` (once); return ``folder``."""
    if not (folder / "flower_photos" / "LICENSE.txt").is_file():
        for relative, content in files().items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(content)
    return folder


def write_archive(path: Path) -> Path:
    """Write :func:`files` as a .tgz at ``path`` (what the URL serves); return ``path``."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path, "w:gz") as archive:
            for relative, content in files().items():
                info = tarfile.TarInfo(relative)
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return path


def fake_flower_photos(folder: Path, fname: str, extract: bool = False, untar: bool = False, **ignored: Any) -> str:
    """What ``keras.utils.get_file(fname, <flower_photos.tgz URL>, extract=...)`` returns, built in ``folder``.

    Keras 3 unpacks into ``<fname>`` when ``fname`` has no extension and into ``<stem>_extracted`` when it has
    one; without ``extract`` it returns the downloaded archive.
    """
    if not (extract or untar):
        return str(write_archive(folder / fname))
    target = folder / (f"{fname.split('.')[0]}_extracted" if "." in fname else fname)
    return str(write_tree(target))
