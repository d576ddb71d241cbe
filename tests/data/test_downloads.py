"""Downloads (gan_core.data.downloads): CIFAR-10 as class folders, and a clear message offline."""
from __future__ import annotations

import pytest

from gan_core.core.errors import DataError


def test_cifar10_download_writes_class_folders_that_load(tmp_path):
    import numpy as np

    from gan_core.data.image_set import load_images
    from gan_core.data.downloads import fetch_cifar10

    class FakeCIFAR10:  # torchvision's CIFAR10, offline: the same attributes
        def __init__(self, root, train, download):
            rng = np.random.default_rng(0)
            self.data = rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8)
            self.targets = [i % 10 for i in range(30)]

    dest = fetch_cifar10(tmp_path / "frogs.zip", classes=["frog", "cat"], cache=tmp_path, dataset_cls=FakeCIFAR10)
    ds = load_images([str(dest)], 32, classes=["frog"])
    assert len(ds) == 3 and ds.class_names == ["frog"]
    assert (ds.images[0].permute(1, 2, 0).numpy() == FakeCIFAR10(None, True, True).data[6]).all()  # lossless


def test_cifar10_download_offline_says_so(tmp_path):
    from gan_core.data.downloads import fetch_cifar10

    class Offline:
        def __init__(self, root, train, download):
            raise OSError("[Errno -3] Temporary failure in name resolution")

    with pytest.raises(DataError, match="could not be downloaded.*offline.*Upload a .zip"):
        fetch_cifar10(tmp_path / "c.zip", cache=tmp_path, dataset_cls=Offline)
    with pytest.raises(DataError, match="no class dragon"):
        fetch_cifar10(tmp_path / "c.zip", classes=["dragon"], dataset_cls=Offline)
    assert not (tmp_path / "c.zip").exists()
