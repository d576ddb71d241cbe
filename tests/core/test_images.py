import torch

from gan_core.core.images import from_uint8, to_uint8


def test_from_uint8_maps_0_255_onto_minus_one_one_and_to_uint8_undoes_it():
    pixels = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16).expand(1, 3, 16, 16)
    x = from_uint8(pixels)
    assert x.dtype == torch.float32
    assert x.min() == -1 and x.max() == 1 and x[0, 0, 0, 0] == -1
    assert torch.equal(x, pixels.float() / 127.5 - 1)  # the same numbers as the formula, bit for bit
    assert torch.equal(torch.from_numpy(to_uint8(x)).permute(0, 3, 1, 2), pixels)


def test_from_uint8_takes_floats_as_already_in_range_and_never_writes_its_input():
    floats = torch.tensor([-1.0, 0.25, 1.0], dtype=torch.float64)
    assert torch.equal(from_uint8(floats), floats.float())
    pixels = torch.tensor([0, 255], dtype=torch.uint8)
    from_uint8(pixels)
    assert pixels.tolist() == [0, 255]
