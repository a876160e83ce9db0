#!/usr/bin/env bash
# The executor and memory-planning figures of issue 5, in one run:
#  - two_branch: two independent chains of 512x512 MatMul+Tanh joined by an
#    Add, compiled for cpu:1 (one one-core device) and cpu:2 (two one-core
#    devices), benchmarked alternately for ROUNDS rounds; prints the median
#    latencies and the speed-up cpu:1 / cpu:2 (target >= 1.8);
#  - chain: CHAIN tiny Neg steps on one element at -O0, on cpu (the
#    sequential fast path) and cpu:2 (pending counts, queues, inline steps);
#    prints the median time per step (target <= 1 us);
#  - memory: arena, liveness lower bound and efficiency (lower bound / arena)
#    of each benchmark model (target: arena <= 1.05 x lower bound).
#
#   bench/executor.sh [GRAPHC]          (default build/tools/graphc/graphc)
#   ROUNDS=5 ITERS=20 CHAIN=2000 bench/executor.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
graphc="${1:-$root/build/tools/graphc/graphc}"
rounds="${ROUNDS:-5}"
iters="${ITERS:-20}"
chain="${CHAIN:-2000}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

source "$here/lib.sh"
bench_us() { "$graphc" bench "$1" --iters "$2" --json | field median_us; }

python3 "$here/executor_models.py" "$work" --chain "$chain"
"$graphc" compile "$work/two_branch.pbtxt" --devices cpu:1 -o "$work/tb1.gcm" >/dev/null
"$graphc" compile "$work/two_branch.pbtxt" --devices cpu:2 -o "$work/tb2.gcm" >/dev/null
"$graphc" compile "$work/chain.pbtxt" -O0 --devices cpu -o "$work/chain1.gcm" >/dev/null
"$graphc" compile "$work/chain.pbtxt" -O0 --devices cpu:2 -o "$work/chain2.gcm" >/dev/null

one=() two=() seq=() par=()
for ((r = 0; r < rounds; r++)); do
  one+=("$(bench_us "$work/tb1.gcm" "$iters")")
  two+=("$(bench_us "$work/tb2.gcm" "$iters")")
  seq+=("$(bench_us "$work/chain1.gcm" 200)")
  par+=("$(bench_us "$work/chain2.gcm" 200)")
done
t1=$(printf "%s\n" "${one[@]}" | median)
t2=$(printf "%s\n" "${two[@]}" | median)
s1=$(printf "%s\n" "${seq[@]}" | median)
s2=$(printf "%s\n" "${par[@]}" | median)
printf "two_branch  cpu:1 %10.0f us  cpu:2 %10.0f us  speed-up %.2f\n" "$t1" "$t2" "$(echo "$t1 / $t2" | bc -l)"
printf "chain       %d steps: cpu %.1f us (%.3f us/step)  cpu:2 %.1f us (%.3f us/step)\n" "$chain" \
  "$s1" "$(echo "$s1 / $chain" | bc -l)" "$s2" "$(echo "$s2 / $chain" | bc -l)"

echo "memory (sequential = one device; parallel = cpu:2):"
fm="$root/examples/fashion_mnist"
models=(
  "mlp_infer_b128   $root/examples/mlp.pbtxt      --shape x=128x784"
  "cnn_infer_b64    $root/examples/cnn.pbtxt      --shape x=64x1x28x28"
  "mlp_train_b128   $fm/mlp.pbtxt --train --shape x=128x784 --shape labels=128"
  "cnn_train_b128   $fm/cnn.pbtxt --train --shape x=128x1x28x28 --shape labels=128"
  "two_branch       $work/two_branch.pbtxt"
)
for m in "${models[@]}"; do
  read -r name model rest <<<"$m"
  for devices in cpu cpu:2; do
    # shellcheck disable=SC2086
    "$graphc" compile "$model" $rest --devices "$devices" -o "$work/m.gcm" >/dev/null
    "$graphc" inspect "$work/m.gcm" --memory | awk -v n="$name" -v d="$devices" '
      /^  arena / { sub(/^  arena /, ""); arena = arena (arena == "" ? "" : ", ") $0 }
      /^  lower bound/ { lb = $3 " " $4 }
      /^  efficiency/ { eff = $2 }
      END { printf "  %-16s %-6s lower bound %-10s efficiency %s  arenas: %s\n", n, d, lb, eff, arena }'
  done
done
