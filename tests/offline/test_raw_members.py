"""Raw-signal members: braindecode ConvNets and CBraMod build, export and learn."""

from __future__ import annotations

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch

from vaxis.errors import ModelError
from vaxis.offline.train.models import ZOO
from vaxis.offline.train.models.cbramod import CBraMod, load_cbramod_checkpoint
from vaxis.offline.train.penultimate import last_linear

RAW_ARCHS = [name for name, (_, kind) in ZOO.items() if kind == "raw"]


def _onnx_logits(model: torch.nn.Module, x: np.ndarray, path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's TracerWarnings on shape arithmetic
        torch.onnx.export(model.eval(), (torch.from_numpy(x[:2]),), str(path), input_names=["raw"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"raw": {0: "batch"}, "logits": {0: "batch"}})  # fmt: skip
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"raw": x})[0]


@pytest.mark.parametrize("arch", RAW_ARCHS)
def test_raw_members_export_to_onnx(arch, tmp_path):
    assert {"shallow", "eegnet", "deep4", "cbramod"} <= set(RAW_ARCHS)
    torch.manual_seed(0)
    model = ZOO[arch][0](n_chans=30, n_times=500, n_outputs=9, sfreq=125.0).eval()
    assert last_linear(model).out_features == 9
    x = np.random.default_rng(0).standard_normal((5, 30, 500)).astype(np.float32)
    with torch.no_grad():
        ours = model(torch.from_numpy(x)).numpy()
    assert ours.shape == (5, 9)
    assert not np.allclose(np.exp(ours).sum(axis=1), 1.0)  # logits, not log-probabilities
    np.testing.assert_allclose(_onnx_logits(model, x, tmp_path / f"{arch}.onnx"), ours, atol=1e-4)


def _authors_state_dict(n_layers: int = 12) -> dict[str, torch.Tensor]:
    """Random weights under the key names and shapes of the authors' pretrained CBraMod."""
    d, half, ff, width = 200, 100, 800, 25
    shapes = {
        "patch_embedding.mask_encoding": (200,),
        "patch_embedding.positional_encoding.0.weight": (d, 1, 19, 7),
        "patch_embedding.positional_encoding.0.bias": (d,),
        "patch_embedding.proj_in.0.weight": (width, 1, 1, 49),
        "patch_embedding.spectral_proj.0.weight": (d, 101),
        "patch_embedding.spectral_proj.0.bias": (d,),
        "proj_out.0.weight": (d, d),
        "proj_out.0.bias": (d,),
    }
    for i in (0, 1, 3, 4, 6, 7):  # convolutions and group norms
        shapes[f"patch_embedding.proj_in.{i}.bias"] = (width,)
        if i in (1, 4, 7):
            shapes[f"patch_embedding.proj_in.{i}.weight"] = (width,)
        elif i:
            shapes[f"patch_embedding.proj_in.{i}.weight"] = (width, width, 1, 3)
    for layer in range(n_layers):
        prefix = f"encoder.layers.{layer}."
        for attn in ("self_attn_s", "self_attn_t"):
            shapes |= {
                f"{prefix}{attn}.in_proj_weight": (3 * half, half),
                f"{prefix}{attn}.in_proj_bias": (3 * half,),
                f"{prefix}{attn}.out_proj.weight": (half, half),
                f"{prefix}{attn}.out_proj.bias": (half,),
            }
        shapes |= {
            f"{prefix}linear1.weight": (ff, d), f"{prefix}linear1.bias": (ff,),
            f"{prefix}linear2.weight": (d, ff), f"{prefix}linear2.bias": (d,),
        }  # fmt: skip
        for norm in ("norm1", "norm2"):
            shapes |= {f"{prefix}{norm}.weight": (d,), f"{prefix}{norm}.bias": (d,)}
    generator = torch.Generator().manual_seed(0)
    return {k: torch.randn(shape, generator=generator) for k, shape in shapes.items()}


