"""Simulated crowds with known truth: the four worker models of peerannot's ``simulate``
(hammer-spammer, student-teacher, independent-confusion, discrete-difficulty) and the
Dawid-Skene sampler that tests and benchmarks use. numpy only, sparse (one entry per answer).

Modules: :mod:`.options` (validated options), :mod:`.confusion` (matrix generators and the
checked matrix-file loader), :mod:`.assignment` (who answers what), :mod:`.sampling` (labels
from confusion matrices), :mod:`.models` (the worker models, :func:`simulate`), :mod:`.files`
(the dataset folder).
"""

from crowdkit_core.simulation.assignment import distinct_workers
from crowdkit_core.simulation.confusion import (
    diagonal_with_dirichlet_errors, diagonally_dominant, dirichlet_rows, hammer_spammer,
    load_matrix_file, one_coin,
)
from crowdkit_core.simulation.files import simulation_files, write_simulation
from crowdkit_core.simulation.models import DIFFICULTY_LEVELS, Simulation, simulate
from crowdkit_core.simulation.options import RATIO_MEANING, WORKER_MODELS, SimulationOptions
from crowdkit_core.simulation.sampling import draw_labels, sample_answers

__all__ = [
    "SimulationOptions", "Simulation", "simulate", "write_simulation", "simulation_files",
    "sample_answers", "draw_labels", "distinct_workers", "dirichlet_rows", "diagonally_dominant",
    "hammer_spammer", "one_coin", "diagonal_with_dirichlet_errors", "load_matrix_file",
    "WORKER_MODELS", "RATIO_MEANING", "DIFFICULTY_LEVELS",
]
