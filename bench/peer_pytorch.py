#!/usr/bin/env python3
"""The PyTorch peer of `graphc bench`: the same model and input shape, timed
the same way (warm-up runs, then timed runs; median and p90 of the
per-run latency). Prints one JSON object.

The models mirror examples/mlp.pbtxt (784-512-256-10, ReLU) and
examples/cnn.pbtxt (conv3x3(16)-relu-maxpool2, conv3x3(32)-relu-maxpool2,
dense 1568-10, softmax), in inference mode.

  python3 bench/peer_pytorch.py --model mlp --batch 128 --iters 200
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def build(model: str) -> tuple[nn.Module, tuple[int, ...]]:
    if model == "mlp":
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        return net, (784,)
    if model == "cnn":
        net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(), nn.Linear(1568, 10), nn.Softmax(dim=-1))
        return net, (1, 28, 28)
    raise SystemExit(f"unknown model {model!r} (mlp or cnn)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    net, sample = build(args.model)
    net.eval()
    x = torch.rand(args.batch, *sample)
    latencies = []
    with torch.inference_mode():
        for _ in range(args.warmup):
            net(x)
        for _ in range(args.iters):
            start = time.perf_counter()
            net(x)
            latencies.append((time.perf_counter() - start) * 1e6)
    latencies.sort()
    print(json.dumps({
        "torch": torch.__version__,
        "median_us": statistics.median(latencies),
        "p90_us": latencies[round(0.9 * (len(latencies) - 1))],
    }))


if __name__ == "__main__":
    main()
