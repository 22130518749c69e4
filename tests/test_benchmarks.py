"""benchmarks/transfer_gain.py builds what the notebooks build, and its runs work end to end (1 epoch)."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from benchmarks import transfer_gain
from helpers.catalogue import DATASETS
from helpers.config import PROFILES

ONE_EPOCH = dataclasses.replace(PROFILES["offline"], head_epochs=1, fine_tune_epochs=1)


@pytest.fixture(scope="module")
def five() -> transfer_gain.Run:
    return transfer_gain.Run("glyphs_five", ONE_EPOCH)


def test_each_target_set_uses_its_notebooks_base_head_and_augmentation(five) -> None:
    assert five.splits.class_names == ["two", "four", "five", "seven", "nine"]
    model, base, head = five.network(pretrained=True)
    assert base.name == "vgg16_standin" and not base.trainable
    assert [type(layer).__name__ for layer in head.layers] == [
        "GlobalAveragePooling2D", "Dense", "Dropout", "Dense"]  # exercise 07's head
    assert model.output_shape == (None, 5)
    assert not five.augment and not five.splits.mirror_safe  # glyphs are digits: never mirrored


def test_runs_return_accuracies_and_scratch_reports_its_train_accuracy(five) -> None:
    pre = five.pretrained(seed=0)
    scratch = five.scratch(seed=0, learning_rate=1e-3)
    assert set(pre) == {f"{kind}_{split}" for kind in ("frozen", "fine_tuned") for split in ("validation", "test")}
    assert set(scratch) == {"train", "validation", "test"}
    for value in (*pre.values(), *scratch.values()):
        assert 0.0 <= value <= 1.0
    assert pre["frozen_test"] > 0.2 + 0.15, "one epoch on the pre-trained features already beats chance (0.2) clearly"


def test_benchmark_reads_the_standins_facts_and_not_the_build_script() -> None:
    assert {real for real, _, _ in transfer_gain.TARGETS.values()} <= set(DATASETS)
    assert all(DATASETS[real].standin == name for name, (real, _, _) in transfer_gain.TARGETS.items())
    assert transfer_gain.VGG16_TOP_BLOCK == "block5"
    imports = [node for node in ast.walk(ast.parse(Path(transfer_gain.__file__).read_text(encoding="utf8")))
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    modules = {alias.name for node in imports for alias in node.names} | {
        node.module for node in imports if isinstance(node, ast.ImportFrom)}
    assert "build_offline_assets" not in modules and "scripts" not in Path(transfer_gain.__file__).read_text(
        encoding="utf8").split('"""', 2)[2], "the benchmark must not reach into scripts/"


def test_profile_settings_can_be_changed_for_experiments_only_by_name() -> None:
    changed = transfer_gain.profile_with(["fine_tune_learning_rate=1e-4", "fine_tune_epochs=3"])
    assert (changed.fine_tune_learning_rate, changed.fine_tune_epochs) == (1e-4, 3)
    assert isinstance(changed.fine_tune_epochs, int)
    assert transfer_gain.profile_with([]) == PROFILES["offline"]
    with pytest.raises(SystemExit):
        transfer_gain.profile_with(["learning_rate=1"])
