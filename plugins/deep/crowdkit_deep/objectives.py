"""The losses a batch is trained with: soft labels (``crowd train``), CrowdLayer's and CoNAL's
worker layers on the batch's own answers.

Answers stay sparse: :class:`Answers` holds them in task order with row pointers, so a batch
gathers the (task, worker, label) rows of its tasks only and applies each answer's worker
layer to it: the cost is O(answers in the batch x K^2), never O(B x n_workers x K).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from crowdkit_deep.training import Objective


class LabelObjective(Objective):
    """Cross-entropy against soft (or one-hot) labels of the training tasks."""

    def __init__(self, soft_labels: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("targets", torch.as_tensor(soft_labels, dtype=torch.float32))
        self._hard = np.asarray(soft_labels).argmax(1)

    def forward(self, logits: torch.Tensor, features: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        return -(self.targets[rows] * F.log_softmax(logits, 1)).sum(1).mean()

    def hard_targets(self, rows: np.ndarray) -> np.ndarray:
        return self._hard[rows]


class Answers(nn.Module):
    """The crowd answers in task order: row pointers, workers and labels (buffers)."""

    def __init__(self, tasks: np.ndarray, workers: np.ndarray, labels: np.ndarray, n_tasks: int) -> None:
        super().__init__()
        order = np.argsort(tasks, kind="stable")
        indptr = np.concatenate([[0], np.cumsum(np.bincount(tasks, minlength=n_tasks))])
        self.register_buffer("indptr", torch.as_tensor(indptr, dtype=torch.long), persistent=False)
        self.register_buffer("workers", torch.as_tensor(workers[order], dtype=torch.long), persistent=False)
        self.register_buffer("labels", torch.as_tensor(labels[order], dtype=torch.long), persistent=False)

    def gather(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(position in the batch, worker, label) of every answer to the batch's tasks."""
        start, stop = self.indptr[rows], self.indptr[rows + 1]
        counts = stop - start
        position = torch.repeat_interleave(torch.arange(len(rows), device=rows.device), counts)
        offsets = torch.arange(int(counts.sum()), device=rows.device) - \
            torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
        index = start[position] + offsets
        return position, self.workers[index], self.labels[index]


class CrowdLayerObjective(Objective):
    """Rodrigues & Pereira (2018): h_j = layer_j(softmax(z)), cross-entropy of h_j (as logits)
    against worker j's answer, averaged over the batch's answers. Layers start at the identity
    (mw: I, vw: 1, vb: 0, sw: 1)."""

    def __init__(self, answers: Answers, n_workers: int, k: int, conn_type: str) -> None:
        super().__init__()
        self.answers, self.conn_type, self.k = answers, conn_type, k
        if conn_type == "mw":
            self.matrix = nn.Parameter(torch.eye(k).repeat(n_workers, 1, 1))
        if conn_type in ("vw", "vw+b"):
            self.weight = nn.Parameter(torch.ones(n_workers, k))
        if conn_type in ("vb", "vw+b"):
            self.bias = nn.Parameter(torch.zeros(n_workers, k))
        if conn_type == "sw":
            self.scalar = nn.Parameter(torch.ones(n_workers))

    def layer(self, p: torch.Tensor, workers: torch.Tensor) -> torch.Tensor:
        """Each answer's worker layer applied to its task's class probabilities (A, K)."""
        if self.conn_type == "mw":
            return torch.bmm(p.unsqueeze(1), self.matrix[workers]).squeeze(1)
        if self.conn_type == "sw":
            return p * self.scalar[workers].unsqueeze(1)
        out = p * self.weight[workers] if self.conn_type in ("vw", "vw+b") else p
        return out + self.bias[workers] if self.conn_type in ("vb", "vw+b") else out

    def forward(self, logits: torch.Tensor, features: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        position, workers, labels = self.answers.gather(rows)
        return F.cross_entropy(self.layer(F.softmax(logits, 1)[position], workers), labels)

    @torch.no_grad()
    def confusion(self, n_workers: int) -> np.ndarray:
        """(J, K, K): row i of worker j is softmax(layer_j(e_i)), the answer distribution the
        layer predicts for a task that is surely class i."""
        eye = torch.eye(self.k, device=self._device())
        workers = torch.arange(n_workers, device=eye.device).repeat_interleave(self.k)
        out = self.layer(eye.repeat(n_workers, 1), workers)
        return F.softmax(out, 1).view(n_workers, self.k, self.k).cpu().double().numpy()

    def raw(self) -> np.ndarray:
        """The layer's parameters as a (J, ...) array (the matrices for mw)."""
        parts = [getattr(self, n).detach() for n in ("matrix", "weight", "bias", "scalar") if hasattr(self, n)]
        flat = [p.reshape(p.shape[0], -1) for p in parts]
        return torch.cat(flat, 1).cpu().double().numpy()

    def _device(self) -> torch.device:
        return next(self.parameters()).device


class CoNALObjective(Objective):
    """Chu, Ma & Wang (2021): h = w * (p W_g) + (1 - w) * (p W_j) with p = softmax(z), and the
    mixing weight w = sigmoid(<v(x), u_j>) of L2-normalised embeddings of the classifier's
    features and of the worker; loss = CE(h, answer) - scale * sum_j ||W_j - W_g||_F.
    W_g and every W_j start at 2 I, as in the official code."""

    def __init__(self, answers: Answers, n_workers: int, k: int, feature_dim: int, scale: float,
                 embedding_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.answers, self.k, self.scale = answers, k, scale
        self.global_matrix = nn.Parameter(2 * torch.eye(k))
        self.local = nn.Parameter(2 * torch.eye(k).repeat(n_workers, 1, 1))
        self.instance = nn.Sequential(nn.Linear(feature_dim, hidden_dim), nn.Linear(hidden_dim, embedding_dim))
        self.worker_embedding = nn.Embedding(n_workers, embedding_dim)  # Linear on one-hot rows
        self.worker_bias = nn.Parameter(torch.zeros(embedding_dim))

    def rates(self, features: torch.Tensor, position: torch.Tensor, workers: torch.Tensor) -> torch.Tensor:
        """The common-confusion weight of each answer (A,)."""
        v = F.normalize(self.instance(features), dim=1)[position]
        u = F.normalize(self.worker_embedding(workers) + self.worker_bias, dim=1)
        return torch.sigmoid((v * u).sum(1))

    def forward(self, logits: torch.Tensor, features: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        position, workers, labels = self.answers.gather(rows)
        p = F.softmax(logits, 1)[position]
        rate = self.rates(features, position, workers).unsqueeze(1)
        mixed = rate * (p @ self.global_matrix) + (1 - rate) * torch.bmm(p.unsqueeze(1), self.local[workers]).squeeze(1)
        distance = torch.linalg.matrix_norm(self.local - self.global_matrix).sum()
        return F.cross_entropy(mixed, labels) - self.scale * distance

    @torch.no_grad()
    def confusion(self, n_workers: int) -> np.ndarray:
        """(J, K, K): softmax of each row of W_j (a worker's own confusion)."""
        return F.softmax(self.local, 2).cpu().double().numpy()

    @torch.no_grad()
    def global_confusion(self) -> np.ndarray:
        return F.softmax(self.global_matrix, 1).cpu().double().numpy()
