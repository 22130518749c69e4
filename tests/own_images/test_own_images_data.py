"""data/own_images: the offline stand-in of notebook 10, small, reproducible, and awkward in every known way."""
from __future__ import annotations

import hashlib
from importlib.metadata import version

import pytest

from helpers import images, standins
from scripts import build_own_images, glyphs

FOLDER = images.STANDIN_FOLDER
MAX_BYTES = 500_000
DATA_MAX_BYTES = 15_000_000


def _shipped() -> dict[str, bytes]:
    return {p.relative_to(FOLDER).as_posix(): p.read_bytes() for p in sorted(FOLDER.rglob("*")) if p.is_file()}


def test_the_builder_writes_where_the_loader_looks():
    assert FOLDER == standins.DATA_DIR / build_own_images.FOLDER_NAME and FOLDER.is_dir()


def test_folder_is_small_and_data_stays_within_its_budget():
    assert sum(len(b) for b in _shipped().values()) <= MAX_BYTES
    assert sum(p.stat().st_size for p in standins.DATA_DIR.rglob("*") if p.is_file()) <= DATA_MAX_BYTES


def test_it_is_labelled_a_stand_in():
    assert "STAND-IN" in (FOLDER / standins.MARKER).read_text(encoding="utf8")
    assert standins.is_standin(FOLDER)


def test_every_file_is_listed_in_the_checksums():
    listed = dict(reversed(line.split("  ", 1)) for line in
                  (standins.DATA_DIR / "SHA256SUMS").read_text(encoding="utf8").splitlines())
    for relative, content in _shipped().items():
        assert listed.get(f"own_images/{relative}") == hashlib.sha256(content).hexdigest(), relative


_MISSING_FONTS = [name for name in glyphs.FONT_FILES if not (glyphs._font_dir() / name).is_file()]
needs_the_fonts = pytest.mark.skipif(bool(_MISSING_FONTS), reason=f"this matplotlib lacks the builder's fonts "
                                     f"{_MISSING_FONTS} (the builder runs in the main environment)")


@needs_the_fonts
def test_the_build_is_byte_reproducible():
    assert build_own_images.files() == build_own_images.files()


def test_the_shipped_folder_is_what_the_builder_makes():
    """Byte for byte, when the libraries the bytes depend on are the ones the shipped folder was built with."""
    built_with = (FOLDER / standins.MARKER).read_text(encoding="utf8").splitlines()[-1]
    here = build_own_images._versions().strip()
    if built_with != here:
        pytest.skip(f"shipped folder: {built_with!r}; this environment: {here!r} (encoders may differ)")
    assert build_own_images.files() == _shipped()


@needs_the_fonts
def test_build_replaces_the_folder(tmp_path):
    (tmp_path / "own_images" / "stale").mkdir(parents=True)
    folder = build_own_images.build(tmp_path)
    assert not (folder / "stale").exists() and (folder / standins.MARKER).is_file()
    assert (folder / "empty" / ".gitkeep").is_file(), "git keeps the empty class only through a hidden file"


def test_the_report_has_something_to_say_about_every_kind_of_problem():
    splits, report = images.load_image_folder(FOLDER, 64)
    text = str(report)
    expected = [
        "STAND-IN", "zero/truncated.jpg: corrupt or truncated", "zero/notes.jpg: not an image",
        "zero/empty.jpg: empty file", "zero/IMG_0001.heic: a HEIC photo", "zero/copy of 000.jpg: duplicate of",
        "one/looks_like_zero.jpg: the same picture as zero/001.jpg, in another class",
        "zero/thumbnail.png: too small", "zero/banner.png: 900×8 px", "CMYK → RGB", "16-bit grayscale",
        "transparent pixels", "EXIF orientation 6", "3 frames (GIF)", "palette (P)",
        "empty: empty folder", "seven: only 1 usable image", "class imbalance: zero has",
        "__MACOSX/", "zero/.DS_Store", "zero/.hidden_thumb.jpg",
    ]
    missing = [line for line in expected if line not in text]
    assert not missing, f"{missing}\n{text}"
    assert splits.class_names == ["one", "six", "zero"] and not splits.mirror_safe
    assert min(splits.sizes.values()) >= 20, "enough test images for the notebook's accuracy check"


def test_versions_recorded_are_the_installed_ones():
    assert f"pillow {version('pillow')}" in build_own_images._versions()
