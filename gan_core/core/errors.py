"""The errors gan_core raises on purpose: each message says what is wrong and what to do.

They derive from ValueError, so a caller that only knows "bad input" still catches them."""
from __future__ import annotations


class CheckpointError(ValueError):
    """A checkpoint is missing, damaged or does not fit its model card."""


class DataError(ValueError):
    """The data cannot be used: the message says why and what to do."""


class ImageTooLargeError(DataError):
    """More pixels than allowed; `width` and `height` say how many."""

    def __init__(self, message: str, width: int, height: int):
        super().__init__(message)
        self.width, self.height = width, height


class TrainingDiverged(RuntimeError):
    """Training produced NaN/inf or collapsed; the last good checkpoint is kept."""
