#!/usr/bin/env bash
# Side-by-side inference timings of graphc and PyTorch on the same models and
# input shapes, 2 threads each, alternating graphc and PyTorch for ROUNDS
# rounds so that machine noise hits both alike. Prints each workload's
# median latency (the median over rounds of each round's median) and the
# ratio graphc ÷ PyTorch (< 1: graphc is faster).
#
#   bench/compare.sh [GRAPHC_BINARY]      (default build/tools/graphc/graphc)
#   ROUNDS=5 ITERS=200 bench/compare.sh
# Needs Debian's python3-torch (apt-get install python3-torch).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
graphc="${1:-$root/build/tools/graphc/graphc}"
rounds="${ROUNDS:-5}"
iters="${ITERS:-200}"
threads=2
# Debian's python3-torch lives in the system Python, not in a pyenv or venv one.
python="${PYTHON:-/usr/bin/python3}"
export OMP_NUM_THREADS=$threads

# name model file shape torch-model batch
workloads=(
  "mlp_infer_b1    mlp.pbtxt x=1x784       mlp 1"
  "mlp_infer_b128  mlp.pbtxt x=128x784     mlp 128"
  "cnn_infer_b1    cnn.pbtxt x=1x1x28x28   cnn 1"
  "cnn_infer_b64   cnn.pbtxt x=64x1x28x28  cnn 64"
)

source "$here/lib.sh"

printf "%-16s %14s %14s %8s\n" workload "graphc µs" "pytorch µs" ratio
for w in "${workloads[@]}"; do
  read -r name file shape torch_model batch <<<"$w"
  ours=() theirs=()
  for ((r = 0; r < rounds; r++)); do
    ours+=("$("$graphc" bench "$root/examples/$file" --shape "$shape" --iters "$iters" --json | field median_us)")
    theirs+=("$("$python" "$here/peer_pytorch.py" --model "$torch_model" --batch "$batch" --iters "$iters" \
      --threads "$threads" | field median_us)")
  done
  g=$(printf "%s\n" "${ours[@]}" | median)
  t=$(printf "%s\n" "${theirs[@]}" | median)
  printf "%-16s %14.1f %14.1f %8.2f\n" "$name" "$g" "$t" "$(echo "$g / $t" | bc -l)"
done
