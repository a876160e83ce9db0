#!/usr/bin/env bash
# Side-by-side inference timings of graphc and PyTorch on the same models and
# input shapes, 2 threads each, alternating graphc and PyTorch for ROUNDS
# rounds so that machine noise hits both alike. Prints each workload's
# median latency (the median over rounds of each round's median) and the
# ratio graphc ÷ PyTorch (< 1: graphc is faster). For the GEMM the ratio is
# of throughputs instead, graphc ÷ PyTorch's torch.matmul (OpenBLAS), so
# there > 1 means graphc is faster.
#
# resnet18_infer_b1 and encoder_block_infer are made here, not checked in:
# tests/real_models/export_models.py exports them from PyTorch to ONNX
# (torchvision's resnet18 with random weights; a pre-norm encoder block,
# d 768, 12 heads, FFN 3072, sequence 128) and `graphc import` turns them
# into GraphDefs, all cached in CACHE (default: real_models/ in the build
# tree of GRAPHC_BINARY, shared with the real-model tests); the export is
# made again only when the exporter changes.
#
#   bench/compare.sh [GRAPHC_BINARY]      (default build/tools/graphc/graphc)
#   ROUNDS=5 ITERS=200 bench/compare.sh
#   WORKLOADS="resnet18_infer_b1 gemm_1024" bench/compare.sh    (a subset)
# Needs Debian's python3-torch and python3-torchvision, and
# libopenblas0-pthread for the peer's BLAS.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
graphc="${1:-$root/build/tools/graphc/graphc}"
rounds="${ROUNDS:-5}"
iters="${ITERS:-200}"
threads=2
# Debian's python3-torch lives in the system Python, not in a pyenv or venv one.
python="${PYTHON:-/usr/bin/python3}"
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
cache="${CACHE:-$(cd "$(dirname "$graphc")/../.." && pwd)/real_models}"

# name model-file shape torch-model batch  (@ is the cache of exported models)
all_workloads=(
  "mlp_infer_b1        examples/mlp.pbtxt    x=1x784        mlp 1"
  "mlp_infer_b128      examples/mlp.pbtxt    x=128x784      mlp 128"
  "cnn_infer_b1        examples/cnn.pbtxt    x=1x1x28x28    cnn 1"
  "cnn_infer_b64       examples/cnn.pbtxt    x=64x1x28x28   cnn 64"
  "resnet18_infer_b1   @/resnet18/model.pb      x=1x3x224x224  resnet18 1"
  "encoder_block_infer @/encoder_block/model.pb x=1x128x768    encoder_block 1"
  "gemm_1024           bench/gemm_1024.pbtxt -              gemm 1"
)
workloads=()
for w in "${all_workloads[@]}"; do
  read -r name _ <<<"$w"
  [[ -z "${WORKLOADS:-}" || " $WORKLOADS " == *" $name "* ]] && workloads+=("$w")
done

source "$here/lib.sh"

# The exported models the chosen workloads need, made once into the cache.
for w in "${workloads[@]}"; do
  read -r _ file _ torch_model _ <<<"$w"
  [[ $file == @/* ]] || continue
  "$python" "$root/tests/real_models/export_models.py" --out "$cache" "$torch_model" >/dev/null
  # imported every time: a GraphDef from an older graphc's importer may differ
  "$graphc" import "$cache/$torch_model/model.onnx" -o "$cache/${file#@/}" >/dev/null
done

printf "%-20s %14s %14s %8s\n" workload "graphc µs" "pytorch µs" ratio
for w in "${workloads[@]}"; do
  read -r name file shape torch_model batch <<<"$w"
  case $file in @/*) model="$cache/${file#@/}" ;; *) model="$root/$file" ;; esac
  shape_args=()
  [[ $shape == - ]] || shape_args=(--shape "$shape")
  ours=() theirs=()
  for ((r = 0; r < rounds; r++)); do
    ours+=("$("$graphc" bench "$model" "${shape_args[@]}" --iters "$iters" --json | field median_us)")
    theirs+=("$("$python" "$here/peer_pytorch.py" --model "$torch_model" --batch "$batch" --iters "$iters" \
      --threads "$threads" | field median_us)")
  done
  g=$(printf "%s\n" "${ours[@]}" | median)
  t=$(printf "%s\n" "${theirs[@]}" | median)
  if [[ $torch_model == gemm ]]; then  # 2·1024³ flops a run; the ratio of throughputs
    printf "%-20s %14.1f %14.1f %8.2f   throughput graphc ÷ OpenBLAS (%.1f vs %.1f GFLOP/s)\n" "$name" "$g" "$t" \
      "$(echo "$t / $g" | bc -l)" "$(echo "2 * 1024^3 / $g / 1000" | bc -l)" "$(echo "2 * 1024^3 / $t / 1000" | bc -l)"
  else
    printf "%-20s %14.1f %14.1f %8.2f\n" "$name" "$g" "$t" "$(echo "$g / $t" | bc -l)"
  fi
done
