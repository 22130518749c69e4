"""What notebook 11 (scale up) says about Keras and tf.data, shown on tiny models (``Backs:`` as everywhere here).

Two behaviours need two replicas, and logical devices can only be made before TensorFlow's runtime starts: they
run in a process of their own (this file run as a script, ``python <this file> replicas``), which prints one
JSON line.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

REPO = Path(__file__).resolve().parents[2]


class StepsSeen(keras.callbacks.Callback):
    """Records ``fit``'s step count (``params["steps"]``, what the progress bar counts to) and the batch calls."""

    def __init__(self):
        super().__init__()
        self.steps, self.batch_calls = [], 0

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append(self.params["steps"])

    def on_train_batch_end(self, batch, logs=None):
        self.batch_calls += 1


def _tiny_model(steps_per_execution: int = 1) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse", steps_per_execution=steps_per_execution)
    return model


def _stream(n: int = 20) -> tf.data.Dataset:
    """``n`` examples whose count tf.data cannot know (a filter hides it), like records read from files."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=(n, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).filter(lambda *_: True)


def test_assert_cardinality_gives_fit_its_step_count_and_the_data_end_the_epoch():
    """Without assert_cardinality fit does not know the steps, with it it does; the epoch ends with the data either way.

    Backs:
      notebooks/11_scale_up.ipynb: "`assert_cardinality` tells tf.data how many records there are (and fails if that is wrong;"
      notebooks/11_scale_up.ipynb: "so `fit` knows the number of steps per epoch and its progress bar has an end."
      notebooks/11_scale_up.ipynb: "Where an epoch ends is still decided by the data: when the stream runs out"
    """
    unknown = _stream()
    known = _stream().apply(tf.data.experimental.assert_cardinality(20))
    assert unknown.cardinality() == tf.data.UNKNOWN_CARDINALITY and known.cardinality() == 20
    for dataset, steps in ((unknown, None), (known, 5)):
        seen = StepsSeen()
        _tiny_model().fit(dataset.batch(4), epochs=2, verbose=0, callbacks=[seen])
        assert seen.steps[-1] == steps, "fit's step count (the progress bar's end) comes from the cardinality"
        assert seen.batch_calls == 2 * 5, "both epochs end where the 20 examples do"
    wrong = _stream().apply(tf.data.experimental.assert_cardinality(21))
    with pytest.raises(tf.errors.FailedPreconditionError, match="expected to contain 21 elements"):
        list(wrong)


def test_cosine_decay_warms_up_linearly_to_its_target_then_decays():
    """CosineDecay with warmup_target/warmup_steps: a straight line up to the target, then the cosine decay.

    Backs:
      notebooks/11_scale_up.ipynb: "`keras.optimizers.schedules.CosineDecay(..., warmup_target=..., warmup_steps=...)` rises linearly to `warmup_target` over `warmup_steps` steps, then decays."
    """
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=100, warmup_target=4e-3, warmup_steps=10)
    rates = [float(schedule(step)) for step in range(0, 111)]
    np.testing.assert_allclose(rates[:11], np.linspace(1e-3, 4e-3, 11), rtol=1e-5)
    assert all(a >= b for a, b in zip(rates[10:], rates[11:])) and rates[110] < 1e-5


def test_steps_per_execution_runs_batch_callbacks_once_per_n_steps():
    """compile(steps_per_execution=4): 8 steps per epoch, batch callbacks twice; the same weights as one step a call.

    Backs:
      notebooks/11_scale_up.ipynb: "`steps_per_execution=N` runs N training steps per call from Python (batch-level callbacks then run once per N steps)"
    """
    data = _stream(32).apply(tf.data.experimental.assert_cardinality(32)).batch(4)
    weights = []
    for n, calls in ((1, 8), (4, 2)):
        seen, model = StepsSeen(), _tiny_model(steps_per_execution=n)
        model.fit(data, epochs=1, verbose=0, callbacks=[seen])
        assert seen.batch_calls == calls and seen.steps == [8]
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_jit_compile_auto_is_off_on_a_cpu_only_machine_and_under_a_strategy(monkeypatch):
    """Keras 3 on TensorFlow: compile's jit_compile="auto" means no XLA on a CPU-only machine or under tf.distribute.

    The GPU case is shown by making TensorFlow report a GPU (this machine has none): "auto" then turns XLA on,
    except for a model built under a strategy (``_resolve_auto_jit_compile`` in keras/src/trainers/trainer.py).

    Backs:
      notebooks/11_scale_up.ipynb: "Keras's default `jit_compile=\"auto\"` leaves XLA off under a `tf.distribute` strategy"
      notebooks/11_scale_up.ipynb: "`jit_compile=True` turns XLA on where `\"auto\"` leaves it off: under a strategy, as here (on one GPU without a strategy `\"auto\"` already compiles with XLA where the model supports it; on a CPU-only machine it leaves it off)."
    """
    assert not tf.config.list_physical_devices("GPU"), "this test describes a CPU-only machine"
    # another test in this process may have enabled op determinism, which also turns XLA off: not the case here
    from tensorflow.python.framework import config as tf_config

    monkeypatch.setattr(tf_config, "is_op_determinism_enabled", lambda: False)
    assert _tiny_model().jit_compile is False
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", jit_compile=True)
    assert model.jit_compile is True

    class FakeGPU:
        device_type, name = "GPU", "/physical_device:GPU:0"

    real = tf.config.list_physical_devices
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: real(kind) + [FakeGPU()])
    assert _tiny_model().jit_compile is True, "with a GPU, auto turns XLA on"
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        assert _tiny_model().jit_compile is False, "but not for a model built under a strategy"


def test_random_augmentation_layers_act_only_in_training():
    """A RandomFlip inside the model flips in training mode (what fit passes) and leaves predict/evaluate alone.

    Backs:
      notebooks/11_scale_up.ipynb: "Keras's random augmentation layers act only in training (`fit`), not in `predict` or `evaluate`"
    """
    images = np.arange(8 * 6 * 6, dtype="float32").reshape(8, 6, 6, 1)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.RandomFlip("horizontal", seed=1)])
    model.compile(loss="mse")
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)
    assert model.evaluate(images, images, verbose=0) == 0.0
    flipped = np.asarray(model(images, training=True))
    assert not np.array_equal(flipped, images), "in training some images come out mirrored"
    assert all(np.array_equal(f, i) or np.array_equal(f, i[:, ::-1]) for f, i in zip(flipped, images))


def _dataset_ops_after_rewrites(dataset: tf.data.Dataset) -> set[str]:
    """The dataset ops tf.data runs for ``dataset`` once its options' graph rewrites are applied."""
    from tensorflow.python.data.util import structure

    final = tf.raw_ops.FinalizeDataset(  # what iterating applies: the options' graph rewrites
        input_dataset=dataset._variant_tensor, output_types=structure.get_flat_tensor_types(dataset.element_spec),
        output_shapes=structure.get_flat_tensor_shapes(dataset.element_spec))
    graph = tf.compat.v1.GraphDef.FromString(tf.raw_ops.DatasetToGraphV2(input_dataset=final).numpy())
    return {node.op for node in graph.node if node.op.endswith("Dataset") or "MapDataset" in node.op}


