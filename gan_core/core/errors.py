"""Exceptions shared across gan_core's packages."""
from __future__ import annotations


class TrainingDiverged(RuntimeError):
    """Training produced NaN/inf or collapsed; the last good checkpoint is kept."""
