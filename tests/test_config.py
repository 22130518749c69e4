"""Profiles, the catalogue and the setup banner."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import tensorflow_datasets as tfds

from helpers import config, runtime


pytestmark = pytest.mark.usefixtures("fresh_profile")


def _absolute(spec: str, train_size: int) -> range:
    (instruction,) = tfds.core.ReadInstruction.from_spec(spec).to_absolute(
        {"train": SimpleNamespace(num_examples=train_size)})
    return range(instruction.from_ or 0, train_size if instruction.to is None else instruction.to)


@pytest.mark.parametrize("name", sorted(config.DATASETS))
@pytest.mark.parametrize("which", ["splits", "quick_splits"])
def test_split_specs_are_valid_disjoint_and_non_empty_for_the_real_dataset(name, which):
    spec = config.DATASETS[name]
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
        _absolute("test", config.DATASETS["cats_vs_dogs"].train_size)


def test_profile_comes_from_the_environment_and_is_decided_once_per_value(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    resolution = config.resolve_profile()
    assert resolution.profile.name == "quick" and "COURSE_PROFILE=quick" in resolution.reason
    assert config.resolve_profile() is resolution, "decided once, not at every call"
    monkeypatch.setenv("COURSE_PROFILE", "offline")  # what `%env COURSE_PROFILE=offline` in a cell does
    assert config.resolve_profile().profile.name == "offline", "a new value is decided again, no restart needed"


def test_unknown_profile_names_the_valid_ones(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="offline, quick, full"):
        config.resolve_profile()


def test_auto_falls_back_to_offline_quickly_when_hosts_are_silent(monkeypatch, tmp_path, network_attempts):
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    start = time.perf_counter()
    resolution = config.resolve_profile()  # the harness makes every connection fail at once
    assert time.perf_counter() - start < 5
    assert resolution.profile.name == "offline"
    assert "tfhub.dev" in resolution.reason and "not cached" in resolution.reason
    assert "tfhub.dev" in network_attempts(), "it asked, and the harness refused"


def test_auto_gives_a_silent_host_its_timeout_not_more_even_when_dns_hangs(monkeypatch):
    def host_answers(host, timeout):
        if host == "tfhub.dev":
            time.sleep(5)  # a DNS lookup that hangs: no socket timeout bounds it
        return True

    monkeypatch.setattr(config, "_host_answers", host_answers)
    start = time.perf_counter()
    answers = config.hosts_reachable(timeout=0.3)
    assert time.perf_counter() - start < 0.8
    assert answers.pop("tfhub.dev") is False and all(answers.values()) and answers


@pytest.mark.parametrize("gpu, expected", [(False, "quick"), (True, "full")])
def test_auto_picks_a_real_profile_when_hosts_answer(monkeypatch, gpu, expected):
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.setattr(config, "gpu_available", lambda: gpu)
    monkeypatch.setattr(config, "real_assets_cached", lambda: False)
    monkeypatch.setattr(config, "hosts_reachable", lambda: {h: True for h in config.CATALOGUE_HOSTS})
    assert config.resolve_profile().profile.name == expected


def test_auto_uses_cached_real_assets_without_network(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    for spec in config.MODELS.values():
        if spec.source == "tfhub":
            config.hub_cache_path(spec.handle).mkdir(parents=True)
            (config.hub_cache_path(spec.handle) / "saved_model.pb").write_bytes(b"x")
    for name in config.DATASETS:
        (tmp_path / "tfds" / name).mkdir(parents=True)  # what a failed download leaves behind
    assert not config.real_assets_cached(), "an empty dataset folder is not a cached dataset"
    for name in config.DATASETS:
        (tmp_path / "tfds" / name / "1.0.0").mkdir()
        (tmp_path / "tfds" / name / "1.0.0" / "dataset_info.json").write_text("{}")
    resolution = config.resolve_profile()
    assert resolution.profile.name == "quick" and "cached" in resolution.reason


def test_hub_cache_path_is_the_sha1_of_the_exact_handle(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    assert config.hub_cache_path(config.TFHUB_MOBILENET_V2).name == "145bb06ec3b59b08fb564ab752bd5aa222bfb50a"


def test_smoke_run_shrinks_the_profile(monkeypatch):
    monkeypatch.setenv("COURSE_SMOKE", "1")
    profile = config.resolve_profile().profile
    assert (profile.image_size, profile.head_epochs, profile.fine_tune_epochs) == (32, 1, 1)


def test_banner_says_profile_reason_how_to_change_and_labels_standins(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "offline")
    text = config.banner(config.resolve_profile())
    for expected in ("Profile: OFFLINE", "Why: COURSE_PROFILE=offline is set", "Change it",
                     "STAND-IN", "TensorFlow", "Keras 3.", "GPU: none", "Change runtime type"):
        assert expected in text


def test_setup_returns_the_profile_and_prints_the_banner(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    profile = config.setup()
    assert profile is config.PROFILES["quick"]
    assert "Profile: QUICK" in capsys.readouterr().out


def test_colab_install_installs_only_what_is_missing(monkeypatch):
    import importlib.util
    import subprocess

    calls = []
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "tf_keras" else object())
    monkeypatch.setattr(subprocess, "run",
                        lambda args, **kw: calls.append(args) or subprocess.CompletedProcess(args, 0, "", ""))
    assert runtime.colab_install() == ["tf-keras"]
    assert calls and calls[0][-1].startswith("tf-keras==") and "tensorflow" not in calls[0]


@pytest.mark.parametrize("profile, expected", [("offline", "glyphs_binary"), ("full", "cats_vs_dogs")])
def test_dataset_splits_follow_the_profile(profile, expected):
    name, splits, data_dir = config.dataset_splits("cats_vs_dogs", config.PROFILES[profile])
    assert name == expected
    assert (data_dir is None) == config.PROFILES[profile].real_assets
    assert splits["test"] in ("test", "train[90%:]")
