"""data/own_images: notebook 10's folder offline: real photos, credited, small, reproducible, and awkward in every
known way."""
from __future__ import annotations

import hashlib
from importlib.metadata import version

import pytest

from helpers import images, standins
from scripts import build_own_images

FOLDER = images.STANDIN_FOLDER
MAX_BYTES = 900_000
DATA_MAX_BYTES = 33_000_000
"""data/ was 13 MB of stand-ins before the real assets; issue 21 allowed them 20 MB more."""


def _shipped() -> dict[str, bytes]:
    return {p.relative_to(FOLDER).as_posix(): p.read_bytes() for p in sorted(FOLDER.rglob("*")) if p.is_file()}


def test_the_builder_writes_where_the_loader_looks():
    assert FOLDER == standins.DATA_DIR / build_own_images.FOLDER_NAME and FOLDER.is_dir()


def test_folder_is_small_and_data_stays_within_its_budget():
    assert sum(len(b) for b in _shipped().values()) <= MAX_BYTES
    assert sum(p.stat().st_size for p in standins.DATA_DIR.rglob("*") if p.is_file()) <= DATA_MAX_BYTES


def test_it_is_real_photos_each_credited():
    """Not a stand-in: every plain photo keeps its flower_photos name and has its CC-BY attribution line."""
    assert not standins.is_standin(FOLDER)
    credited = (FOLDER / "LICENSE.txt").read_text(encoding="utf8")
    plain = [name for name in _shipped() if name.split("/")[-1][0].isdigit()]
    assert len(plain) >= sum(build_own_images.CLASSES.values())
    missing = [name for name in plain if f"\n{name} CC-BY " not in credited]
    assert not missing, missing


def test_every_file_is_listed_in_the_checksums():
    listed = dict(reversed(line.split("  ", 1)) for line in
                  (standins.DATA_DIR / "SHA256SUMS").read_text(encoding="utf8").splitlines())
    for relative, content in _shipped().items():
        assert listed.get(f"own_images/{relative}") == hashlib.sha256(content).hexdigest(), relative


def test_the_build_is_byte_reproducible():
    assert build_own_images.files() == build_own_images.files()


def test_the_shipped_folder_is_what_the_builder_makes():
    """Byte for byte, when the libraries the bytes depend on are the ones the shipped folder was built with."""
    built_with = (FOLDER / "LICENSE.txt").read_text(encoding="utf8").splitlines()[-1]
    here = build_own_images._versions().strip()
    if built_with != here:
        pytest.skip(f"shipped folder: {built_with!r}; this environment: {here!r} (encoders may differ)")
    assert build_own_images.files() == _shipped()


def test_build_replaces_the_folder(tmp_path):
    (tmp_path / "own_images" / "stale").mkdir(parents=True)
    folder = build_own_images.build(tmp_path)
    assert not (folder / "stale").exists() and (folder / "LICENSE.txt").is_file()
    assert (folder / "empty" / ".gitkeep").is_file(), "git keeps the empty class only through a hidden file"


def test_the_report_has_something_to_say_about_every_kind_of_problem():
    splits, report = images.load_image_folder(FOLDER, 64)
    text = str(report)
    expected = [
        "LICENSE.txt: not inside a class folder", "daisy/truncated.jpg: corrupt or truncated",
        "daisy/notes.jpg: not an image", "daisy/empty.jpg: empty file", "daisy/IMG_0002.heic: a HEIC photo",
        "daisy/copy of 100080576_f52e8ee070_n.jpg: duplicate of",
        "dandelion/looks_like_daisy.jpg: the same picture as daisy/", "in another class",
        "daisy/thumbnail.png: too small", "daisy/banner.png: 900×8 px", "CMYK → RGB", "16-bit grayscale",
        "transparent pixels", "EXIF orientation 6", "3 frames (GIF)", "palette (P)",
        "empty: empty folder", "roses: only 1 usable image", "class imbalance: daisy has",
        "__MACOSX/", "daisy/.DS_Store", "daisy/.hidden_thumb.jpg",
    ]
    missing = [line for line in expected if line not in text]
    assert not missing, f"{missing}\n{text}"
    assert splits.class_names == ["daisy", "dandelion", "sunflowers"] and splits.mirror_safe
    assert min(splits.sizes.values()) >= 20, "enough test images for the notebook's accuracy check"


def test_versions_recorded_are_the_installed_ones():
    assert f"pillow {version('pillow')}" in build_own_images._versions()
