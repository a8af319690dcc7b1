"""CBraMod (Wang et al., ICLR 2025): a criss-cross transformer over 1-s patches of EEG.

Each channel's window is cut into patches of one second. A patch becomes a token through a
small convolutional encoder of its samples plus a projection of its magnitude spectrum; a
depthwise convolution over (channel, patch) adds the position. Every transformer layer
splits the token's features in two halves: one half attends across channels within the
same patch (spatial), the other across patches within the same channel (temporal), each
with half the heads; the halves are concatenated again. A two-layer read-out maps all
tokens to the classes.

Module and parameter names follow the authors' code, so a checkpoint of their pretrained
backbone (``d_model`` 200, 12 layers, 200-sample patches at 200 Hz) loads into a model
built with :meth:`CBraMod.pretrained_architecture` (:func:`load_cbramod_checkpoint`). The
default configuration is small enough to train from scratch on a CPU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from vaxis.errors import ConfigError, ModelError

#: Time steps the patch encoder's first convolution leaves of each patch: the token's
#: features are ``d_model // STEPS`` convolution channels at each of them.
STEPS = 8
#: The authors' pretrained backbone.
PRETRAINED: dict[str, Any] = {
    "d_model": 200,
    "n_layers": 12,
    "n_heads": 8,
    "dim_feedforward": 800,
    "model_sfreq": 200.0,
}
#: Keys a checkpoint may hold beyond the backbone: the authors' pretraining head and mask
#: token (masked-patch reconstruction), or a fine-tuned read-out.
NOT_BACKBONE = ("proj_out.", "patch_embedding.mask_encoding", "classifier.")


class PatchEmbedding(nn.Module):
    """Tokens ``(batch, n_chans, n_patches, d_model)`` of patches
    ``(batch, n_chans, n_patches, patch_size)``.

    Parameters
    ----------
    patch_size : int
        Samples per patch.
    d_model : int
        Token features; a multiple of :data:`STEPS`.
    dropout : float
    """

    dft: torch.Tensor  # a buffer

    def __init__(self, patch_size: int, d_model: int, dropout: float = 0.1):
        super().__init__()
        if d_model % STEPS:
            raise ConfigError(f"CBraMod's d_model must be a multiple of {STEPS}, got {d_model}")
        stride = math.ceil(patch_size / STEPS)
        if math.ceil(patch_size / stride) != STEPS:
            raise ConfigError(f"patches of {patch_size} samples are too short for CBraMod")
        width = d_model // STEPS
        groups = 5 if width % 5 == 0 else 1
        self.d_model = d_model
        self.positional_encoding = nn.Sequential(
            nn.Conv2d(d_model, d_model, (19, 7), padding=(9, 3), groups=d_model)
        )
        # Strided kernel of two strides then two small kernels (the authors' 49/25, 3, 3
        # at 200 samples): STEPS steps of ``width`` features per patch.
        self.proj_in = nn.Sequential(
            nn.Conv2d(1, width, (1, 2 * stride - 1), stride=(1, stride), padding=(0, stride - 1)),
            nn.GroupNorm(groups, width),
            nn.GELU(),
            nn.Conv2d(width, width, (1, 3), padding=(0, 1)),
            nn.GroupNorm(groups, width),
            nn.GELU(),
            nn.Conv2d(width, width, (1, 3), padding=(0, 1)),
            nn.GroupNorm(groups, width),
            nn.GELU(),
        )
        n_freqs = patch_size // 2 + 1
        self.spectral_proj = nn.Sequential(nn.Linear(n_freqs, d_model), nn.Dropout(dropout))
        # |rfft(patch, norm="forward")| as two matrix products: the ONNX exporter has no FFT.
        t = np.arange(patch_size)[:, None] * np.arange(n_freqs)[None] / patch_size
        dft = np.stack([np.cos(2 * np.pi * t), -np.sin(2 * np.pi * t)]) / patch_size
        self.register_buffer("dft", torch.as_tensor(dft, dtype=torch.float32), persistent=False)

    def spectrum(self, patches: torch.Tensor) -> torch.Tensor:
        """Magnitude spectrum of each patch (the last axis), normalised by its length."""
        re, im = patches @ self.dft[0], patches @ self.dft[1]
        # A tiny floor keeps the gradient finite at an exactly zero bin.
        return torch.sqrt(re * re + im * im + 1e-12)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_chans, n_patches, patch_size = x.shape[1], x.shape[2], x.shape[3]
        flat = x.reshape(-1, 1, n_chans * n_patches, patch_size)
        steps = self.proj_in(flat)  # (batch, width, n_chans * n_patches, STEPS)
        tokens = steps.permute(0, 2, 1, 3).reshape(-1, n_chans, n_patches, self.d_model)
        tokens = tokens + self.spectral_proj(self.spectrum(x))
        position = self.positional_encoding(tokens.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return tokens + position


class CrissCrossLayer(nn.Module):
    """A pre-norm transformer layer whose attention is split into a spatial half
    (across channels, within a patch) and a temporal half (across patches, within a
    channel).

    Parameters
    ----------
    d_model, n_heads, dim_feedforward : int
        Token features, attention heads (half of them per direction), feed-forward width.
    dropout : float
    """

    def __init__(self, d_model: int, n_heads: int, dim_feedforward: int, dropout: float = 0.1):
        super().__init__()
        if d_model % 2 or n_heads % 2 or (d_model // 2) % (n_heads // 2):
            raise ModelError(
                f"CBraMod needs an even number of heads dividing d_model / 2 "
                f"evenly, got d_model {d_model}, {n_heads} heads"
            )
        half = d_model // 2
        self.self_attn_s = nn.MultiheadAttention(half, n_heads // 2, dropout, batch_first=True)
        self.self_attn_t = nn.MultiheadAttention(half, n_heads // 2, dropout, batch_first=True)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def _criss_cross(self, x: torch.Tensor) -> torch.Tensor:
        n_chans, n_patches, d_model = x.shape[1], x.shape[2], x.shape[3]
        half = d_model // 2
        spatial = x[..., :half].transpose(1, 2).reshape(-1, n_chans, half)
        temporal = x[..., half:].reshape(-1, n_patches, half)
        spatial = self.self_attn_s(spatial, spatial, spatial, need_weights=False)[0]
        temporal = self.self_attn_t(temporal, temporal, temporal, need_weights=False)[0]
        spatial = spatial.reshape(-1, n_patches, n_chans, half).transpose(1, 2)
        temporal = temporal.reshape(-1, n_chans, n_patches, half)
        return self.dropout1(torch.cat([spatial, temporal], dim=3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self._criss_cross(self.norm1(x))
        feed = self.linear2(self.dropout(F.gelu(self.linear1(self.norm2(x)))))
        return x + self.dropout2(feed)


class CrissCrossEncoder(nn.Module):
    """``n_layers`` :class:`CrissCrossLayer` in a row (``layers``, as the authors name them)."""

    def __init__(self, n_layers: int, **layer):
        super().__init__()
        self.layers = nn.ModuleList(CrissCrossLayer(**layer) for _ in range(n_layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class CBraMod(nn.Module):
    """CBraMod on raw windows ``(batch, n_chans, n_times)``, logits out.

    Parameters
    ----------
    n_chans, n_times : int
        Input shape.
    n_outputs : int
        Number of classes.
    sfreq : float
        Rate of the input.
    d_model, n_layers, n_heads, dim_feedforward : int
        Token features, criss-cross layers, attention heads (half spatial, half temporal),
        feed-forward width. The defaults train from scratch on a CPU; the authors' are
        in :data:`PRETRAINED`.
    model_sfreq : float, optional
        Rate the patches are cut at (the authors': 200 Hz); ``sfreq`` when omitted. Windows
        at another rate are linearly interpolated to it first.
    patch_seconds : float
        Patch length (1 s).
    dropout : float
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        n_outputs: int,
        sfreq: float = 125.0,
        d_model: int = 80,
        n_layers: int = 2,
        n_heads: int = 4,
        dim_feedforward: int = 320,
        model_sfreq: float | None = None,
        patch_seconds: float = 1.0,
        dropout: float = 0.1,
    ):
        super().__init__()
        model_sfreq = float(model_sfreq or sfreq)
        self.n_chans, self.n_times, self.n_outputs = n_chans, n_times, n_outputs
        self.patch_size = round(patch_seconds * model_sfreq)
        self.n_patches = math.floor(n_times * model_sfreq / sfreq + 1e-9) // self.patch_size
        if self.n_patches < 1:
            raise ModelError(
                f"CBraMod needs windows of at least {patch_seconds:g} s, got "
                f"{n_times} samples at {sfreq:g} Hz"
            )
        self.patch_embedding = PatchEmbedding(self.patch_size, d_model, dropout)
        self.encoder = CrissCrossEncoder(
            n_layers,
            d_model=d_model,
            n_heads=n_heads,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_chans * self.n_patches * d_model, d_model),
            nn.ELU(),
            nn.Dropout(dropout),
            nn.Linear(d_model, n_outputs),
        )
        # The authors' initialisation for the backbone; the read-out keeps torch's default.
        self.patch_embedding.apply(_init_weights)
        self.encoder.apply(_init_weights)

    @classmethod
    def pretrained_architecture(
        cls, n_chans: int, n_times: int, n_outputs: int, sfreq: float, dropout: float = 0.1
    ) -> CBraMod:
        """The authors' full configuration (:data:`PRETRAINED`), ready for
        :func:`load_cbramod_checkpoint`."""
        return cls(n_chans, n_times, n_outputs, sfreq, dropout=dropout, **PRETRAINED)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, n_chans: int, n_times: int, n_outputs: int, sfreq: float
    ) -> CBraMod:
        """:meth:`pretrained_architecture` with the authors' backbone loaded from ``path``
        (:func:`load_cbramod_checkpoint`)."""
        return load_cbramod_checkpoint(
            cls.pretrained_architecture(n_chans, n_times, n_outputs, sfreq), path
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_model_times = self.n_patches * self.patch_size
        if x.shape[-1] != n_model_times:
            x = F.interpolate(x, size=n_model_times, mode="linear", align_corners=False)
        patches = x.reshape(-1, self.n_chans, self.n_patches, self.patch_size)
        return self.classifier(self.encoder(self.patch_embedding(patches)))


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")


def _checkpoint_state(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise ModelError(f"no CBraMod checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many untyped errors for a foreign file
        raise ModelError(f"{path} is not a torch checkpoint of weights: {err}") from None
    if isinstance(state, Mapping) and isinstance(state.get("state_dict"), Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        raise ModelError(f"{path} holds no state dict of tensors")
    # DataParallel (``module.``) and fine-tuning wrappers (``backbone.``) prefix the keys.
    for prefix in ("module.", "backbone."):
        if state and all(k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items()}
    return dict(state)


def load_cbramod_checkpoint(model: CBraMod, path: str | Path) -> CBraMod:
    """Load the authors' pretrained backbone (patch embedding and encoder) into ``model``.

    The read-out stays as initialised: it depends on the channels, window and classes.

    Parameters
    ----------
    model : CBraMod
        Built with :meth:`CBraMod.pretrained_architecture` (the checkpoint's dimensions).
    path : path
        A local checkpoint of the authors' weights (``pretrained_weights.pth``), loaded
        with ``weights_only=True``.

    Returns
    -------
    CBraMod
        ``model``, modified in place.

    Raises
    ------
    ModelError
        For a missing file, a file that is no state dict, a state dict without CBraMod's
        keys, or dimensions that do not fit ``model``.
    """
    path = Path(path)
    state = _checkpoint_state(path)
    backbone = {k: v for k, v in model.state_dict().items() if not k.startswith(NOT_BACKBONE)}
    unexpected = [k for k in state if k not in backbone and not k.startswith(NOT_BACKBONE)]
    missing = [k for k in backbone if k not in state]
    if missing or unexpected:
        raise ModelError(
            f"{path} is not a CBraMod backbone checkpoint for this model ({len(missing)} "
            f"keys missing, e.g. {missing[:2]}; {len(unexpected)} unexpected, e.g. "
            f"{unexpected[:2]}); the authors' weights load into a model built with "
            "CBraMod.pretrained_architecture(...)"
        )
    wrong = [
        f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}"
        for k, v in backbone.items()
        if state[k].shape != v.shape
    ]
    if wrong:
        raise ModelError(
            f"{path} does not fit this CBraMod ({len(wrong)} shapes differ, e.g. {wrong[0]}); "
            "build it with CBraMod.pretrained_architecture(...) for the authors' weights"
        )
    model.load_state_dict({k: state[k] for k in backbone}, strict=False)
    return model
