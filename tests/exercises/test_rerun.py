"""09's pre-trained side (helpers/exercises/rerun.py): 07's and 08's runs on the images its from-scratch run gets."""
from __future__ import annotations

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import catalogue, config, models
from helpers.data import make_pipeline
from helpers.exercises import load_results, rerun
from tiny_answers import compiled, head, vgg


def training_images(cfg: config.Profile) -> int:
    """Images in tf_flowers' training split in profile ``cfg`` (offline: its stand-in's)."""
    spec = catalogue.DATASETS["tf_flowers"]
    if not cfg.real_assets:
        return spec.standin_split_sizes["train"]
    split = catalogue.dataset_splits(spec.name, cfg)[1]["train"]  # e.g. "train[:30%]"
    start, end = re.fullmatch(r"train\[(\d*)%?:(\d*)%?\]", split).groups()
    return round(spec.train_size * int(end or 100) / 100) - round(spec.train_size * int(start or 0) / 100)


def random_images(n: int, size: int) -> tf.data.Dataset:
    """``n`` random ``(image, label)`` examples, made only when read."""
    return tf.data.Dataset.range(n).map(lambda i: (tf.random.stateless_uniform(
        (size, size, 3), seed=tf.stack([i, i]), maxval=255.0), i % 5))


@pytest.mark.parametrize("name", config.PROFILES)
def test_09_compares_both_sides_on_the_same_images_and_epochs_in_every_profile(name, monkeypatch, tmp_path):
    """07 and 08 saved runs on their whole training split; 09's comparison uses them only if it trains on as many."""
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    cfg = config.PROFILES[name]
    train_size = training_images(cfg)
    plan = models.scratch_plan(cfg, train_size)
    saved = {"frozen": {"train_images": train_size, "history": {"loss": [1.0] * cfg.head_epochs}},
             "fine-tuned": {"train_images": train_size, "history": {"loss": [1.0] * cfg.fine_tune_epochs}}}
    base = vgg(size=cfg.image_size, frozen=True)
    preprocess = keras.applications.vgg16.preprocess_input

    def pipeline(n: int, training: bool = False) -> tf.data.Dataset:
        return make_pipeline(random_images(n, cfg.image_size), cfg.image_size, preprocess,
                             batch_size=cfg.batch_size, training=training)

    rng = np.random.default_rng(0)
    features = rng.normal(size=(plan.images, *base.output_shape[1:])).astype("float32"), rng.integers(0, 5, plan.images)
    val_features = features[0][:32], features[1][:32]
    the_head = compiled(head(features=base.output_shape[1:]))
    runs = rerun.rerun_07_and_08(cfg, saved, base, the_head, the_head.get_weights(), train_size=train_size,
                                 datasets=(pipeline(plan.images, True), pipeline(32), pipeline(32)),
                                 features=features, val_features=val_features, seconds_before=0.0)
    assert runs["frozen"]["train_images"] == runs["fine-tuned"]["train_images"] == plan.images
    epochs = [len(runs[run]["history"]["loss"]) for run in ("frozen", "fine-tuned")]
    assert epochs == [cfg.head_epochs, cfg.fine_tune_epochs] and sum(epochs) == plan.epochs
    assert load_results(cfg) == {}, "runs on fewer images than 07's and 08's are not saved as theirs"
    if plan.images < train_size:
        assert base.trainable is False and runs["fine-tuned"]["params_trained"] > runs["frozen"]["params_trained"]


def test_a_missing_run_is_trained_again_on_the_whole_split_and_saved(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    cfg = config.PROFILES["offline"]
    base = vgg(size=cfg.image_size, frozen=True)
    rng = np.random.default_rng(1)
    features = rng.normal(size=(40, *base.output_shape[1:])).astype("float32"), rng.integers(0, 5, 40)
    the_head = compiled(head(features=base.output_shape[1:]))
    train = make_pipeline(random_images(40, cfg.image_size), cfg.image_size,
                          keras.applications.vgg16.preprocess_input, batch_size=cfg.batch_size, training=True)
    runs = rerun.rerun_07_and_08(cfg, {"frozen": {"train_images": 40}}, base, the_head, the_head.get_weights(),
                                 train_size=40, datasets=(train, train, train), features=features,
                                 val_features=features, seconds_before=1.0)
    assert set(load_results(cfg)) == {"frozen", "fine-tuned"} and runs == load_results(cfg)
    assert runs["frozen"]["train_images"] == 40 and runs["frozen"]["seconds"] >= 1.0
