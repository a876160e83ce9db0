#!/usr/bin/env bash
# Resize (bench/resize.pbtxt: [1, 64, 56, 56] to [1, 64, 112, 112]) bilinear
# and nearest, at -O1 (the reference kernel) and -O2 (oneDNN's resampling),
# against torch.nn.functional.interpolate (bench/peer_resize_pytorch.py), 2
# threads each, alternating for ROUNDS rounds. Prints median times and the
# ratios -O2 ÷ -O1 and -O2 ÷ PyTorch (< 1: -O2 is faster).
#
#   bench/compare_resize.sh [GRAPHC_BINARY]   (default build/tools/graphc/graphc)
# Needs Debian's python3-torch.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$here/lib.sh"
bench_setup "${1:-}" 3 50

o1_o2_peer_header mode
for mode in bilinear nearest; do
  model="$here/resize.pbtxt"
  if [ "$mode" = nearest ]; then
    model="$work/nearest.pbtxt"
    sed 's|value { s: "linear" } }|value { s: "nearest" } }\n  attr { key: "coordinate_transformation_mode" value { s: "asymmetric" } }\n  attr { key: "nearest_mode" value { s: "floor" } }|' \
      "$here/resize.pbtxt" >"$model"
  fi
  for level in 1 2; do "$graphc" compile "$model" -O"$level" -o "$work/O$level.gcm" >/dev/null; done
  o1=() o2=() theirs=()
  for ((r = 0; r < rounds; r++)); do
    o1+=("$("$graphc" bench "$work/O1.gcm" --iters 10 --json | field median_us)")
    o2+=("$("$graphc" bench "$work/O2.gcm" --iters "$iters" --json | field median_us)")
    theirs+=("$("$python" "$here/peer_resize_pytorch.py" --mode "$mode" --iters "$iters" --threads "$threads" |
      field median_us)")
  done
  o1_o2_peer_row "$mode" "${o1[*]}" "${o2[*]}" "${theirs[*]}"
done
