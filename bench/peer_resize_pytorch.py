#!/usr/bin/env python3
"""The PyTorch peer of bench/resize.pbtxt: the median time of
torch.nn.functional.interpolate from [1, 64, 56, 56] to [1, 64, 112, 112],
bilinear (align_corners=False) or nearest.

  /usr/bin/python3 bench/peer_resize_pytorch.py --mode bilinear --iters 50
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["bilinear", "nearest"], required=True)
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = torch.rand(1, 64, 56, 56)
    options = {"align_corners": False} if args.mode == "bilinear" else {}
    times = []
    for i in range(args.warmup + args.iters):
        start = time.perf_counter()
        F.interpolate(x, size=(112, 112), mode=args.mode, **options)
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1e6)
    print(json.dumps({"median_us": statistics.median(times)}))


if __name__ == "__main__":
    main()
