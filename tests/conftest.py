"""Fixtures shared across the suite.

``tiny_bundle`` is a real bundle trained by ``vaxis.offline.train`` on a tiny SYNTHETIC
corpus (10 subjects x 8 s, a strong planted effect) in a few seconds, once per session.
Tests of the live path, replay and calibration can decode with it.
"""

from __future__ import annotations

import os

import pytest

#: Generative settings of the tiny corpus: the planted structure is strong and subjects'
#: idiosyncrasies weak, so a few epochs learn it, but not so strong that every model is at
#: ceiling (which would make the ensemble comparison meaningless).
TINY_CORPUS = {"n_subjects": 10, "seconds": 8, "seed": 0}
TINY_PARAMS = {"effect": 0.25, "idiosyncrasy": 0.5, "state": 0.2}


@pytest.fixture(scope="session")
def tiny_training(tmp_path_factory):
    """The result of ``train_bundle`` on the tiny SYNTHETIC corpus, plus its inputs.

    A dict: ``bundle`` (path), ``graph`` (the exported ensemble in torch), ``metrics``,
    ``parity_max_abs``, ``synthetic``, ``seconds``, ``corpus`` and ``axis`` (paths).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from vaxis.offline.axis import AxisFile, save_axis
    from vaxis.offline.corpus.synthetic import VALENCE, SynthParams, write_synthetic_faced
    from vaxis.offline.train import TrainConfig, train_bundle

    root = tmp_path_factory.mktemp("tiny_training")
    corpus = write_synthetic_faced(
        root / "corpus", fmt="processed", params=SynthParams(**TINY_PARAMS), **TINY_CORPUS
    )
    axis = save_axis(
        AxisFile(positions=dict(VALENCE), model="planted-synthetic", layer=0, pooling="mean",
                 sentences_sha256="none"),
        root / "axis.json",
    )  # fmt: skip
    result = train_bundle(corpus, axis, root / "bundle", TrainConfig.quick(), progress=False)
    return {**result, "corpus": corpus, "axis": axis}


@pytest.fixture(scope="session")
def tiny_bundle(tiny_training):
    """Path of a real SYNTHETIC bundle directory (model.onnx + bundle.json + report/)."""
    return tiny_training["bundle"]