def test_tf_data_makes_a_stateless_map_parallel_by_itself_but_not_one_with_random_operations(tmp_path):
    """The default map_parallelization rewrite: a stateless map (read, decode, resize) runs as a ParallelMap.

    Backs:
      notebooks/11_scale_up.ipynb: "tf.data rewrites a *stateless* map into a parallel one by itself (its `map_parallelization` option, on by default), but not a map with random operations, such as random augmentation."
      benchmarks/decode_pipeline.py: "``map_parallelization`` rewrite of a stateless map"
    """
    from helpers.distribute import decode_and_resize

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(tf.io.encode_jpeg(tf.zeros((8, 8, 3), tf.uint8)).numpy())
    files = tf.data.Dataset.from_tensor_slices([str(photo)])
    decode = files.map(lambda path: decode_and_resize(tf.io.read_file(path), 4))
    random = files.map(lambda path: tf.image.random_flip_left_right(decode_and_resize(tf.io.read_file(path), 4)))
    one_at_a_time = tf.data.Options()
    one_at_a_time.experimental_optimization.map_parallelization = False
    assert "ParallelMapDatasetV2" in _dataset_ops_after_rewrites(decode)
    assert "MapDataset" in _dataset_ops_after_rewrites(decode.with_options(one_at_a_time))
    ops = _dataset_ops_after_rewrites(random)
    assert "MapDataset" in ops and "ParallelMapDatasetV2" not in ops


