#!/usr/bin/env bash
# The softmax cross-entropy and its gradient (bench/cross_entropy.pbtxt) at
# -O1 (the reference kernels SoftmaxCrossEntropy and SoftmaxCrossEntropyGrad)
# and -O2 (one generated row kernel and the batch mean), against PyTorch's
# F.cross_entropy forward + backward (bench/peer_cross_entropy_pytorch.py),
# 2 threads each, alternating for ROUNDS rounds. Prints median times and
# the ratios -O2 ÷ -O1 and -O2 ÷ PyTorch (< 1: -O2 is faster).
#
#   bench/compare_cross_entropy.sh [GRAPHC_BINARY]   (default build/tools/graphc/graphc)
#   ROUNDS=3 ITERS=20 SHAPES="128x10 2048x8192 2048x32000" bench/compare_cross_entropy.sh
# Needs Debian's python3-torch.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$here/lib.sh"
bench_setup "${1:-}" 3 20
shapes="${SHAPES:-128x10 2048x8192}"

printf "%-12s %12s %12s %12s %9s %9s\n" shape "-O1 µs" "-O2 µs" "pytorch µs" "O2÷O1" "O2÷torch"
for shape in $shapes; do
  rows=${shape%x*} cols=${shape#*x}
  for level in 1 2; do
    "$graphc" compile "$here/cross_entropy.pbtxt" -O"$level" --shape "logits=$shape" --shape "labels=$rows" \
      -o "$work/O$level.gcm" >/dev/null
  done
  o1=() o2=() theirs=()
  for ((r = 0; r < rounds; r++)); do
    o1+=("$("$graphc" bench "$work/O1.gcm" --iters "$iters" --json | field median_us)")
    o2+=("$("$graphc" bench "$work/O2.gcm" --iters "$iters" --json | field median_us)")
    theirs+=("$("$python" "$here/peer_cross_entropy_pytorch.py" --rows "$rows" --cols "$cols" --iters "$iters" \
      --threads "$threads" | field median_us)")
  done
  a=$(printf "%s\n" "${o1[@]}" | median)
  b=$(printf "%s\n" "${o2[@]}" | median)
  t=$(printf "%s\n" "${theirs[@]}" | median)
  printf "%-12s %12.1f %12.1f %12.1f %9.3f %9.3f\n" "$shape" "$a" "$b" "$t" "$(echo "$b / $a" | bc -l)" \
    "$(echo "$b / $t" | bc -l)"
done
