"""Training utilities (``ra.training``): contrastive losses with gradients, torch-equal
optimizers, schedules, hard-negative mining, regularisers and a ``train_step``."""

from .losses import info_nce, local_contrastive, triplet
from .mining import mine_in_batch, sample_hard_negatives
from .optimizers import SGD, Adam, AdamW
from .regularizers import laplacian, norm_penalty, orthogonality
from .schedules import CurriculumScheduler, TemperatureAnnealing, WarmupCosine
from .step import train_step

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CurriculumScheduler",
    "TemperatureAnnealing",
    "WarmupCosine",
    "info_nce",
    "laplacian",
    "local_contrastive",
    "mine_in_batch",
    "norm_penalty",
    "orthogonality",
    "sample_hard_negatives",
    "train_step",
    "triplet",
]