# ------------------------------------------------------------------------------------ two replicas on the CPU
def test_on_cpus_mirrored_strategy_sums_with_a_ring_all_reduce_and_synchronized_batchnorm_uses_the_global_batch():
    """Two logical CPUs: a RING CollectiveAllReduce; BatchNormalization(synchronized=True) uses the global batch.

    TF 2.21's MirroredStrategy: collective ops by default, RING when every device is a CPU, NCCL when every device
    is a physical GPU (``_make_collective_ops_with_fallbacks``); the GPU case cannot be shown here.

    Each replica gets half of the global batch, with different means: an unsynchronized layer normalises each half
    by its own statistics, a synchronized one both halves by those of the whole batch.

    Backs:
      notebooks/11_scale_up.ipynb: "on CPUs with TensorFlow's own ring all-reduce (`CollectiveAllReduce` with the `RING` implementation, measured here on TF 2.21)"
      notebooks/11_scale_up.ipynb: "`keras.layers.BatchNormalization(synchronized=True)`, which computes them over the global batch, across the replicas, at every step"
    """
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, __file__, "replicas"], capture_output=True, text=True, env=env,
                          timeout=600, cwd=REPO)
    assert done.returncode == 0, f"the child process failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2 and result["cross_device_ops"] == ["CollectiveAllReduce", "RING"]
    halves = np.array(HALVES, dtype="float32")
    whole = halves.reshape(-1, 1)
    expected = {"synchronized": (halves - whole.mean()) / np.sqrt(whole.var() + EPSILON),
                "per_replica": (halves - halves.mean(axis=1, keepdims=True))
                / np.sqrt(halves.var(axis=1, keepdims=True) + EPSILON)}
    for kind, want in expected.items():
        np.testing.assert_allclose(np.array(result[kind])[..., 0], want, atol=1e-4, err_msg=kind)


HALVES = [[0.0, 2.0], [10.0, 12.0]]  # replica 0's and replica 1's examples (one feature each)
EPSILON = 1e-3  # BatchNormalization's default


def _replicas() -> dict:
    from helpers.distribute import split_cpu_if_no_gpu

    devices = split_cpu_if_no_gpu(2)
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        layers = {kind: keras.layers.BatchNormalization(synchronized=kind == "synchronized")
                  for kind in ("synchronized", "per_replica")}
        for layer in layers.values():
            layer.build((None, 1))
    parts = strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(HALVES[context.replica_id_in_sync_group], shape=(2, 1)))

    @tf.function
    def step(x):
        return {kind: layer(x, training=True) for kind, layer in layers.items()}

    outputs = strategy.run(step, args=(parts,))
    reduce = strategy.extended._get_cross_device_ops(tf.constant(1.0))  # what a float gradient is summed with
    return {"replicas": strategy.num_replicas_in_sync,
            "cross_device_ops": [type(reduce).__name__, reduce._options.implementation.name],
            **{kind: [np.asarray(part).tolist() for part in strategy.experimental_local_results(value)]
               for kind, value in outputs.items()}}


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "tests"))  # not `from tests import ...`: Colab's IPython ships a `tests` package
    import harness

    harness.install_network_guard()
    print(json.dumps({"replicas": _replicas}[sys.argv[1]]()))
