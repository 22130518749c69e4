"""Every data-dependent check in the notebooks, the profiles it asserts in, and where it was shown to hold.

A *data-dependent check* is an ``expect(...)``, ``assert`` or ``np.testing.assert_*`` whose outcome depends on
what the data and the training give: an accuracy, a gain, a tolerance, a speed ratio. Checks of versions, shapes,
epoch numbers or weights that must not move are not; they are listed in :data:`NOT_DATA`, so that every check in
every notebook (00-11 and notebooks/solutions) is in one of the two lists.

How to edit: a check is found by a fragment of its message (of its code when it has no message), unique in its
notebook. :data:`CHECKS` holds one :class:`Check` per data-dependent check: the notebook's number (for 07-09 it
covers the solution and the student copy), the fragment, the profiles it asserts in exactly as the notebook says
(``expect(..., profiles=("offline",))``; ``ALL`` for an unguarded check or a plain ``assert``), ``verified``:
where it was shown to hold, and ``real``: True when that evidence includes real data (real photos and real
weights, in the offline run or a benchmark in benchmarks/results/), not only the stand-ins. The tests fail when

* a notebook holds a check that is in neither list, or a row names a check no notebook holds;
* a row's profiles differ from the notebook's;
* a check asserts in ``quick`` or ``full`` and its row has no real-data evidence: measure it on real data, or
  guard it with ``profiles=("offline",)`` (then it prints elsewhere whether it holds).

``todo`` marks a row known to break the last rule: its test is an expected failure, and a strict one, so once the
row has real-data evidence (or a guard), remove ``todo``.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.config import PROFILES
from scripts.nbtools import notebook_paths

ALL = tuple(PROFILES)
OFFLINE = ("offline",)
NBVAL = "offline nbval run (stand-ins)"


@dataclass(frozen=True)
class Check:
    notebook: str
    message: str
    profiles: tuple[str, ...]
    verified: str
    real: bool = False
    todo: str = ""


REAL_RUN = "offline nbval run on real photos and real ImageNet MobileNetV2 (alpha 0.35)"
BENCH = "benchmarks/results/real_photos.json (roses vs tulips, real photos, 3 seeds)"

CHECKS = [
    Check("00", "a frozen pre-trained base and a new head beat chance (50%) clearly", OFFLINE,
          REAL_RUN + ": 81.2% validation after 5 epochs on the 200 training photos (issue 22 item 15)", real=True),
    Check("01", "pre-trained features beat random ones by 15+ points", ALL,
          REAL_RUN + ": 86.3% vs 45.0% validation, the random base's BatchNorm statistics re-estimated (issue 22 "
          "item 17)", real=True),
    Check("01", "a head on the random base's features stays near chance (50%)", OFFLINE,
          REAL_RUN + ": 45.0% validation; six other random initialisations gave 41-54%, measured for issue 22 item "
          "17", real=True),
    Check("02", "VGG16 is the slowest of the four on a CPU", OFFLINE,
          "offline nbval run (random weights: speed does not depend on them): compiled inference at 64 px on 2 CPU "
          "cores, MobileNetV2 346 > EfficientNetB0 212 > ResNet50 51 > VGG16 8 images/s"),
    Check("03", "the expected preprocessing beats raw pixels by 5+ points", ALL,
          REAL_RUN + ": 86.3% vs 61.3% validation", real=True),
    Check("05", "beats chance (50%) by 15+ points", ALL,
          REAL_RUN + ": 76.7% test; " + BENCH + ": frozen base 77-79% test", real=True),
    Check("05", "an epoch on cached features is faster than recomputing the base", ALL,
          REAL_RUN + ": 5x", real=True),
    Check("06", "a 100x learning rate does worse than the low one", OFFLINE,
          REAL_RUN + ": 1e-2 falls to chance (50.0%), 1e-4 keeps 80+% validation; quick/full's 100x is 1e-3, not "
          "measured", real=True),
    Check("06", "on 200 photos fine-tuning adds less than 5 points", ALL, BENCH + " (the stored figures)", real=True),
    Check("06", "the frozen base beats both networks trained from scratch by 10+ points", ALL,
          BENCH + " (the stored figures)", real=True),
    Check("06", "reloaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-5", ALL, REAL_RUN,
          real=True),
    Check("06", "served(photo.numpy()), expected[i:i + 1], atol=export_tolerance(expected)", ALL,
          REAL_RUN + "; tests/test_metrics.py (export_tolerance: measured in float32, float16, bfloat16 on real "
          "MobileNetV2 and real photos)", real=True),
    Check("08", "fine-tuning block5 gains at least 2 points of validation accuracy", OFFLINE, NBVAL),
    Check("09", "beats VGG16 trained from scratch by at least 20 points", OFFLINE,
          NBVAL + "; benchmarks/results/transfer_gain.jsonl (glyphs_five, VGG16 stand-in, 3 seeds: frozen 86.6%, "
          "from scratch 22.4% on test)"),
    Check("09", "the pre-trained base is ahead at every training-set size", OFFLINE, NBVAL),
    Check("09", "stays within 15 points of chance on validation at every size", OFFLINE,
          NBVAL + "; benchmarks/results/transfer_gain.jsonl (from scratch 22.4% on test, chance 20%)"),
    Check("10", "the fine-tuned model beats chance by 20+ points on test", ALL,
          REAL_RUN + " (101 real photos, 3 classes): 71.4% test vs 33% chance", real=True),
    Check("10", "from_files, test_logits[:len(raw_photos)], atol=export_tolerance(test_logits)", ALL,
          REAL_RUN + "; tests/own_images (a phone-sized JPEG through the export)", real=True),
    Check("11", "distributed fine-tuning does not lose accuracy", ALL,
          REAL_RUN + ": head 80.0%, fine-tuned on 2 replicas 92.5% validation", real=True),
    Check("11", "the streamed images carry the labels the model learned", ALL,
          REAL_RUN + ": 100% on the streamed training photos", real=True),
]

NOT_DATA = [  # (notebook, fragment, why it does not depend on the data)
    ("00", "This course needs Keras 3", "a version"),
    ("04", "only the head (one weight per feature + a bias) trains", "a weight count"),
    ("04", "the legacy route should run", "a subprocess's exit code and output"),
    ("06", "BatchNorm's statistics stayed put", "frozen weights do not move, whatever the data"),
    ("05", "the seed repeats the last head epoch's number", "an epoch number"),
    ("05", "and runs one epoch more than fine_tune_epochs", "an epoch count"),
    ("09", "Every rate of the grid diverged", "stops with what to do, claims nothing"),
    ("10", "the second fit should have resumed at epoch 2", "an epoch number"),
    ("11", "[shape[0] for shape in per_replica]", "batch shapes"),
    ("11", "the second call resumed after the last backed-up epoch", "an epoch number"),
    ("11", "parallel or not, decoding an image costs about the same CPU time", "reads the stored decode benchmark, "
     "the same file in every profile (medians of 5 rounds on synthetic photo-sized JPEGs; "
     "tests/test_decode_pipeline.py checks how it was made)"),
    ("11", "reading cached images is far cheaper than decoding JPEGs", "reads the stored decode benchmark, the same "
     "file in every profile (its medians)"),
    ("12", "the sweep left the weights changed", "the sweep's callback puts the weights back, whatever the data"),
    ("12", "the base at 1/10 of the head's rate beats the base trained at the head's rate", "reads the stored "
     "layer-wise benchmark, the same file in every profile (means of 3 seeds on real photos)"),
    ("12", "layer-wise rates and one low rate for everything end within 5 points", "reads the stored layer-wise "
     "benchmark, the same file in every profile (means of 3 seeds on real photos)"),
]  # the exercises' qN.check() cells are not asserts: nbval compares their stored "Correct" line instead


@dataclass(frozen=True)
class Found:
    notebook: str
    text: str  # the check's message, or its code when it has none
    profiles: tuple[str, ...]


def _text(node: ast.AST | None, source: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return (ast.get_source_segment(source, node) or "") if node is not None else ""


def checks_in(path: Path) -> list[Found]:
    """Every ``expect(...)``, ``assert`` and ``np.testing.assert_*`` in the code cells of notebook ``path``."""
    from IPython.core.inputtransformer2 import TransformerManager

    found = []
    for cell in json.loads(path.read_text("utf8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = TransformerManager().transform_cell("".join(cell["source"]))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Assert):
                found.append(Found(path.name[:2], _text(node.msg or node.test, source), ALL))
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "expect":
                    guard = next((k.value for k in node.keywords if k.arg == "profiles"), None)
                    profiles = ALL if guard is None else tuple(ast.literal_eval(guard))
                    message = node.args[1] if len(node.args) > 1 else next(
                        (k.value for k in node.keywords if k.arg == "message"), None)
                    found.append(Found(path.name[:2], _text(message, source), profiles))
                elif name.startswith("assert_") and ".testing." in (ast.get_source_segment(source, node.func) or ""):
                    found.append(Found(path.name[:2], _text(node, source), ALL))
    return found


FOUND = [check for path in notebook_paths() for check in checks_in(path)]


def _rows(found: Found) -> list[Check | tuple[str, str, str]]:
    """The rows of both lists that name ``found``."""
    return ([row for row in CHECKS if row.notebook == found.notebook and row.message in found.text]
            + [row for row in NOT_DATA if row[0] == found.notebook and row[1] in found.text])


def test_the_notebooks_hold_checks_to_classify():
    assert len(FOUND) > len(CHECKS) and {f.notebook for f in FOUND} >= {"01", "06", "09", "11"}


def test_every_check_in_the_notebooks_has_exactly_one_row():
    unlisted = [f"{f.notebook}: {f.text!r}" for f in FOUND if len(_rows(f)) != 1]
    assert not unlisted, "add each to CHECKS (data-dependent) or NOT_DATA, with a fragment unique in its notebook"


def test_every_row_names_a_check_a_notebook_holds():
    gone = [row for row in CHECKS if not any(f.notebook == row.notebook and row.message in f.text for f in FOUND)]
    gone += [row for row in NOT_DATA if not any(f.notebook == row[0] and row[1] in f.text for f in FOUND)]
    assert not gone, "remove (or correct) these rows"


@pytest.mark.parametrize("row", CHECKS, ids=lambda row: f"{row.notebook} {row.message[:40]}")
def test_each_row_gives_the_profiles_its_check_asserts_in(row):
    profiles = {f.profiles for f in FOUND if f.notebook == row.notebook and row.message in f.text}
    assert profiles == {row.profiles}


@pytest.mark.parametrize("row", [pytest.param(row, marks=pytest.mark.xfail(reason=row.todo, strict=True))
                                 if row.todo else row for row in CHECKS],
                         ids=lambda row: f"{row.notebook} {row.message[:40]}")
def test_a_check_that_asserts_on_real_data_was_verified_on_real_data(row):
    assert row.real or set(row.profiles) <= {"offline"}, (
        f"{row.notebook}: {row.message!r} asserts in {row.profiles} but was verified only on {row.verified}: "
        "measure it on real data, or guard it with profiles=('offline',)")
