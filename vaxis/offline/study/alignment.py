"""Alignment strategies: LLM-derived terms added to the task loss, and their registry.

Every strategy is a small ``nn.Module`` built from the penultimate width ``n_features`` and
the :class:`AlignmentTargets` (V-axis positions, the nine sentences' LLM embeddings, the
V-direction in the LLM's space); ``forward(z, logits, y)`` returns a scalar loss that the
training loop adds to cross-entropy with a weight. Learnable parts of a strategy (a
projection into the LLM's space, a regression head) are trained with the model.

The study names 25 strategies but lists only their families (distillation,
representational similarity, contrastive, topographic losses, ...). :data:`STUDY_STRATEGIES`
is our reconstruction of those 25 names; each says which implemented strategy, if any,
realises it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class AlignmentTargets:
    """What the language model says about the classes, in class order.

    Attributes
    ----------
    positions : array, shape (n_classes,)
        V-axis positions in [-1, 1].
    embeddings : array, shape (n_classes, n_dims)
        LLM sentence embedding of each class's sentence.
    direction : array, shape (n_dims,)
        Unit V-direction in the embeddings' space.
    source : str
        Where the embeddings came from (encoder name, or how they were derived).
    """

    positions: np.ndarray
    embeddings: np.ndarray
    direction: np.ndarray
    source: str = ""

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        as_t = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        return as_t(self.positions), as_t(self.embeddings), as_t(self.direction)


class _Strategy(nn.Module):
    """Holds the targets as buffers so they follow the model to its device."""

    positions: torch.Tensor
    embeddings: torch.Tensor
    direction: torch.Tensor

    def __init__(self, n_features: int, targets: AlignmentTargets):
        super().__init__()
        positions, embeddings, direction = targets.tensors()
        self.register_buffer("positions", positions)
        self.register_buffer("embeddings", F.normalize(embeddings, dim=1))
        self.register_buffer("direction", F.normalize(direction, dim=0))


def _kl_to_soft_targets(logits: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    return F.kl_div(F.log_softmax(logits, dim=1), soft, reduction="batchmean")


class VAxisDistillation(_Strategy):
    """Knowledge distillation from V-axis soft targets: classes near on the axis share mass."""

    soft: torch.Tensor  # a buffer

    def __init__(self, n_features, targets, tau: float = 0.25):
        super().__init__(n_features, targets)
        gap = self.positions[:, None] - self.positions[None, :]
        self.register_buffer("soft", F.softmax(-(gap**2) / (2 * tau**2), dim=1))

    def forward(self, z, logits, y):
        return _kl_to_soft_targets(logits, self.soft[y])


class LLMDistillation(_Strategy):
    """Knowledge distillation from the LLM: soft targets from sentence-embedding similarity."""

    soft: torch.Tensor  # a buffer

    def __init__(self, n_features, targets, tau: float = 0.1):
        super().__init__(n_features, targets)
        sim = self.embeddings @ self.embeddings.T
        self.register_buffer("soft", F.softmax(sim / tau, dim=1))

    def forward(self, z, logits, y):
        return _kl_to_soft_targets(logits, self.soft[y])


def _batch_centroids(z: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    present = torch.unique(y)
    return torch.stack([z[y == c].mean(0) for c in present]), present


def _upper(m: torch.Tensor) -> torch.Tensor:
    i, j = torch.triu_indices(m.shape[0], m.shape[0], offset=1, device=m.device)
    return m[i, j]


def _corr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    a, b = a - a.mean(), b - b.mean()
    return (a * b).sum() / (a.norm() * b.norm() + 1e-8)


class _RSA(_Strategy):
    """Representational similarity: the batch's class-centroid RDM should match a target RDM."""

    def target_rdm(self) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, z, logits, y):
        centroids, present = _batch_centroids(z, y)
        if present.numel() < 3:
            return z.sum() * 0.0
        eeg_rdm = 1 - F.cosine_similarity(centroids[:, None], centroids[None, :], dim=2)
        target = self.target_rdm()[present][:, present]
        return 1 - _corr(_upper(eeg_rdm), _upper(target))


class LLMRSA(_RSA):
    """RSA against the LLM sentence embeddings' cosine-distance RDM."""

    def target_rdm(self):
        return 1 - self.embeddings @ self.embeddings.T


class VAxisRSA(_RSA):
    """RSA against distances along the V-axis, ``|p_i - p_j|``."""

    def target_rdm(self):
        return (self.positions[:, None] - self.positions[None, :]).abs()


class ContrastiveInfoNCE(_Strategy):
    """InfoNCE between projected EEG embeddings and the nine categories' LLM embeddings."""

    def __init__(self, n_features, targets, tau: float = 0.1):
        super().__init__(n_features, targets)
        self.project = nn.Linear(n_features, self.embeddings.shape[1])
        self.tau = tau

    def forward(self, z, logits, y):
        h = F.normalize(self.project(z), dim=1)
        return F.cross_entropy(h @ self.embeddings.T / self.tau, y)


class TopographicRanking(_Strategy):
    """Topographic ordering: a learned 1-D read-out of the features ranks samples as the
    V-axis ranks their categories (pairwise logistic loss against a shuffled partner)."""

    def __init__(self, n_features, targets):
        super().__init__(n_features, targets)
        self.score = nn.Linear(n_features, 1, bias=False)

    def forward(self, z, logits, y):
        s = self.score(z).squeeze(1)
        partner = torch.randperm(len(y), device=z.device)
        sign = torch.sign(self.positions[y] - self.positions[y[partner]])
        keep = sign != 0
        if not keep.any():
            return z.sum() * 0.0
        return F.softplus(-sign[keep] * (s[keep] - s[partner][keep])).mean()


