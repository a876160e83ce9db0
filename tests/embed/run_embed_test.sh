#!/usr/bin/env bash
# Installs graphc into a temporary prefix, builds examples/embed against it
# with find_package(graphc), runs it on a compiled MLP and checks that its
# outputs are byte-identical to `graphc run`'s.
# Usage: run_embed_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/install" >/dev/null
cmake -S "$source/examples/embed" -B "$work/embed" -G Ninja -DCMAKE_PREFIX_PATH="$work/install" >/dev/null
cmake --build "$work/embed" >/dev/null

graphc="$work/install/bin/graphc"
"$graphc" compile "$source/examples/mlp.pbtxt" --shape x=1x784 -o "$work/mlp.gcm" >/dev/null
"$graphc" run "$work/mlp.gcm" --input "$source/examples/inputs/image_1x784.npy" --output-dir "$work/cli" >/dev/null
mkdir "$work/embedded"
"$work/embed/embed" "$work/mlp.gcm" "$source/examples/inputs/image_1x784.npy" "$work/embedded"

failed=0
for name in logits probs; do
  if cmp -s "$work/cli/$name.npy" "$work/embedded/$name.npy"; then
    echo "PASS $name.npy matches graphc run"
  else
    echo "FAIL $name.npy differs from graphc run"
    failed=1
  fi
done
exit $failed
