"""Bundle integrity: bundle.json stamped into model.onnx at export and checked at load."""

import json
import logging

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from tests.bundles import write_linear_bundle
from vaxis.decoder.bundle import load_bundle, sha256_file
from vaxis.decoder.integrity import BUNDLE_KEY, CLASSES_KEY, rehearse
from vaxis.decoder.onnx_graph import read_signature, write_metadata
from vaxis.decoder.pipeline import Decoder
from vaxis.errors import BundleError


@pytest.fixture
def bundle(tmp_path):
    return write_linear_bundle(tmp_path / "bundle")


def _edit(path, change):
    meta = json.loads((path / "bundle.json").read_text())
    change(meta)
    (path / "bundle.json").write_text(json.dumps(meta))


def _unstamp(path):
    write_metadata(path / "model.onnx", {}, "vaxis.")
    _edit(path, lambda m: m["onnx"].update(sha256=sha256_file(path / "model.onnx")))


def test_the_stamp_is_what_onnx_and_onnxruntime_read(bundle):
    model = onnx.load(bundle / "model.onnx")
    onnx.checker.check_model(model)
    props = {p.key: p.value for p in model.metadata_props}
    meta = json.loads((bundle / "bundle.json").read_text())
    assert json.loads(props[CLASSES_KEY]) == meta["classes"]
    stamped = json.loads(props[BUNDLE_KEY])
    meta["onnx"].pop("sha256")
    assert stamped == meta  # all of bundle.json but the hash of the stamped file itself
    session = ort.InferenceSession(str(bundle / "model.onnx"))
    assert session.get_modelmeta().custom_metadata_map == props
    signature = read_signature(bundle / "model.onnx")
    ours = [(t.name, list(t.shape)) for t in signature.inputs + signature.outputs]
    theirs = [(t.name, t.shape) for t in session.get_inputs() + session.get_outputs()]
    assert ours == theirs


def test_a_torch_exported_bundle_is_stamped(tiny_bundle):
    metadata = read_signature(tiny_bundle / "model.onnx").metadata
    assert json.loads(metadata[CLASSES_KEY]) == load_bundle(tiny_bundle).classes


def test_swapped_classes_are_refused_at_load(bundle):
    _edit(bundle, lambda m: m.update(classes=["positive", "neutral", "negative"]))
    with pytest.raises(BundleError, match="mislabelled"):
        load_bundle(bundle)


def test_any_other_edit_is_refused_naming_the_field(bundle):
    _edit(bundle, lambda m: m["normalisation"]["prior"]["raw_std"].__setitem__(0, 11.0))
    with pytest.raises(BundleError, match=r"normalisation\.prior\.raw_std.*export the bundle"):
        load_bundle(bundle)


def test_restamping_replaces_the_stamp(bundle):
    from vaxis.decoder.bundle import write_bundle_json

    meta = json.loads((bundle / "bundle.json").read_text())
    meta["metrics"] = {"note": "re-exported"}
    write_bundle_json(bundle, meta)
    assert load_bundle(bundle).meta["metrics"] == {"note": "re-exported"}
    keys = [p.key for p in onnx.load(bundle / "model.onnx").metadata_props]
    assert sorted(keys) == sorted([BUNDLE_KEY, CLASSES_KEY])


def test_an_older_unstamped_bundle_loads_with_a_warning(bundle, caplog):
    _unstamp(bundle)
    with caplog.at_level(logging.WARNING, logger="vaxis"):
        loaded = load_bundle(bundle)
    assert loaded.classes == ["negative", "neutral", "positive"]
    assert "not stamped" in caplog.text and "export the bundle again" in caplog.text


def test_graph_inputs_and_outputs_are_checked_without_a_stamp(bundle):
    _unstamp(bundle)
    _edit(bundle, lambda m: m["inputs"][0].update(name="feats"))
    with pytest.raises(BundleError, match=r"graph inputs \['features'\]"):
        load_bundle(bundle)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["features"].pop("bands"), "features.bands must be an object"),
        (lambda m: m["normalisation"].pop("prior"), "normalisation.prior must be an object"),
        (lambda m: m["normalisation"].update(warmup=-1), "normalisation.warmup"),
        (lambda m: m["features"].update(kind="spectrogram"), "features.kind"),
        (lambda m: m.update(sfreq=0), "sfreq must be positive"),
        (lambda m: m.update(classes=["a", "a"]), r"classes names \['a'\] more than once"),
        (
            lambda m: m["inputs"][0].update(kind="envelope"),
            "normalisation.prior.envelope_mean is missing",
        ),
        (
            lambda m: (m["inputs"][0].update(kind="envelope"), m["window"].update(samples=200)),
            "fewer than two envelope sub-windows",
        ),
    ],
)
def test_every_field_is_validated_at_load(bundle, change, message):
    _edit(bundle, change)
    with pytest.raises(BundleError, match=message):
        load_bundle(bundle)


def test_a_graph_that_cannot_decode_is_refused_at_start_up(tmp_path):
    """Symbolic input sizes pass the signature check; one rehearsal window finds out."""
    from onnx import TensorProto, helper, numpy_helper

    path = write_linear_bundle(tmp_path / "b", channels=["Fz", "Cz"])
    weights = numpy_helper.from_array(np.zeros((7, 3), np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["features"], ["flat"], axis=1),
         helper.make_node("MatMul", ["flat", "W"], ["probs"]),
         helper.make_node("ReduceSum", ["probs"], ["valence"], axes=[1], keepdims=0)],
        "wrong",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["b", "c", "k"])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["b", 3]),
         helper.make_tensor_value_info("valence", TensorProto.FLOAT, ["b"])],
        [weights],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 9
    onnx.save(model, path / "model.onnx")
    from vaxis.decoder.bundle import write_bundle_json

    write_bundle_json(path, json.loads((path / "bundle.json").read_text()))
    loaded = load_bundle(path)  # the signature fits: sizes are symbolic
    with pytest.raises(BundleError, match="cannot decode a window"):
        rehearse(Decoder(loaded), len(loaded.channels), loaded.window_samples)


def test_a_profile_graph_must_fit_the_bundle(tmp_path, bundle):
    from vaxis.decoder.inputs import InputStats
    from vaxis.decoder.profile import Profile

    other = write_linear_bundle(tmp_path / "other", classes={"a": -1.0, "b": 1.0})
    loaded = load_bundle(bundle)
    stats = InputStats(np.zeros((32, 5)), np.ones((32, 5)), np.ones(32))
    profile = Profile("P", loaded.model_id, loaded.meta["onnx"]["sha256"], stats,
                      model_path=other / "model.onnx")  # fmt: skip
    with pytest.raises(BundleError, match="output 'probs'"):
        profile.check_bundle(loaded)
