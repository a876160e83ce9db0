#!/usr/bin/env python3
"""The PyTorch peer of `graphc train` on Fashion-MNIST: the same models as
examples/fashion_mnist/{mlp,cnn,lstm}.pbtxt and the same recipe (SGD lr 0.05,
momentum 0.9, batch 128, pixels / 255, a shuffled epoch, the last partial
batch kept), 2 threads. Prints per-epoch test accuracy and the median time
of one training step, so accuracy and speed can be compared with graphc's.

  /usr/bin/python3 bench/peer_train_pytorch.py --model mlp --epochs 5
  /usr/bin/python3 bench/peer_train_pytorch.py --model cnn --steps 50   # step time only
"""
import argparse
import gzip
import json
import statistics
import time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name: str) -> np.ndarray:
    with gzip.open(f"{DATA}/{name}.gz", "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class RowLstm(nn.Module):
    """Each image's 28 rows as a sequence, the LSTM's last hidden state -> 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(28, 128, batch_first=True)
        self.dense = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x.reshape(x.shape[0], 28, 28))
        return self.dense(h[-1])


def build(model: str) -> nn.Module:
    if model == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 10))
    if model == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    if model == "lstm":
        return RowLstm()
    raise SystemExit(f"unknown model {model!r} (mlp, cnn or lstm)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--epochs", type=int, default=0, help="train this many epochs and report accuracy")
    parser.add_argument("--steps", type=int, default=0, help="time this many training steps (after 5 warm-up)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    x_train = torch.from_numpy(idx("train-images-idx3-ubyte").astype(np.float32) / 255.0).unsqueeze(1)
    y_train = torch.from_numpy(idx("train-labels-idx1-ubyte").astype(np.int64))
    x_test = torch.from_numpy(idx("t10k-images-idx3-ubyte").astype(np.float32) / 255.0).unsqueeze(1)
    y_test = torch.from_numpy(idx("t10k-labels-idx1-ubyte").astype(np.int64))
    net = build(args.model)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()
        return loss

    result = {"model": args.model, "batch": args.batch, "threads": args.threads}
    if args.steps:
        xb, yb = x_train[:args.batch], y_train[:args.batch]
        for _ in range(5):
            step(xb, yb)
        times = []
        for _ in range(args.steps):
            start = time.perf_counter()
            step(xb, yb)
            times.append(time.perf_counter() - start)
        result["step_median_ms"] = statistics.median(times) * 1e3
    accuracies = []
    for epoch in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x_train))
        for b in range(0, len(order), args.batch):
            idxs = order[b:b + args.batch]
            step(x_train[idxs], y_train[idxs])
        with torch.no_grad():
            correct = (net(x_test).argmax(1) == y_test).sum().item()
        accuracies.append(correct / len(y_test))
        print(f"epoch {epoch + 1}/{args.epochs}: test accuracy {accuracies[-1]:.4f}, "
              f"{time.perf_counter() - start:.1f} s", flush=True)
    if accuracies:
        result["test_accuracy"] = accuracies
    print(json.dumps(result))


if __name__ == "__main__":
    main()
