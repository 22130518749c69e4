"""The catalogue (helpers/catalogue.py): complete for every base and dataset, and the only place that names them."""
from __future__ import annotations

import ast
import json
from types import SimpleNamespace

import keras
import pytest
import tensorflow_datasets as tfds

from helpers import catalogue, config, data, standins

REPO = standins.REPO_ROOT
NAMES = {*catalogue.MODELS, *catalogue.DATASETS, *(m.handle for m in catalogue.MODELS.values() if m.source == "keras"),
         *(d.standin for d in catalogue.DATASETS.values())}
"""What the catalogue keys its entries by: model and dataset names, Keras class names, stand-in dataset names."""


def _absolute(spec: str, train_size: int) -> range:
    (instruction,) = tfds.core.ReadInstruction.from_spec(spec).to_absolute(
        {"train": SimpleNamespace(num_examples=train_size)})
    return range(instruction.from_ or 0, train_size if instruction.to is None else instruction.to)


@pytest.mark.parametrize("name", sorted(catalogue.DATASETS))
@pytest.mark.parametrize("which", ["splits", "quick_splits"])
def test_split_specs_are_valid_disjoint_and_non_empty_for_the_real_dataset(name, which):
    spec = catalogue.DATASETS[name]
    splits = getattr(spec, which)
    assert set(splits) == {"train", "validation", "test"}
    ranges = {key: _absolute(value, spec.train_size) for key, value in splits.items()}
    assert all(len(r) > 0 for r in ranges.values())
    seen: set[int] = set()
    for r in ranges.values():
        assert not seen & set(r), f"{name} {which}: splits overlap"
        seen |= set(r)


def test_a_split_the_real_dataset_does_not_have_is_caught():
    with pytest.raises(ValueError, match="Unknown split"):
        _absolute("test", catalogue.DATASETS["cats_vs_dogs"].train_size)


@pytest.mark.parametrize("profile, base, expected", [("offline", None, "flower_pair"), ("offline", "mobilenet_v2",
                                                     "flower_pair"), ("offline", "vgg16", "glyphs_binary"),
                                                    ("full", None, "cats_vs_dogs"), ("full", "vgg16", "cats_vs_dogs")])
def test_dataset_splits_follow_the_profile(profile, base, expected):
    name, splits, data_dir = catalogue.dataset_splits("cats_vs_dogs", config.PROFILES[profile], base)
    assert name == expected
    assert (data_dir is None) == config.PROFILES[profile].real_assets
    assert splits["test"] in ("test", "train[90%:]")


def _named_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, name)`` of every comparison with, or dict key of, a string that is a catalogue name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            operands += [e for o in operands if isinstance(o, (ast.Tuple, ast.List, ast.Set)) for e in o.elts]
        elif isinstance(node, ast.Dict):
            operands = [k for k in node.keys if k is not None]
        else:
            continue
        found += [(node.lineno, o.value) for o in operands if isinstance(o, ast.Constant) and o.value in NAMES]
    return found


def test_no_code_outside_the_catalogue_branches_on_a_model_or_dataset_name():
    """A base or a dataset is added by one catalogue entry: no `if name == "vgg16"` or `{"vgg16": ...}` elsewhere."""
    sources = [p for folder in ("helpers", "scripts") for p in sorted((REPO / folder).rglob("*.py"))]
    assert len(sources) > 10
    found = [f"{p.relative_to(REPO)}:{line}: {name!r}" for p in sources if p.name != "catalogue.py"
             for line, name in _named_literals(ast.parse(p.read_text(encoding="utf8")))]
    assert not found, "per-name code outside helpers/catalogue.py:\n" + "\n".join(found)


def test_the_scan_finds_a_branch_on_a_name():
    code = 'if name == "vgg16":\n    pass\nx = "tf_flowers" in names\nPLAN = {"mobilenet_v2": 1}'
    assert [name for _, name in _named_literals(ast.parse(code))] == ["vgg16", "tf_flowers", "mobilenet_v2"]


