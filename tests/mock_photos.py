"""A small folder of real photos in the layout of tf_flowers' ``flower_photos.tgz``, for the mocked real path.

Test-only. ``tests/harness.py::fake_get_file`` serves it when notebook 10 (``helpers.images.example_folder``) or
``make prefetch`` asks Keras for the real archive: :data:`PER_CLASS` photos of each of the 5 class folders, the
real JPEGs shipped in data/tfds/flower_photos_small under their original names (downscaled to at most 160 px), and
a ``LICENSE.txt`` at the top with the archive's header and each photo's attribution line, as in the real archive.
It hands back what ``keras.utils.get_file`` returns for the same arguments (the unpacked folder, or the archive
itself without ``extract``).
"""
from __future__ import annotations

import functools
import io
import tarfile
from pathlib import Path
from typing import Any

CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
"""The real archive's class folders (tfds ``tf_flowers`` has the same names, in another order)."""
PER_CLASS = 10
"""Photos per class: the notebook's 20 % / 20 % split leaves 6 training, 2 validation and 2 test photos each."""
SHIPPED = "flower_photos_small"
"""The shipped tfds dataset the photos come from (its records keep each photo's ``class/file`` name)."""


@functools.cache
def files() -> dict[str, bytes]:
    """``{path inside the archive: bytes}``: ``flower_photos/<class>/<file>.jpg`` (the first :data:`PER_CLASS` of
    each class the mocked tf_flowers serves) and ``flower_photos/LICENSE.txt``."""
    import tensorflow as tf

    from harness import served_records
    from helpers import standins

    photos: dict[str, bytes] = {}
    for record in served_records(SHIPPED)[:len(CLASSES) * PER_CLASS]:  # classes interleaved: PER_CLASS of each
        feature = tf.train.Example.FromString(record).features.feature
        photos[feature["image/filename"].bytes_list.value[0].decode()] = feature["image"].bytes_list.value[0]
    header, _, body = (standins.DATA_DIR / "flower_photos.LICENSE.txt").read_text(encoding="utf8").partition("\n\n")
    credits = [line for line in body.splitlines() if line.split(" ", 1)[0] in photos]
    assert len(photos) == len(CLASSES) * PER_CLASS == len(credits), "a class short of photos, or a photo uncredited"
    return {"flower_photos/LICENSE.txt": (header + "\n\n" + "\n".join(credits) + "\n").encode(),
            **{f"flower_photos/{name}": content for name, content in sorted(photos.items())}}


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
