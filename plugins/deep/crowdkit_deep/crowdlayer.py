"""CrowdLayer (Rodrigues & Pereira, AAAI 2018): the trainer class; the layers are in objectives."""

from __future__ import annotations

from typing import Any

import numpy as np

from crowdkit_deep.params import CrowdLayerParams
from crowdkit_deep.strategies import DeepTrainer


class CrowdLayer(DeepTrainer):
    """Crowd layer (Rodrigues & Pereira, AAAI 2018): per-worker layers on the classifier's
    softmax, trained by the masked cross-entropy of the answers; the classifier alone predicts."""

    Params = CrowdLayerParams
    reference = ("F. Rodrigues and F. Pereira. Deep learning from crowds. AAAI 2018. "
                 "https://arxiv.org/abs/1709.01779")

    def _objective(self, answers: Any, dataset: Any, feature_dim: int) -> Any:
        from crowdkit_deep.objectives import CrowdLayerObjective

        return CrowdLayerObjective(answers, dataset.n_workers, dataset.n_classes, self.params.conn_type)

    def _worker_parameters(self, objective: Any) -> np.ndarray:
        return objective.raw()