@pytest.mark.parametrize("name", sorted(catalogue.MODELS))
def test_every_base_has_a_standin_or_says_why_not(name):
    spec = catalogue.MODELS[name]
    if spec.offline_real is not None:  # real ImageNet weights ship in data/ (scripts/build_real_assets.py)
        assert spec.offline_real.exists() and not standins.is_standin(spec.offline_real), name
        assert spec.offline_label.startswith("REAL"), name
    if spec.standin is None:
        assert spec.no_standin or spec.offline_real, f"{name}: no offline form and no reason (ModelSpec.no_standin)"
        return
    assert spec.standin.exists() and standins.is_standin(spec.standin), f"{name}: {spec.standin} is not built"
    if spec.source == "keras":  # loaded by load_base, pre-trained by scripts/build_offline_assets.py
        assert callable(spec.standin_build) and "{label}" in spec.standin_loaded and spec.pretraining
        assert spec.pretraining.batchnorm in ("recalibrate", "fold")
    else:  # exported by scripts/build_offline_assets.py from a keras entry's pre-trained stand-in
        assert catalogue.MODELS[spec.standin_from].pretraining is not None


@pytest.mark.parametrize("name", sorted(catalogue.DATASETS))
def test_every_dataset_has_a_built_standin_with_as_many_classes(name):
    spec = catalogue.DATASETS[name]
    assert (standins.TFDS_DIR / spec.standin).is_dir(), f"{spec.standin}: run python -m scripts.build_offline_assets"
    assert len(spec.standin_classes) == spec.num_classes
    assert (standins.TFDS_DIR / spec.offline).is_dir(), f"{spec.offline}: run python -m scripts.build_real_assets"
    assert len(spec.offline_classes) == spec.num_classes
    assert set(spec.standin_split_sizes) == set(standins.SPLITS)
    assert all(size % spec.num_classes == 0 for size in spec.standin_split_sizes.values()), "balanced classes"


def _real_assets_credits() -> str:
    text = (REPO / "data" / "README.md").read_text(encoding="utf8")
    return text.split("**The real assets the course uses**", 1)[1]


@pytest.mark.parametrize("name", sorted(catalogue.MODELS))
def test_every_base_has_a_licence_line_in_data_readme(name):
    assert f"\n* {catalogue.MODELS[name].family}:" in _real_assets_credits()


@pytest.mark.parametrize("name", sorted(catalogue.DATASETS))
def test_every_dataset_has_a_licence_line_in_data_readme(name):
    assert f"\n* `{name}` (tfds):" in _real_assets_credits()


def _checked_output(notebook: str, call: str) -> list[str]:
    """The kept output lines of the notebook's cell that calls ``call``."""
    cells = json.loads((REPO / "notebooks" / notebook).read_text(encoding="utf8"))["cells"]
    (cell,) = [c for c in cells if c["cell_type"] == "code" and call in "".join(c["source"])
               and "nbval-check-output" in c["metadata"].get("tags", [])]
    return "".join(text for o in cell["outputs"] for text in o.get("text", [])).splitlines()


def test_every_base_has_a_row_in_notebook_02s_catalogue_table():
    rows = _checked_output("02_select_a_pretrained_model.ipynb", "catalogue_table()")
    assert [line.split()[0] for line in rows[1:]] == list(catalogue.MODELS)


def test_every_dataset_has_a_row_in_notebook_00s_catalogue():
    rows = [line.split() for line in _checked_output("00_start_here.ipynb", "DATASETS.values()")]
    assert [row[1] for row in rows if row[0] == "dataset"] == list(catalogue.DATASETS)


@pytest.mark.parametrize("name", sorted(n for n, m in catalogue.MODELS.items() if m.source == "keras"))
def test_a_keras_base_takes_preprocess_input_from_its_own_keras_module(name):
    spec = catalogue.MODELS[name]
    module = getattr(keras.applications, spec.keras_module)
    assert getattr(module, spec.handle) is getattr(keras.applications, spec.handle), "the module holds the class"
    assert data.preprocessing_for(name) is module.preprocess_input is spec.preprocess_input
