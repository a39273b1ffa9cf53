"""Training utilities (``ra.training``): contrastive losses with gradients, torch-equal
optimizers, schedules, hard-negative mining, regularisers, multi-objective balancing and a
``train_step``."""

from .balancing import Balanced, fixed_weights, gradnorm, normalize_weights, uncertainty_weighting
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
    "Balanced",
    "CurriculumScheduler",
    "TemperatureAnnealing",
    "WarmupCosine",
    "fixed_weights",
    "gradnorm",
    "info_nce",
    "laplacian",
    "local_contrastive",
    "mine_in_batch",
    "norm_penalty",
    "normalize_weights",
    "orthogonality",
    "sample_hard_negatives",
    "train_step",
    "triplet",
    "uncertainty_weighting",
]
