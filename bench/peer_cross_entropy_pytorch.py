#!/usr/bin/env python3
"""The PyTorch peer of bench/cross_entropy.pbtxt: the median time of
torch.nn.functional.cross_entropy forward and backward (the gradient with
respect to the logits) on logits uniform in [0, 1) and labels 0, as
`graphc bench` feeds them.

  /usr/bin/python3 bench/peer_cross_entropy_pytorch.py --rows 2048 --cols 8192 --iters 20
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--cols", type=int, required=True)
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    logits = torch.rand(args.rows, args.cols, requires_grad=True)
    labels = torch.zeros(args.rows, dtype=torch.long)
    times = []
    for i in range(args.warmup + args.iters):
        start = time.perf_counter()
        logits.grad = None
        F.cross_entropy(logits, labels).backward()
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1e6)
    print(json.dumps({"median_us": statistics.median(times)}))


if __name__ == "__main__":
    main()
