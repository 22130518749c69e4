"""The machine the course runs on (helpers/runtime.py): caches, hosts, GPU, Colab's installs."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from helpers import catalogue, runtime


def test_auto_gives_a_silent_host_its_timeout_not_more_even_when_dns_hangs(monkeypatch):
    def host_answers(host, timeout):
        if host == "tfhub.dev":
            time.sleep(5)  # a DNS lookup that hangs: no socket timeout bounds it
        return True

    monkeypatch.setattr(runtime, "_host_answers", host_answers)
    start = time.perf_counter()
    answers = runtime.hosts_reachable(timeout=0.3)
    assert time.perf_counter() - start < 0.8
    assert answers.pop("tfhub.dev") is False and all(answers.values()) and answers


def test_hub_cache_path_is_the_sha1_of_the_exact_handle(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    assert runtime.hub_cache_path(catalogue.TFHUB_MOBILENET_V2).name == "145bb06ec3b59b08fb564ab752bd5aa222bfb50a"


def test_colab_install_installs_only_what_is_missing(monkeypatch):
    import importlib.util
    import subprocess

    calls = []
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "tf_keras" else object())
    monkeypatch.setattr(subprocess, "run",
                        lambda args, **kw: calls.append(args) or subprocess.CompletedProcess(args, 0, "", ""))
    assert runtime.colab_install() == ["tf-keras"]
    assert calls and calls[0][-1].startswith("tf-keras==") and "tensorflow" not in calls[0]


def test_tfds_prepared_needs_a_version_folder_with_its_dataset_info(tmp_path):
    (tmp_path / "tf_flowers").mkdir()  # what a download that failed half-way leaves behind
    assert not runtime.tfds_prepared("tf_flowers", tmp_path)
    (tmp_path / "tf_flowers" / "3.0.1").mkdir()
    (tmp_path / "tf_flowers" / "3.0.1" / "dataset_info.json").write_text("{}")
    assert runtime.tfds_prepared("tf_flowers", tmp_path) and not runtime.tfds_prepared("cats_vs_dogs", tmp_path)


def test_cache_folders_follow_their_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert runtime.hub_cache_dir() == tmp_path / "hub" and runtime.tfds_data_dir() == tmp_path / "tfds"
    assert runtime.keras_cache_dir() == tmp_path / "keras" / "models"


def test_the_gpu_path_is_simulated_only_inside_the_test_harness(monkeypatch):
    monkeypatch.setenv("COURSE_HARNESS_GPU", "1")
    monkeypatch.setenv("COURSE_HARNESS", "mock-real")
    assert runtime.simulated_gpu() and runtime.gpu_available()
    monkeypatch.delenv("COURSE_HARNESS")
    assert not runtime.simulated_gpu()


@pytest.mark.parametrize("module", ["helpers.runtime", "helpers.catalogue"])
def test_probing_and_the_catalogue_stay_light_at_import(module):
    """setup() imports them before it imports TensorFlow quietly (runtime.import_tensorflow)."""
    code = f"import sys; import {module}; print(sorted({{'keras', 'tensorflow'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_cpu_count_is_the_cores_this_process_may_use(monkeypatch):
    monkeypatch.setattr(runtime.os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)
    assert runtime.cpu_count() == 2
    monkeypatch.delattr(runtime.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(runtime.os, "cpu_count", lambda: None)
    assert runtime.cpu_count() == 1, "an unknown count is one core, never zero"
