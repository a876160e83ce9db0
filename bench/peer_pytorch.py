#!/usr/bin/env python3
"""The PyTorch peer of `graphc bench`: the same model and input shape, timed
the same way (warm-up runs, then timed runs; median and p90 of the
per-run latency). Prints one JSON object.

The models mirror examples/mlp.pbtxt (784-512-256-10, ReLU) and
examples/cnn.pbtxt (conv3x3(16)-relu-maxpool2, conv3x3(32)-relu-maxpool2,
dense 1568-10, softmax), in inference mode; resnet18 and encoder_block are
the very modules that tests/real_models/export_models.py exports for graphc
(tests/real_models/models.py; their batch and shapes are fixed there, and
--batch is ignored); gemm is torch.matmul of two 1024x1024 f32 matrices
into a preallocated result (OpenBLAS, through Debian's libblas.so.3).

  python3 bench/peer_pytorch.py --model mlp --batch 128 --iters 200
"""
import argparse
import json
import pathlib
import statistics
import sys
import time
from typing import Callable

import torch
from torch import nn

REAL_MODELS = pathlib.Path(__file__).resolve().parent.parent / "tests" / "real_models"


def build(model: str, batch: int) -> Callable[[], torch.Tensor]:
    """The timed call: one inference (or one GEMM) on fixed random inputs."""
    if model in ("mlp", "cnn"):
        if model == "mlp":
            net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
            x = torch.rand(batch, 784)
        else:
            net = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.Flatten(), nn.Linear(1568, 10), nn.Softmax(dim=-1))
            x = torch.rand(batch, 1, 28, 28)
        net.eval()
        return lambda: net(x)
    if model in ("resnet18", "encoder_block"):
        sys.path.insert(0, str(REAL_MODELS))
        import models
        net, x = models.build(model)
        return lambda: net(x)
    if model == "gemm":
        a, b, c = torch.rand(1024, 1024), torch.rand(1024, 1024), torch.empty(1024, 1024)
        return lambda: torch.matmul(a, b, out=c)
    raise SystemExit(f"unknown model {model!r} (mlp, cnn, resnet18, encoder_block or gemm)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    run = build(args.model, args.batch)
    latencies = []
    with torch.inference_mode():
        for _ in range(args.warmup):
            run()
        for _ in range(args.iters):
            start = time.perf_counter()
            run()
            latencies.append((time.perf_counter() - start) * 1e6)
    latencies.sort()
    print(json.dumps({
        "torch": torch.__version__,
        "median_us": statistics.median(latencies),
        "p90_us": latencies[round(0.9 * (len(latencies) - 1))],
    }))


if __name__ == "__main__":
    main()
