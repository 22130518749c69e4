"""data/: the real assets and the stand-ins, intact, loadable the way the course loads the real assets, trainable."""
from __future__ import annotations

import hashlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from helpers import standins  # noqa: E402
from helpers.catalogue import DATASETS, MODELS  # noqa: E402
from helpers.standins import DATA_DIR, MARKER as STANDIN_MARKER, TFDS_DIR  # noqa: E402

TARGETS = {d.standin: (list(d.standin_classes), d.standin_split_sizes) for d in DATASETS.values()}
"""Stand-in dataset -> (class names, split sizes), as the catalogue (helpers/catalogue.py) declares them."""


def test_checksums_cover_and_match_every_shipped_file() -> None:
    listed = {}
    for line in (DATA_DIR / "SHA256SUMS").read_text(encoding="utf8").splitlines():
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
    shipped = {p.relative_to(DATA_DIR).as_posix() for p in DATA_DIR.rglob("*") if p.is_file()}
    assert shipped - {"SHA256SUMS", "README.md"} == set(listed)
    bad = [rel for rel, digest in listed.items()
           if hashlib.sha256((DATA_DIR / rel).read_bytes()).hexdigest() != digest]
    assert not bad, f"changed since SHA256SUMS was written: {bad}"


def test_catalogue_points_at_the_shipped_standins() -> None:
    assert {d.standin for d in DATASETS.values()} == set(TARGETS)
    for spec in MODELS.values():
        if spec.standin is not None:
            assert spec.standin.exists(), spec.standin
            assert standins.is_standin(spec.standin)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_dataset_loads_like_a_real_tfds_dataset(name: str) -> None:
    import tensorflow_datasets as tfds

    names, sizes = TARGETS[name]
    for split, size in sizes.items():
        ds, info = tfds.load(name, data_dir=str(TFDS_DIR), split=split, as_supervised=True, with_info=True,
                             download=False)
        assert info.features["label"].names == names
        assert info.splits[split].num_examples == size
        labels = []
        for image, label in ds.batch(1000):
            assert image.dtype == tf.uint8 and tuple(image.shape[1:]) == (standins.IMAGE_SIZE,) * 2 + (3,)
            labels.append(label.numpy())
        labels = np.concatenate(labels)
        assert len(labels) == size
        assert np.bincount(labels, minlength=len(names)).tolist() == [size // len(names)] * len(names)
    image = next(iter(ds.take(1)))[0].numpy()
    assert image.std() > 20, "an image with structure, not a flat colour"


KERAS_MOBILENET_V2_035_SHA256 = "df1c3db1d0d9193719c4c70f707c56f7021f999f825bdc57454c275cf6def19f"


def test_every_standin_folder_is_marked_and_the_real_weights_are_not() -> None:
    folders = [standins.MOBILENET_V2_DIR, standins.MOBILENET_V2_CLASSIFIER, standins.VGG16_DIR]
    for folder in folders:
        text = (folder / STANDIN_MARKER).read_text(encoding="utf8")
        assert "STAND-IN" in text
    assert standins.is_standin(standins.VGG16_WEIGHTS)
    assert not standins.is_standin(DATA_DIR)
    for real in (standins.MOBILENET_V2_IMAGENET_WEIGHTS, standins.MOBILENET_V2_IMAGENET_FEATURE_VECTOR):
        assert real.exists() and not standins.is_standin(real)


def test_the_real_weights_are_keras_own_file() -> None:
    """Byte for byte the file keras.applications downloads (its published SHA-256; see data/README.md)."""
    digest = hashlib.sha256(standins.MOBILENET_V2_IMAGENET_WEIGHTS.read_bytes()).hexdigest()
    assert digest == KERAS_MOBILENET_V2_035_SHA256


def test_mobilenet_v2_weights_load_through_keras_applications() -> None:
    kwargs = dict(input_shape=(64, 64, 3), alpha=standins.MOBILENET_V2_ALPHA, include_top=False)
    base = keras.applications.MobileNetV2(weights=str(standins.MOBILENET_V2_WEIGHTS), **kwargs)
    random = keras.applications.MobileNetV2(weights=None, **kwargs)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    out = base(x, training=False).numpy()
    assert out.shape == (2, 2, 2, 1280)
    again = keras.applications.MobileNetV2(weights=str(standins.MOBILENET_V2_WEIGHTS), **kwargs)
    np.testing.assert_array_equal(again(x, training=False).numpy(), out)
    assert not np.allclose(random(x, training=False).numpy(), out), "weights were not loaded"


@pytest.mark.parametrize("folder, width", [("feature_vector", 1280), ("classifier", 26)])
def test_hub_savedmodel_runs_and_fine_tunes(folder: str, width: int) -> None:
    import tensorflow_hub as hub

    path = {"feature_vector": standins.MOBILENET_V2_IMAGENET_FEATURE_VECTOR,
            "classifier": standins.MOBILENET_V2_CLASSIFIER}[folder]
    m = hub.load(str(path))
    x = tf.random.stateless_uniform((3, 64, 64, 3), seed=(1, 2))
    assert m(x, training=False).shape == (3, width)
    assert m(tf.image.resize(x, (96, 96)), training=False).shape == (3, width), "any input size"
    assert len(m.trainable_variables) > 100 and len(m.variables) > len(m.trainable_variables)
    assert list(m.regularization_losses) == []
    fine_tunable = folder == "feature_vector"  # the classifier is traced for inference only (used frozen)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(m(x, training=fine_tunable)))
    grads = tape.gradient(loss, m.trainable_variables)
    missing = [v.name for v, g in zip(m.trainable_variables, grads) if g is None]
    assert not missing, f"no gradient reaches {missing}"
    if folder == "classifier":
        assert len(standins.source_classes()) == width
        with pytest.raises((TypeError, ValueError)):
            m(x, training=True)


def test_hub_feature_vector_matches_the_keras_weights() -> None:
    import tensorflow_hub as hub

    m = hub.load(str(standins.MOBILENET_V2_IMAGENET_FEATURE_VECTOR))
    base = keras.applications.MobileNetV2(input_shape=(64, 64, 3), alpha=standins.MOBILENET_V2_ALPHA,
                                          include_top=False, weights=str(standins.MOBILENET_V2_IMAGENET_WEIGHTS),
                                          pooling="avg")
    x = tf.random.stateless_uniform((2, 64, 64, 3), seed=(3, 4))
    np.testing.assert_allclose(m(x, training=False).numpy(), base(x * 2 - 1, training=False).numpy(),
                               rtol=1e-4, atol=1e-4)


def test_vgg16_standin_layout_and_weights() -> None:
    model = standins.vgg16_standin(weights=standins.VGG16_WEIGHTS)
    vgg_names = [layer.name for layer in keras.applications.VGG16(weights=None, include_top=False,
                                                                   input_shape=(64, 64, 3)).layers[1:]]
    assert [layer.name for layer in model.layers[1:]] == vgg_names
    assert model.output_shape == (None, 2, 2, standins.VGG16_FILTERS[-1])
    random = standins.vgg16_standin()
    x = keras.applications.vgg16.preprocess_input(
        np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32"))
    assert not np.allclose(model(x).numpy(), random(x).numpy())
    top = standins.vgg16_standin(include_top=True, classes=5)
    assert [layer.name for layer in top.layers[-4:]] == ["flatten", "fc1", "fc2", "predictions"]
    assert top.output_shape == (None, 5)


def test_batchnorm_folds_exactly_into_the_plain_vgg16_standin() -> None:
    keras.utils.set_random_seed(5)
    twin = standins.vgg16_standin((32, 32, 3), batch_norm=True)
    assert "block1_bn1" in [layer.name for layer in twin.layers]
    for layer in twin.layers:  # trained-looking statistics, not the initial 0 / 1
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.gamma.shape[0]
            rng = np.random.default_rng(len(layer.name) + n)
            layer.set_weights([rng.uniform(0.5, 2, n), rng.normal(0, 0.5, n), rng.normal(0, 1, n),
                               rng.uniform(0.5, 3, n)])
    plain = standins.vgg16_standin((32, 32, 3))
    standins.fold_batchnorm(twin, plain)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in plain.layers)
    x = keras.applications.vgg16.preprocess_input(
        np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32"))
    expected = twin(x, training=False).numpy()
    assert np.abs(expected).max() > 0.1
    np.testing.assert_allclose(plain(x).numpy(), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_precise_batchnorm_sets_the_statistics_of_the_whole_set() -> None:
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    x = np.random.default_rng(0).normal(5.0, 2.0, (64, 3)).astype("float32")
    standins.recalibrate_batchnorm(model, x, batch=len(x), batches=1)  # as benchmarks/transfer_gain.py calls it
    bn = model.layers[-1]
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(axis=0), rtol=1e-3)
    assert bn.momentum == 0.99, "the layer's own momentum is put back"


def test_recalibrated_statistics_average_the_batches() -> None:
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(inputs))
    x = np.random.default_rng(1).normal(-3.0, 0.5, (400, 2)).astype("float32")
    standins.recalibrate_batchnorm(model, x, batch=50, batches=4, seed=7)
    order = np.random.default_rng(7).permutation(len(x))
    means = [x[order[k * 50:(k + 1) * 50]].mean(axis=0) for k in range(4)]
    np.testing.assert_allclose(model.layers[-1].moving_mean.numpy(), np.mean(means, axis=0), rtol=1e-4)


def test_standins_module_stays_light_at_import() -> None:
    import subprocess

    code = "import sys; import helpers.standins; print(sorted({'keras', 'tensorflow', 'numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=standins.REPO_ROOT).stdout.strip()
    assert out == "[]"


REAL = {d.offline: list(d.offline_classes) for d in DATASETS.values()}
"""Real-photo dataset -> class names in label order, as the catalogue declares them."""


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_photo_dataset_is_traceable_and_does_not_leak(name: str) -> None:
    """Every photo keeps its original name, has its attribution line, and sits in exactly one split."""
    import tensorflow_datasets as tfds

    from scripts import build_real_assets

    credited = {line.split(" ", 1)[0] for line in build_real_assets.LICENSE_FILE.read_text(encoding="utf8")
                .splitlines()[1:] if line.strip()}
    builder = tfds.builder(name, data_dir=str(TFDS_DIR))
    assert builder.info.features["label"].names == REAL[name]
    seen: dict[str, str] = {}
    for split in ("train", "validation", "test"):
        ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})
        counts = np.zeros(len(REAL[name]), int)
        for example in ds.as_numpy_iterator():
            filename = example["image/filename"].decode()
            assert filename.split("/")[0] == REAL[name][example["label"]], filename
            assert filename in credited, f"{filename} has no attribution line"
            digest = hashlib.sha256(example["image"]).hexdigest()
            assert digest not in seen, f"{filename} ({split}) is a copy of {seen[digest]}"
            seen[digest] = f"{filename} ({split})"
            counts[example["label"]] += 1
        if split in build_real_assets.PER_CLASS:
            assert counts.tolist() == [build_real_assets.PER_CLASS[split]] * len(REAL[name])
    image = next(iter(tfds.load(name, data_dir=str(TFDS_DIR), split="train", as_supervised=True).take(1)))[0]
    assert image.dtype == tf.uint8 and max(image.shape[:2]) <= build_real_assets.LONG_SIDE
