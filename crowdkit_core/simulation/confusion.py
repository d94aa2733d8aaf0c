"""Worker confusion matrices: the generators of each worker model, and a checked file loader.

Convention (as in the DS family): ``confusion[w, k, l]`` is the probability that worker ``w``
answers ``l`` when the true class is ``k``; every row sums to 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crowdkit_core.errors import DatasetError

#: Rows may be off from summing to 1 by this much (float32 files, rounding in text tools).
ROW_SUM_TOLERANCE = 1e-6


def dirichlet_rows(rng: np.random.Generator, n_workers: int, n_classes: int,
                   alpha: float = 1.0) -> np.ndarray:
    """(n_workers, K, K) matrices whose rows are independent Dirichlet(alpha) draws
    (alpha = 1: uniform on the simplex)."""
    return rng.dirichlet(np.full(n_classes, float(alpha)), size=(n_workers, n_classes))


def diagonally_dominant(confusion: np.ndarray) -> np.ndarray:
    """A copy where each row's largest entry is swapped onto the diagonal (peerannot's way of
    making a random worker non-adversarial: the true class is the most likely answer)."""
    out = np.array(confusion, dtype=np.float64, copy=True)
    k = out.shape[-1]
    diag = np.arange(k)
    top = out.argmax(axis=-1)  # (..., K)
    rows = np.take_along_axis(out, top[..., None], axis=-1)[..., 0]
    on_diag = out[..., diag, diag].copy()
    np.put_along_axis(out, top[..., None], on_diag[..., None], axis=-1)
    out[..., diag, diag] = rows
    return out


def hammer_spammer(n_hammers: int, n_spammers: int, n_classes: int) -> np.ndarray:
    """Hammers (identity: always right) first, then spammers (every row uniform)."""
    eye = np.broadcast_to(np.eye(n_classes), (n_hammers, n_classes, n_classes))
    flat = np.full((n_spammers, n_classes, n_classes), 1.0 / n_classes)
    return np.concatenate([eye, flat]).astype(np.float64)


def one_coin(skills: np.ndarray, n_classes: int) -> np.ndarray:
    """Right with probability ``skills[w]``, otherwise uniform over the K-1 wrong classes."""
    skills = np.asarray(skills, dtype=np.float64)
    off = (1.0 - skills) / (n_classes - 1)
    out = np.repeat(off[:, None, None], n_classes, axis=1).repeat(n_classes, axis=2)
    out[:, np.arange(n_classes), np.arange(n_classes)] = skills[:, None]
    return out


def diagonal_with_dirichlet_errors(rng: np.random.Generator, n_workers: int, n_classes: int,
                                   accuracy: tuple[float, float]) -> np.ndarray:
    """Diagonal entries uniform in ``accuracy`` (one per worker and class), the rest of each
    row split by a Dirichlet(1) draw over the wrong classes."""
    k = n_classes
    diag = rng.uniform(*accuracy, size=(n_workers, k))
    off = rng.dirichlet(np.ones(k - 1), size=(n_workers, k)) * (1.0 - diag)[..., None]
    out = np.empty((n_workers, k, k))
    for true in range(k):
        others = [c for c in range(k) if c != true]
        out[:, true, true] = diag[:, true]
        out[:, true, others] = off[:, true, :]
    return out


def load_matrix_file(path: str | Path, n_classes: int, n_workers: tuple[int, ...]) -> np.ndarray:
    """Confusion matrices from a ``.npy`` file, checked: shape ``(n, K, K)`` with ``n`` one of
    ``n_workers``, finite, non-negative, rows summing to 1. A DatasetError names the fault."""
    path = Path(path)
    where = f"--matrix-file {path}"
    if path.suffix != ".npy":
        raise DatasetError(f"{where}: not a .npy file; save the matrices with numpy.save")
    try:
        matrices = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DatasetError(f"{where}: no such file") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{where}: not a readable .npy array ({exc}); save the matrices "
                           "with numpy.save") from None
    wanted = " or ".join(str((n, n_classes, n_classes)) for n in n_workers)
    if matrices.ndim != 3 or matrices.shape[0] not in n_workers or matrices.shape[1:] != (n_classes, n_classes):
        raise DatasetError(f"{where}: shape {matrices.shape}, expected {wanted} "
                           "(workers, true class, answered class)")
    if not np.issubdtype(matrices.dtype, np.number) or np.iscomplexobj(matrices):
        raise DatasetError(f"{where}: dtype {matrices.dtype}; store real numbers")
    matrices = matrices.astype(np.float64)
    if not np.isfinite(matrices).all():
        w, k, _ = np.argwhere(~np.isfinite(matrices))[0]
        raise DatasetError(f"{where}: worker {w}, true class {k}: a NaN or infinite entry")
    if (matrices < 0).any():
        w, k, l = np.argwhere(matrices < 0)[0]
        raise DatasetError(f"{where}: worker {w}, true class {k}, answer {l}: negative entry "
                           f"{matrices[w, k, l]:g}; probabilities are >= 0")
    sums = matrices.sum(axis=-1)
    bad = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if bad.any():
        w, k = np.argwhere(bad)[0]
        raise DatasetError(f"{where}: worker {w}, true class {k}: the row sums to "
                           f"{sums[w, k]:.6g}, not 1; normalise each row")
    return matrices / sums[..., None]
