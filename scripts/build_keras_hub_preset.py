"""Build notebook 12's offline KerasHub preset: a small ResNet, pre-trained on glyphs, saved as a local preset folder.

    python -m scripts.build_keras_hub_preset      # writes data/keras_hub/resnet_standin/ (about 40 s on 2 cores)

No real KerasHub weights can ship (the real presets are 4-100 MB each and come from Kaggle Models), and Keras's
MobileNetV2 weights in data/ have no KerasHub architecture to load into. So the offline profile gets a labelled
STAND-IN with the same file layout as a real preset (``config.json``, ``model.weights.h5``, ``task.json``,
``preprocessor.json``, ``metadata.json``, written by ``ImageClassifier.save_to_preset``): a two-stage ResNet
(KerasHub's own ``ResNetBackbone``) pre-trained for a few epochs on the 26 glyph letters of
``scripts/glyphs.py`` (the source task of the other stand-ins), with its ``ResNetImageConverter`` (resize to
64 px, scale to [0, 1]). ``from_preset(folder, num_classes=N)`` loads its backbone and starts a fresh head, as it
does for a real preset. Its folder carries the stand-in marker (:data:`helpers.standins.MARKER`); data/README.md
says what it scores; data/SHA256SUMS is rewritten. The same versions give the same weights (seeded, deterministic ops).
"""
from __future__ import annotations

import shutil
import time

from helpers import keras_hub_presets, standins
from scripts.build_offline_assets import write_checksums
from scripts.glyphs import make_split

SOURCE_CLASSES = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
PER_CLASS = (120, 20)  # train, validation images per letter
EPOCHS = 6
SEED = 1234


def build_classifier(num_classes: int):
    """The stand-in: KerasHub's ResNet at toy size, with its converter, as an ``ImageClassifier`` (logits)."""
    keras_hub = keras_hub_presets.import_keras_hub()
    backbone = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64, 96],
        stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type="basic_block",
        image_shape=(None, None, 3))
    converter = keras_hub.layers.ResNetImageConverter(image_size=(standins.IMAGE_SIZE, standins.IMAGE_SIZE),
                                                      scale=1 / 255.0)
    preprocessor = keras_hub.models.ResNetImageClassifierPreprocessor(image_converter=converter)
    return keras_hub.models.ResNetImageClassifier(backbone=backbone, num_classes=num_classes,
                                                  preprocessor=preprocessor)


def main() -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    start = time.time()
    x, y = make_split(SOURCE_CLASSES, PER_CLASS[0], SEED)
    xv, yv = make_split(SOURCE_CLASSES, PER_CLASS[1], SEED + 1)
    classifier = build_classifier(len(SOURCE_CLASSES))
    classifier.compile(optimizer=keras.optimizers.Adam(2e-3),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    classifier.fit(x, y, batch_size=64, epochs=EPOCHS, verbose=2)
    accuracy = classifier.evaluate(xv, yv, verbose=0)[1]
    folder = keras_hub_presets.STANDIN_PRESET
    shutil.rmtree(folder, ignore_errors=True)
    classifier.save_to_preset(str(folder))
    (folder / standins.MARKER).write_text(keras_hub_presets.STANDIN_MARKER_TEXT + "\n", encoding="utf8")
    write_checksums()
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"wrote {folder} ({size / 1e6:.2f} MB): {classifier.backbone.count_params():,} backbone parameters; "
          f"glyph source-task validation accuracy {accuracy:.1%} over {len(SOURCE_CLASSES)} letters "
          f"({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
