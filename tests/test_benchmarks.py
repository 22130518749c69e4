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


# ------------------------------------------------------------------------------------- benchmarks/real_photos.py
import json  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import real_photos  # noqa: E402
from helpers.benchmark_results import load_benchmark_result  # noqa: E402
from helpers.config import SCRATCH_LEARNING_RATES  # noqa: E402


def test_real_photos_results_file_holds_every_configuration_and_seed_the_script_defines() -> None:
    stored = load_benchmark_result(real_photos.NAME)
    assert set(stored["configurations"]) == {c.name for c in real_photos.CONFIGURATIONS}
    assert stored["seeds"] == list(real_photos.SEEDS) and len(real_photos.SEEDS) >= 3
    assert stored["profile"] == {k: v for k, v in dataclasses.asdict(PROFILES["offline"]).items() if k != "summary"}
    assert stored["recipes"] == json.loads(json.dumps(real_photos.recipes(PROFILES["offline"])))
    assert stored["datasets"]["cats_vs_dogs"]["sizes"] == {"train": 200, "validation": 80, "test": 120}
    for name, figures in stored["configurations"].items():
        for split in real_photos.SPLITS:
            per_seed = figures[split]["per_seed"]
            assert len(per_seed) == len(real_photos.SEEDS), name
            assert all(0.0 <= a <= 1.0 for a in per_seed), name
            assert figures[split]["mean"] == pytest.approx(float(np.mean(per_seed)), abs=1e-4), name
            assert figures[split]["std"] == pytest.approx(float(np.std(per_seed, ddof=1)), abs=1e-4), name
        assert len(figures["seconds"]["per_seed"]) == len(real_photos.SEEDS), name
        if "/scratch_" in name:
            assert figures["learning_rate"] in SCRATCH_LEARNING_RATES, name
    for key in ("command", "date", "wall_seconds"):
        assert stored[key], key
    assert {"cpu_cores", "cpu_model", "tensorflow", "keras", "python"} <= set(stored["machine"])


def test_real_photos_configurations_cover_every_approach_with_and_without_augmentation() -> None:
    names = {c.name for c in real_photos.CONFIGURATIONS}
    for approach in ("frozen", "fine_tuned_offline", "fine_tuned_quick_full", "scratch_vgg16", "scratch_small_cnn"):
        assert {f"cats_vs_dogs/{approach}/plain", f"cats_vs_dogs/{approach}/augmented"} <= names
    assert real_photos.FINE_TUNING["fine_tuned_offline"] == real_photos.FineTuning(54, 1e-4, ("offline",))
    assert (real_photos.FINE_TUNING["fine_tuned_quick_full"].fine_tune_at,
            real_photos.FINE_TUNING["fine_tuned_quick_full"].learning_rate) == (107, 1e-5)


def test_real_photos_scratch_run_chooses_its_rate_once_on_the_shipped_photos() -> None:
    tiny = dataclasses.replace(PROFILES["offline"], image_size=32, head_epochs=1, fine_tune_epochs=1)
    chosen = (real_photos.Configuration("cats_vs_dogs", "scratch_small_cnn", True),)
    figures, facts = real_photos.run(chosen, (0, 1), tiny, (1e-3, 3e-4), lambda line: None)
    assert facts["cats_vs_dogs"]["classes"] == ["roses", "tulips"] and facts["cats_vs_dogs"]["flips"]
    cnn = figures["cats_vs_dogs/scratch_small_cnn/augmented"]
    for split in real_photos.SPLITS:
        assert len(cnn[split]["per_seed"]) == 2 and all(0.0 <= a <= 1.0 for a in cnn[split]["per_seed"])
    assert set(cnn["grid"]) == {"0.001", "0.0003"}  # the first run's grid; the second seed trains at its choice
    chosen_run = cnn["grid"][str(cnn["learning_rate"])]
    assert chosen_run["validation"] == max(run["validation"] for run in cnn["grid"].values())
    assert cnn["learning_rate_chosen_by"] == "cats_vs_dogs/scratch_small_cnn/augmented seed 0"
    assert cnn["validation"]["per_seed"][0] == chosen_run["validation"]  # the grid's run is the first seed's


# --------------------------------------------------------------------------------- benchmarks/layerwise_rates.py
from benchmarks import layerwise_rates  # noqa: E402


def test_layerwise_results_file_holds_every_configuration_and_seed_with_its_rates() -> None:
    stored = load_benchmark_result(layerwise_rates.NAME)
    assert stored["seeds"] == list(layerwise_rates.SEEDS) and len(layerwise_rates.SEEDS) >= 3
    assert set(stored["configurations"]) == set(layerwise_rates.CONFIGURATIONS)
    for name, (head_rate, base_rate) in layerwise_rates.CONFIGURATIONS.items():
        figures = stored["configurations"][name]
        assert (figures["head_learning_rate"], figures["base_learning_rate"]) == (head_rate, base_rate)
        for split in ("validation", "test"):
            assert len(figures[split]["per_seed"]) == len(layerwise_rates.SEEDS)
            assert figures[split]["mean"] == round(float(np.mean(figures[split]["per_seed"])), 4)


def test_the_benchmark_runs_the_notebooks_own_two_rate_model() -> None:
    code = layerwise_rates.notebook_code("build_head", "compile_binary", "TwoRateModel")
    assert code["TwoRateModel"].train_step.__code__.co_filename == layerwise_rates.NOTEBOOK.name
