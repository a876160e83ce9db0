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

o1_o2_peer_header shape
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
  o1_o2_peer_row "$shape" "${o1[*]}" "${o2[*]}" "${theirs[*]}"
done
