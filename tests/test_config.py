"""Profiles, deciding the profile, and the setup banner."""
from __future__ import annotations

import re
import time

import pytest

from helpers import catalogue, config, runtime


pytestmark = pytest.mark.usefixtures("fresh_profile")


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


@pytest.mark.parametrize("gpu, expected", [(False, "quick"), (True, "full")])
def test_auto_picks_a_real_profile_when_hosts_answer(monkeypatch, gpu, expected):
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.setattr(runtime, "gpu_available", lambda: gpu)
    monkeypatch.setattr(runtime, "real_assets_cached", lambda: False)
    monkeypatch.setattr(runtime, "hosts_reachable", lambda: {h: True for h in catalogue.CATALOGUE_HOSTS})
    assert config.resolve_profile().profile.name == expected


def test_auto_uses_cached_real_assets_without_network(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_PROFILE")
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    for spec in catalogue.MODELS.values():
        if spec.source == "tfhub":
            runtime.hub_cache_path(spec.handle).mkdir(parents=True)
            (runtime.hub_cache_path(spec.handle) / "saved_model.pb").write_bytes(b"x")
    for name in catalogue.DATASETS:
        (tmp_path / "tfds" / name).mkdir(parents=True)  # what a failed download leaves behind
    assert not runtime.real_assets_cached(), "an empty dataset folder is not a cached dataset"
    for name in catalogue.DATASETS:
        (tmp_path / "tfds" / name / "1.0.0").mkdir()
        (tmp_path / "tfds" / name / "1.0.0" / "dataset_info.json").write_text("{}")
    resolution = config.resolve_profile()
    assert resolution.profile.name == "quick" and "cached" in resolution.reason


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


@pytest.mark.parametrize("name", list(config.PROFILES))
def test_banner_lines_wrap_between_words_within_its_width(monkeypatch, name):
    monkeypatch.setenv("COURSE_PROFILE", name)
    text = config.banner(config.resolve_profile())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= config.BANNER_WIDTH
    monkeypatch.setattr(config, "BANNER_WIDTH", 10_000)  # unwrapped: one line per item
    unwrapped = config.banner(config.resolve_profile())
    assert len(unwrapped.splitlines()) < len(lines)  # something did wrap
    assert text.split()[1:-1] == unwrapped.split()[1:-1]  # the same words: none was cut


@pytest.mark.parametrize("name", list(config.PROFILES))
def test_banner_change_it_example_offers_another_profile(monkeypatch, name):
    monkeypatch.setenv("COURSE_PROFILE", name)
    text = " ".join(config.banner(config.resolve_profile()).split())
    offered = re.findall(r"`COURSE_PROFILE=(\w+) make lab`", text) + re.findall(r"`%env COURSE_PROFILE=(\w+)`", text)
    assert len(offered) == 2 and set(offered) <= set(config.PROFILES) - {name}


@pytest.mark.parametrize("name", list(config.PROFILES))
def test_banner_brackets_never_nest(monkeypatch, name):
    monkeypatch.setenv("COURSE_PROFILE", name)
    depth = deepest = 0
    for char in config.banner(config.resolve_profile()):
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    assert depth == 0 and deepest <= 1
