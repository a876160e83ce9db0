#!/usr/bin/python3
"""Expected values of graphc's Resize and ResizeGrad, from PyTorch's
torch.nn.functional.interpolate and its backward (tests/resize_ops_test.cc
reads them).

x [2, 3, 5, 7] is resized to [2, 3, 8, 4] (up in H, down in W) in four
modes, each with the graphc attributes that mean the same map:
  nearest           mode "nearest", asymmetric, nearest_mode "floor"
  bilinear          mode "linear", pytorch_half_pixel
  bilinear_aligned  mode "linear", align_corners
  bicubic           mode "cubic", pytorch_half_pixel, cubic_coeff_a -0.75
The gradient is that of sum(y * dy) with respect to x. Inputs are drawn in
float32; PyTorch computes in float64 from them, and the expected values are
rounded to float32 once.

Files (f32 .npy): x, dy, and MODE_y [2,3,8,4], MODE_dx [2,3,5,7] per mode.

Run: /usr/bin/python3 tests/data/resize/make_vectors.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = (8, 4)
MODES = {
    "nearest": dict(mode="nearest"),
    "bilinear": dict(mode="bilinear", align_corners=False),
    "bilinear_aligned": dict(mode="bilinear", align_corners=True),
    "bicubic": dict(mode="bicubic", align_corners=False),
}


def save(name: str, value: torch.Tensor) -> None:
    np.save(os.path.join(HERE, f"{name}.npy"), value.detach().numpy().astype(np.float32))


def main() -> None:
    rng = np.random.default_rng(11)
    x32 = rng.uniform(-1, 1, (2, 3, 5, 7)).astype(np.float32)
    dy32 = rng.uniform(-1, 1, (2, 3) + SIZE).astype(np.float32)
    save("x", torch.from_numpy(x32))
    save("dy", torch.from_numpy(dy32))
    for name, kwargs in MODES.items():
        x = torch.from_numpy(x32).double().requires_grad_()
        y = F.interpolate(x, size=SIZE, **kwargs)
        (y * torch.from_numpy(dy32).double()).sum().backward()
        save(f"{name}_y", y)
        save(f"{name}_dx", x.grad)
    print(f"wrote the Resize vectors (torch {torch.__version__}) to {HERE}")


if __name__ == "__main__":
    main()
