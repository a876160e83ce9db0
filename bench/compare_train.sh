#!/usr/bin/env bash
# Side-by-side training-step timings of graphc and PyTorch: one SGD-momentum
# step (forward, backward, update) of the Fashion-MNIST MLP, CNN and row
# LSTM at batch 128, 2 threads each, alternating graphc and PyTorch for
# ROUNDS rounds so that machine noise hits both alike. Prints each model's
# median step time and the ratio graphc ÷ PyTorch (< 1: graphc is faster).
#
#   bench/compare_train.sh [GRAPHC_BINARY]      (default build/tools/graphc/graphc)
#   ROUNDS=5 ITERS=50 bench/compare_train.sh
#   MODELS=lstm bench/compare_train.sh          (a subset of mlp cnn lstm)
# Needs Debian's python3-torch and dataset-fashion-mnist.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$here/lib.sh"
bench_setup "${1:-}" 5 50

printf "%-16s %14s %14s %8s\n" workload "graphc ms" "pytorch ms" ratio
for model in ${MODELS:-mlp cnn lstm}; do
  case $model in
    mlp) shape=128x784 ;;
    cnn) shape=128x1x28x28 ;;
    lstm) shape=128x28x28 ;;
  esac
  "$graphc" compile "$root/examples/fashion_mnist/$model.pbtxt" --train --shape "x=$shape" --shape labels=128 \
    -o "$work/$model.gcm" >/dev/null
  ours=() theirs=()
  for ((r = 0; r < rounds; r++)); do
    ours+=("$("$graphc" bench "$work/$model.gcm" --iters "$iters" --json | field median_us)")
    theirs+=("$("$python" "$here/peer_train_pytorch.py" --model "$model" --steps "$iters" --threads "$threads" |
      field step_median_ms)")
  done
  g=$(printf "%s\n" "${ours[@]}" | median)
  t=$(printf "%s\n" "${theirs[@]}" | median)
  printf "%-16s %14.2f %14.2f %8.2f\n" "${model}_train_b128" "$(echo "$g / 1000" | bc -l)" "$t" \
    "$(echo "$g / 1000 / $t" | bc -l)"
done