class VAxisRegression(_Strategy):
    """An auxiliary head regresses each sample's category position on the V-axis."""

    def __init__(self, n_features, targets):
        super().__init__(n_features, targets)
        self.head = nn.Linear(n_features, 1)

    def forward(self, z, logits, y):
        return F.mse_loss(self.head(z).squeeze(1), self.positions[y])


class CosineVDirection(_Strategy):
    """Cosine alignment to the V-direction: batch-centred features, mapped linearly into the
    LLM's space, point along the V-direction with the sign of their category's valence
    (weighted by its distance from the batch's mean position)."""

    def __init__(self, n_features, targets):
        super().__init__(n_features, targets)
        self.project = nn.Linear(n_features, self.embeddings.shape[1], bias=False)

    def forward(self, z, logits, y):
        h = self.project(z - z.mean(0))
        offset = self.positions[y] - self.positions[y].mean()
        cos = F.cosine_similarity(h, self.direction[None, :].expand_as(h), dim=1)
        weight = offset.abs()
        return (weight * (1 - torch.sign(offset) * cos)).sum() / (weight.sum() + 1e-8)


class LLMEmbeddingRegression(_Strategy):
    """Features, mapped linearly into the LLM's space, regress their category's embedding
    (cosine loss): distillation of the LLM's representation rather than its outputs."""

    def __init__(self, n_features, targets):
        super().__init__(n_features, targets)
        self.project = nn.Linear(n_features, self.embeddings.shape[1])

    def forward(self, z, logits, y):
        return (1 - F.cosine_similarity(self.project(z), self.embeddings[y], dim=1)).mean()


@dataclass(frozen=True)
class Strategy:
    """A registered strategy: how to build it and what it is."""

    name: str
    family: str
    build: Callable[[int, AlignmentTargets], nn.Module]
    description: str


def _register(*items: tuple[str, str, type]) -> dict[str, Strategy]:
    return {
        name: Strategy(name, family, cls, (cls.__doc__ or "").split("\n\n")[0].replace("\n", " "))
        for name, family, cls in items
    }


#: Implemented strategies by name.
STRATEGIES: dict[str, Strategy] = _register(
    ("kd_vaxis", "distillation", VAxisDistillation),
    ("kd_llm_similarity", "distillation", LLMDistillation),
    ("rsa_llm", "representational similarity", LLMRSA),
    ("rsa_vaxis", "representational similarity", VAxisRSA),
    ("contrastive_infonce", "contrastive", ContrastiveInfoNCE),
    ("topographic_ranking", "topographic", TopographicRanking),
    ("vaxis_regression", "auxiliary head", VAxisRegression),
    ("cosine_vdirection", "direction alignment", CosineVDirection),
    ("llm_embedding_regression", "distillation", LLMEmbeddingRegression),
)

#: The study's 25 strategies as we reconstruct them (the paper names families, not a list).
#: ``implemented`` is the :data:`STRATEGIES` key realising the name, or None.
STUDY_STRATEGIES: tuple[dict, ...] = tuple(
    {"name": n, "family": f, "implemented": impl, "name_is_reconstruction": True}
    for n, f, impl in [
        ("distillation from V-axis soft targets", "distillation", "kd_vaxis"),
        ("distillation from LLM embedding similarities", "distillation", "kd_llm_similarity"),
        ("distillation from LLM zero-shot sentiment logits", "distillation", None),
        ("feature distillation to LLM sentence embeddings", "distillation",
         "llm_embedding_regression"),
        ("label smoothing by V-axis distance", "distillation", None),
        ("RSA of class centroids vs LLM embeddings", "representational similarity", "rsa_llm"),
        ("RSA of class centroids vs V-axis distances", "representational similarity",
         "rsa_vaxis"),
        ("sample-level RSA vs LLM embeddings", "representational similarity", None),
        ("CKA alignment with LLM embeddings", "representational similarity", None),
        ("InfoNCE to category LLM embeddings", "contrastive", "contrastive_infonce"),
        ("supervised contrastive with LLM prototypes", "contrastive", None),
        ("triplet loss with V-axis margins", "contrastive", None),
        ("topographic ranking along the V-axis", "topographic", "topographic_ranking"),
        ("topographic smoothness (neighbours on the axis stay near)", "topographic", None),
        ("ordinal regression on V-axis rank", "topographic", None),
        ("auxiliary V-axis regression head", "auxiliary head", "vaxis_regression"),
        ("auxiliary valence/arousal multi-task head", "auxiliary head", None),
        ("cosine alignment of features to the V-direction", "direction alignment",
         "cosine_vdirection"),
        ("gradient projection onto the V-direction", "direction alignment", None),
        ("orthogonality of the residual to the V-direction", "direction alignment", None),
        ("class centroids anchored to scaled LLM positions", "prototype", None),
        ("read-out initialised from LLM embeddings", "prototype", None),
        ("frozen LLM-prototype classifier head", "prototype", None),
        ("mixup along the V-axis", "augmentation", None),
        ("curriculum by V-axis distance", "curriculum", None),
    ]
)  # fmt: skip


def build_strategy(name: str, n_features: int, targets: AlignmentTargets) -> nn.Module:
    """Build the registered strategy ``name`` for penultimate width ``n_features``."""
    try:
        return STRATEGIES[name].build(n_features, targets)
    except KeyError:
        known = sorted(STRATEGIES)
        raise ValueError(f"unknown alignment strategy {name!r}; known: {known}") from None


def holm(p_values) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    stepped = np.maximum.accumulate((p.size - np.arange(p.size)) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted
