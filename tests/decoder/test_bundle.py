import json

import pytest

from tests.bundles import write_linear_bundle
from vaxis.decoder.bundle import SCHEMA, load_bundle, write_bundle_json
from vaxis.decoder.features import BANDS
from vaxis.errors import BundleError

CLASSES = ["neg", "neu", "pos"]


def _meta(n_ch=2):
    return {
        "model_id": "test-synthetic",
        "onnx": {"opset": 17},
        "inputs": [{"name": "features", "kind": "features", "shape": [None, n_ch, 5]}],
        "channels": ["Fz", "Cz"],
        "sfreq": 250.0,
        "unit": "uV",
        "window": {"seconds": 4.0, "samples": 1000},
        "hop": {"seconds": 0.25, "samples": 62},
        "preprocessing": {"reference": "average", "detrend": "linear", "filters": []},
        "features": {"kind": "de", "bands": {k: list(v) for k, v in BANDS.items()}},
        "normalisation": {
            "method": "subject",
            "prior": {
                "feature_mean": [[0.0] * 5] * n_ch,
                "feature_std": [[1.0] * 5] * n_ch,
                "raw_std": [10.0] * n_ch,
            },
            "warmup": 20,
        },
        "classes": CLASSES,
        "valence": {"positions": {"neg": -1.0, "neu": 0.0, "pos": 1.0}, "source": "expected"},
        "provenance": {"synthetic": True},
        "metrics": {},
    }


@pytest.fixture
def bundle_dir(tmp_path):
    write_linear_bundle(tmp_path, channels=["Fz", "Cz"], window_s=4.0)
    write_bundle_json(tmp_path, _meta())
    return tmp_path


def test_written_bundle_loads_with_schema_and_hash(bundle_dir):
    bundle = load_bundle(bundle_dir)
    assert bundle.meta["schema"] == SCHEMA
    assert bundle.synthetic and bundle.classes == CLASSES
    assert bundle.window_samples == 1000 and bundle.hop_samples == 62
    assert bundle.inputs[0].kind == "features"


def test_changed_model_is_refused(bundle_dir):
    (bundle_dir / "model.onnx").write_bytes(b"tampered")
    with pytest.raises(BundleError, match="sha256"):
        load_bundle(bundle_dir)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.pop("classes"), "missing keys classes"),
        (lambda m: m.update(schema="vaxis.bundle/0"), "schema"),
        (lambda m: m["inputs"][0].update(shape=[None, 3, 5]), "does not match 2 channels"),
        (lambda m: m["inputs"][0].update(kind="spectrogram"), "input kind"),
        (lambda m: m["preprocessing"].update(reference="laplacian"), "preprocessing"),
        (lambda m: m["valence"]["positions"].pop("neu"), "valence positions"),
    ],
)
def test_bad_meta_is_refused_with_reason(bundle_dir, edit, message):
    meta = json.loads((bundle_dir / "bundle.json").read_text())
    edit(meta)
    (bundle_dir / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match=message):
        load_bundle(bundle_dir)


def test_missing_files_and_bad_json(tmp_path):
    with pytest.raises(BundleError, match="bundle.json is missing"):
        load_bundle(tmp_path)
    (tmp_path / "bundle.json").write_text("{")
    (tmp_path / "model.onnx").write_bytes(b"")
    with pytest.raises(BundleError, match="not readable JSON"):
        load_bundle(tmp_path)


def test_writer_refuses_what_live_would_refuse(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"x")
    meta = _meta()
    meta["inputs"] = []
    with pytest.raises(BundleError, match="no inputs"):
        write_bundle_json(tmp_path, meta)
