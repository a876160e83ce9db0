#!/usr/bin/env bash
# The [slow] accuracy check of the training issue: trains MODEL on Debian's
# Fashion-MNIST (dataset-fashion-mnist) with SGD lr 0.05, momentum 0.9,
# batch 128 for EPOCHS epochs and fails unless the last epoch's test
# accuracy reaches MIN_ACCURACY (what PyTorch reaches with the same recipe).
#
# Usage: run_fashion_mnist.sh GRAPHC MODEL EPOCHS MIN_ACCURACY
set -euo pipefail

if [ $# -ne 4 ]; then
  echo "usage: $0 GRAPHC MODEL EPOCHS MIN_ACCURACY" >&2
  exit 2
fi
graphc=$1 model=$2 epochs=$3 min_accuracy=$4
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$graphc" train "$model" --data fashion-mnist --epochs "$epochs" --batch 128 --lr 0.05 --momentum 0.9 \
  --optimizer sgd --seed 0 | tee "$out"
accuracy=$(sed -nE 's/.*test accuracy ([0-9.]+).*/\1/p' "$out" | tail -n 1)
if [ -z "$accuracy" ]; then
  echo "FAIL: no test accuracy in the output" >&2
  exit 1
fi
if awk -v a="$accuracy" -v m="$min_accuracy" 'BEGIN { exit !(a >= m) }'; then
  echo "PASS: test accuracy $accuracy >= $min_accuracy after $epochs epochs"
else
  echo "FAIL: test accuracy $accuracy < $min_accuracy after $epochs epochs" >&2
  exit 1
fi
