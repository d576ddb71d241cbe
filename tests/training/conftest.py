"""Fixtures shared by the training tests."""
from __future__ import annotations

import pytest

from ..helpers import write_style_domains


@pytest.fixture
def domains(tmp_path):
    """Photos and paintings for the style trainer; the photos hold one broken file, skipped and counted."""
    photos, paintings = write_style_domains(tmp_path)
    (photos / "broken.jpg").write_bytes(b"nope")
    return photos, paintings
