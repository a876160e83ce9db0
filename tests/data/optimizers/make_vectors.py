#!/usr/bin/python3
"""Expected values of graphc's optimizer update ops, from PyTorch 1.13's torch.optim.

tests/optimizer_ops_test.cc runs SGDUpdate, MomentumUpdate and AdamUpdate for
three steps from the same param0 with the same per-step gradients and compares
with the files this script writes:

  param0.npy              f32 [5,7]     the parameter before step 1
  grads.npy               f32 [3,5,7]   the gradient of steps 1, 2, 3
  expected_<config>.npy   f32 [3,5,7]   the parameter after steps 1, 2, 3

The configurations (CONFIGS below) are repeated by hand in the test. Every
hyper-parameter is handed to torch as the double value of its float32
rounding (f32() below): graphc's attributes and learning-rate input are f32,
so this is the same update, and PyTorch's double arithmetic on them (1 - beta,
lr / (1 - beta1^t), 1 - lr * weight_decay) is what the kernels do.

PyTorch's AVX2 kernels fuse some multiply-adds, which the portable ones (and
graphc's reference kernels) do not; the expected values come from the
portable kernels (ATEN_CPU_CAPABILITY=default), so each float32 operation is
rounded once, in PyTorch's order. The script also checks them against a
NumPy float32 re-implementation of that order (bit for bit) and reports how
far the AVX2 kernels land from them.

Run: /usr/bin/python3 tests/data/optimizers/make_vectors.py
"""
import math
import os
import subprocess
import sys

os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = (5, 7)  # 35 elements: not a multiple of any vector width
STEPS = 3


def f32(x):
    """The double value of x rounded to float32."""
    return float(np.float32(x))


# name: (torch optimizer class, its keyword arguments before f32 rounding).
# Every float hyper-parameter is given, even at torch's default, so that all
# of them are rounded (torch's own defaults are doubles: betas 0.9, 0.999).
CONFIGS = {
    "sgd": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_wd": (torch.optim.SGD, dict(lr=0.1, weight_decay=0.05)),
    "momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "nesterov_wd": (torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    "adam": (torch.optim.Adam, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
    "adam_l2": (torch.optim.Adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    "adamw": (torch.optim.AdamW, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
}


def rounded(kwargs):
    return {k: (tuple(f32(b) for b in v) if isinstance(v, tuple) else v if isinstance(v, bool) else f32(v))
            for k, v in kwargs.items()}


def inputs():
    rng = np.random.default_rng(20240611)
    param0 = rng.normal(0.0, 1.0, SHAPE).astype(np.float32)
    # Gradients spanning five orders of magnitude, so that epsilon and the
    # weight decay matter for some elements and not for others.
    scale = np.logspace(-4, 1, num=param0.size).reshape(SHAPE)
    grads = (rng.normal(0.0, 1.0, (STEPS,) + SHAPE) * scale).astype(np.float32)
    return param0, grads


def run_torch(cls, kwargs, param0, grads):
    p = torch.nn.Parameter(torch.from_numpy(param0.copy()))
    opt = cls([p], **kwargs)
    after = []
    for g in grads:
        p.grad = torch.from_numpy(g.copy())
        opt.step()
        after.append(p.detach().numpy().copy())
    return np.stack(after)


def run_numpy(cls, kwargs, param0, grads):
    """PyTorch's float32 operation order, each operation rounded once."""
    F = np.float32
    lr, wd = kwargs["lr"], kwargs.get("weight_decay", 0.0)
    p = param0.copy()
    state = [np.zeros_like(p), np.zeros_like(p)]
    after = []
    for t, g in enumerate(grads, start=1):
        if cls is torch.optim.SGD:
            mom = kwargs.get("momentum", 0.0)
            if wd != 0:
                g = g + F(wd) * p
            v = F(mom) * state[0] + g
            state[0] = v
            d = (g + F(mom) * v if kwargs.get("nesterov") else v) if mom != 0 else g
            p = p - F(lr) * d
        else:
            b1, b2 = kwargs["betas"]
            eps = kwargs["eps"]
            if cls is torch.optim.AdamW:
                p = p * F(1 - lr * wd)
            elif wd != 0:
                g = g + F(wd) * p
            m = F(b1) * state[0] + F(1 - b1) * g
            v = F(b2) * state[1] + F(1 - b2) * g * g
            state = [m, v]
            step_size = F(lr / (1 - b1 ** t))
            denom = np.sqrt(v) / F(math.sqrt(1 - b2 ** t)) + F(eps)
            p = p - step_size * m / denom
        after.append(p.copy())
    return np.stack(after)


def main():
    param0, grads = inputs()
    if os.environ["ATEN_CPU_CAPABILITY"] != "default":
        # Child run (see below): print the max deviation of each config.
        for name, (cls, kwargs) in CONFIGS.items():
            expected = np.load(os.path.join(HERE, f"expected_{name}.npy"))
            got = run_torch(cls, rounded(kwargs), param0, grads)
            rel = np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-30))
            print(f"  {name}: max |diff| {np.max(np.abs(got - expected)):.3g}, max relative {rel:.3g}")
        return

    np.save(os.path.join(HERE, "param0.npy"), param0)
    np.save(os.path.join(HERE, "grads.npy"), grads)
    for name, (cls, kwargs) in CONFIGS.items():
        kwargs = rounded(kwargs)
        expected = run_torch(cls, kwargs, param0, grads)
        emulated = run_numpy(cls, kwargs, param0, grads)
        same = np.array_equal(expected.view(np.uint32), emulated.view(np.uint32))
        print(f"{name}: {kwargs}; NumPy emulation {'bit-identical' if same else 'DIFFERS'}")
        if not same:
            print("  max |diff|", np.max(np.abs(expected - emulated)), file=sys.stderr)
        np.save(os.path.join(HERE, f"expected_{name}.npy"), expected)

    print("PyTorch's AVX2 kernels against these values:")
    env = dict(os.environ, ATEN_CPU_CAPABILITY="avx2")
    subprocess.run([sys.executable, os.path.abspath(__file__)], env=env, check=True)


if __name__ == "__main__":
    main()
