"""What the course says about Keras, shown on tiny models: if an upgrade changes a behaviour, a test fails.

Every test here backs sentences the course makes. Its docstring lists them under ``Backs:``, one per line, as
``<file>: "<sentence>"``; :func:`test_every_sentence_backed_here_is_still_where_it_says` checks that each
sentence still stands in that file (notebook cells, markdown, or a Python string literal, whitespace aside), so a
lesson cannot drift away from the test that proves it. ``tests/test_keras_behaviour_*.py`` files follow the same
format and are checked too.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
BACKS_RE = re.compile(r'^\s*(?P<file>[\w./-]+):\s*"(?P<sentence>.+)"\s*$')


# ----------------------------------------------------------------------------------- the sentence check
def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def backed_sentences() -> list[tuple[str, str, str]]:
    """``(test name, file, sentence)`` for every ``Backs:`` line of every behaviour test module."""
    found = []
    for module in sorted(REPO.glob("tests/test_keras_behaviour*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                doc = ast.get_docstring(node) or ""
                if "Backs:" not in doc:
                    continue
                for line in doc.split("Backs:", 1)[1].splitlines():
                    match = BACKS_RE.match(line)
                    if match:
                        found.append((node.name, match["file"], match["sentence"]))
    return found


def _searchable_text(path: Path) -> str:
    """What a reader of ``path`` reads: a notebook's cell sources, a module's string literals, a text file."""
    if path.suffix == ".ipynb":
        return _squash("\n".join("".join(c["source"]) for c in json.loads(path.read_text("utf8"))["cells"]))
    if path.suffix == ".py":  # adjacent literals are one constant in the AST; f-strings keep their literal parts
        strings = [n.value for n in ast.walk(ast.parse(path.read_text("utf8")))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        return _squash("\n".join(strings))
    return _squash(path.read_text(encoding="utf8"))


def test_behaviour_tests_back_sentences():
    assert len(backed_sentences()) >= 10


@pytest.mark.parametrize("test, file, sentence", backed_sentences(), ids=lambda v: str(v)[:40])
def test_every_sentence_backed_here_is_still_where_it_says(test, file, sentence):
    path = REPO / file
    assert path.is_file(), f"{test} backs a sentence in {file}, which does not exist"
    assert _squash(sentence) in _searchable_text(path), f"{test} backs a sentence no longer in {file}: {sentence!r}"


# ----------------------------------------------------------------------------------------- tiny models
def _data(n: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x.sum(axis=1) > 0).astype("float32")[:, None]


def _base_and_model(seed: int = 0) -> tuple[keras.Model, keras.Model]:
    """A two-layer "base" and a model = base + a one-logit head."""
    keras.utils.set_random_seed(seed)
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu", name="low"),
                             keras.layers.Dense(6, activation="relu", name="top")], name="base")
    model = keras.Sequential([keras.Input((4,)), base, keras.layers.Dense(1, name="head")])
    return base, model


def _compile(model: keras.Model, lr: float = 0.05) -> None:
    model.compile(keras.optimizers.SGD(lr), keras.losses.BinaryCrossentropy(from_logits=True))


def _moved(before: list[np.ndarray], layer: keras.layers.Layer) -> bool:
    return any(not np.allclose(a, b) for a, b in zip(before, layer.get_weights()))


# ------------------------------------------------------------------------------------------- behaviours
def test_unfreezing_without_recompiling_trains_nothing_new_recompiling_does():
    """After compile + fit, setting trainable=True does not reach the traced train step until compile runs again.

    Backs:
      notebooks/06_fine_tune.ipynb: "Changing `trainable` only takes effect after `compile`."
    """
    base, model = _base_and_model()
    base.trainable = False
    _compile(model)
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    base.trainable = True  # unfrozen, not recompiled
    before = base.get_layer("top").get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    assert not _moved(before, base.get_layer("top")), "the old train step still holds the frozen variable list"
    _compile(model)
    model.fit(x, y, epochs=2, verbose=0)
    assert _moved(before, base.get_layer("top"))
