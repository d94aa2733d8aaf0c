"""The shared base of the end-to-end crowd models (CrowdLayer, CoNAL): classifiers trained from the raw answers.

Both fit on a :class:`~crowdkit_core.dataset.CrowdDataset` with the training images given as
``fit(data, images=...)`` ((n_tasks, 3, S, S) uint8, row i = task i) and optionally
``validation=(images, labels)`` for model selection. Without images each task gets a free
logit vector, so the same models also run on answer-only data (a crowd model fitted by
gradient descent; this is what the conformance kit exercises).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from crowdkit_core.errors import DatasetError
from crowdkit_core.estimator import FitInput, Output
from crowdkit_core.trainer import Trainer
from crowdkit_deep.params import TrainingParams


def _task_table(n_tasks: int, k: int) -> Any:
    """One free vector per task and a linear head: the classifier when there are no images."""
    from torch import nn

    return nn.Sequential(nn.Embedding(n_tasks, 16), nn.Linear(16, k))


class DeepTrainer(Trainer[TrainingParams]):
    """Shared fit of the end-to-end crowd models: build the classifier, train it with the
    model's objective over the answers, keep the learnt worker layers."""

    fit_inputs: ClassVar[tuple[FitInput, ...]] = (
        FitInput("images", "(n_tasks, 3, S, S) uint8 training images, row i = task i"),
        FitInput("validation", "(images, labels) of labelled held-out images, for model selection"),
    )
    outputs: ClassVar[tuple[Output, ...]] = (
        Output("proba_", "task", ("n_tasks", "K"), "the classifier's class probabilities of each training task"),
        Output("labels_", "task", ("n_tasks",), "most probable class of each training task", saved=False),
        Output("confusion_matrices_", "worker", ("n_workers", "K", "K"),
               "each worker's learnt answer distribution given the true class", role="confusion"),
        Output("worker_parameters_", "worker", ("n_workers", "P"), "each worker's raw layer parameters"),
        Output("metrics_", "dataset", ("E",), "per-epoch training loss and validation loss / accuracy"),
    )

    def _objective(self, answers: Any, dataset: Any, feature_dim: int) -> Any:
        raise NotImplementedError

    def _fit(self, dataset: Any, images: Any = None, validation: Any = None) -> None:
        from crowdkit_deep.networks import Split, build_classifier
        from crowdkit_deep.objectives import Answers
        from crowdkit_deep.training import (fit_network, predict_proba, resolve_device, seeded,
                                            task_index_inputs)

        p = self.params
        n, k = dataset.n_tasks, dataset.n_classes
        if images is not None and len(images) != n:
            raise DatasetError(f"images: {len(images)} images for {n} tasks; give one image per task")
        device = resolve_device(p.device)
        with seeded(p.seed):
            if images is None:
                network, inputs = Split(_task_table(n, k)), task_index_inputs(n)
            else:
                network = Split(build_classifier(p.model, k, pretrained=p.pretrained, freeze=p.freeze,
                                                 img_size=p.img_size))
                inputs = images
            answers = Answers(dataset.tasks, dataset.workers, dataset.labels, n)
            objective = self._objective(answers, dataset, network.feature_dim)
            objective.worker_lr = p.worker_lr
            result = fit_network(network, objective, inputs, np.arange(n), p, device,
                                 validation=validation,
                                 on_epoch=lambda r: self._report(r.epoch, r.train_loss))
            self.proba_ = predict_proba(network, inputs, p.batch_size, device)
        self.labels_ = self.proba_.argmax(1)
        self.confusion_matrices_ = objective.confusion(dataset.n_workers)
        self.worker_parameters_ = self._worker_parameters(objective)
        self.best_epoch_ = result.best_epoch
        self.metrics_ = [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss,
                          "val_accuracy": r.val_accuracy} for r in result.history]
        self._network, self._objective_module, self._result = network.cpu(), objective.cpu(), result

    def _worker_parameters(self, objective: Any) -> np.ndarray:
        return objective.local.detach().cpu().double().numpy().reshape(len(objective.local), -1)

    def predict_proba(self, inputs: Any) -> np.ndarray:
        """Class probabilities of the trained classifier for (N, 3, S, S) uint8 images."""
        from crowdkit_deep.training import predict_proba, resolve_device

        if "proba_" not in self.__dict__:
            getattr(self, "proba_")  # raises NotFittedError
        device = resolve_device(self.params.device)
        proba = predict_proba(self._network.to(device), inputs, self.params.batch_size, device)
        self._network.cpu()
        return proba

    @property
    def network(self) -> Any:
        """The trained classifier (a torch module: body and head)."""
        if "proba_" not in self.__dict__:
            getattr(self, "proba_")
        return self._network
