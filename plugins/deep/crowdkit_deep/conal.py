"""CoNAL (Chu, Ma & Wang, AAAI 2021): the trainer class; the layers are in objectives."""

from __future__ import annotations

from typing import Any, ClassVar

from crowdkit_core.estimator import Output
from crowdkit_deep.params import CoNALParams
from crowdkit_deep.strategies import DeepTrainer


class CoNAL(DeepTrainer):
    """Common noise adaptation layers (Chu, Ma & Wang, AAAI 2021): a global and per-worker
    confusion mixed per answer by an auxiliary network on the classifier's features."""

    Params = CoNALParams
    reference = ("Z. Chu, J. Ma and H. Wang. Learning from crowds by modeling common confusions. "
                 "AAAI 2021. https://arxiv.org/abs/2012.13052")
    outputs: ClassVar[tuple[Output, ...]] = (
        Output("global_confusion_", "dataset", ("K", "K"), "the common confusion softmax(W_g)"),
    )

    def _objective(self, answers: Any, dataset: Any, feature_dim: int) -> Any:
        from crowdkit_deep.objectives import CoNALObjective

        p = self.params
        return CoNALObjective(answers, dataset.n_workers, dataset.n_classes, feature_dim, p.scale,
                              p.embedding_dim, p.hidden_dim)

    def _fit(self, dataset: Any, images: Any = None, validation: Any = None) -> None:
        super()._fit(dataset, images=images, validation=validation)
        self.global_confusion_ = self._objective_module.global_confusion()