def test_cbramod_loads_the_authors_checkpoint(tmp_path):
    state = _authors_state_dict()
    path = tmp_path / "pretrained_weights.pth"
    torch.save(state, path)
    model = CBraMod.from_checkpoint(path, n_chans=30, n_times=500, n_outputs=9, sfreq=125.0)
    ours = model.state_dict()
    backbone = {k for k in ours if not k.startswith("classifier.")}
    assert backbone == {k for k in state if not k.startswith(("proj_out.", "patch_embedding.mask"))}
    for key in backbone:
        torch.testing.assert_close(ours[key], state[key], rtol=0, atol=0)
    # 4 s at 125 Hz become four 200-sample patches at the authors' 200 Hz.
    assert (model.n_patches, model.patch_size) == (4, 200)
    with torch.no_grad():
        assert model.eval()(torch.randn(2, 30, 500)).shape == (2, 9)


def test_cbramod_checkpoint_errors(tmp_path):
    full = CBraMod.pretrained_architecture(n_chans=30, n_times=500, n_outputs=9, sfreq=125.0)
    with pytest.raises(ModelError, match="no CBraMod checkpoint"):
        load_cbramod_checkpoint(full, tmp_path / "missing.pth")
    text = tmp_path / "notes.pth"
    text.write_text("not weights")
    with pytest.raises(ModelError, match="not a torch checkpoint"):
        load_cbramod_checkpoint(full, text)
    other = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.zeros(3, 3)}, other)
    with pytest.raises(ModelError, match="not a CBraMod backbone"):
        load_cbramod_checkpoint(full, other)
    small = tmp_path / "small.pth"
    torch.save(CBraMod(n_chans=30, n_times=500, n_outputs=9).state_dict(), small)
    with pytest.raises(ModelError, match="pretrained_architecture"):
        load_cbramod_checkpoint(full, small)


@pytest.fixture(scope="module")
def decodable_windows(tmp_path_factory):
    """Windows of a small SYNTHETIC corpus whose class structure is shared across subjects
    (stronger effect, weaker idiosyncrasy than the defaults), as ``vaxis train`` loads them."""
    from vaxis.offline.corpus import open_corpus
    from vaxis.offline.corpus.synthetic import SynthParams, write_synthetic_faced
    from vaxis.offline.splits import faced_split
    from vaxis.offline.train.config import TrainConfig
    from vaxis.offline.train.data import load_windows

    root = write_synthetic_faced(
        tmp_path_factory.mktemp("decodable"), n_subjects=10, seconds=10, fmt="processed",
        params=SynthParams(effect=1.0, idiosyncrasy=0.5),
    )  # fmt: skip
    corpus = open_corpus(root)
    windows = load_windows(corpus, decimate=TrainConfig().decimate)
    return windows, faced_split(corpus.subject_ids)


def _test_balanced_accuracy(arch: str, windows, split, batch_size: int) -> float:
    from sklearn.metrics import balanced_accuracy_score

    from vaxis.offline.train.config import TrainConfig
    from vaxis.offline.train.fit import FitSettings, fit_member, predict_proba
    from vaxis.offline.train.pool import LEARNING_RATES, MemberSpec, build_member

    config = TrainConfig()
    spec = MemberSpec(arch, seed=0, bag=tuple(split.train))
    raw = spec.kind == "raw"
    X = windows.inputs(spec.kind)
    model = build_member(spec, X.shape[1:], 9, windows.sfreq / windows.decimate, windows.channels)
    settings = FitSettings(
        epochs=min(config.epochs, config.raw_epochs) if raw else config.epochs,
        patience=config.patience, batch_size=batch_size, lr=LEARNING_RATES[arch],
    )  # fmt: skip
    train, val, test = (windows.mask(ids) for ids in (split.train, split.val, split.test))
    model, _ = fit_member(model, X[train], windows.y[train], X[val], windows.y[val], settings)
    return balanced_accuracy_score(windows.y[test], predict_proba(model, X[test]).argmax(1))


def test_raw_member_learns_what_feature_members_learn(decodable_windows):
    windows, split = decodable_windows
    chance = 1 / 9
    # 672 training windows: batches of 64 give the member about as many steps as a
    # FACED-size corpus's 6000-window epochs of 256.
    features = _test_balanced_accuracy("logistic", windows, split, batch_size=64)
    shallow = _test_balanced_accuracy("shallow", windows, split, batch_size=64)
    assert features >= chance + 0.3
    assert shallow >= chance + 0.5 * (features - chance), (shallow, features)
