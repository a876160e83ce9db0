#!/usr/bin/env bash
# End-to-end tests of the graphc command line on the example models: help
# texts, compile -> run with each way of naming inputs, running a model
# directly, inspect (text and JSON), dot, the pipeline debugging flags, and
# -O0 against -O2. Each test is a function; the first failed check ends it.
#
# Usage: run_cli_tests.sh GRAPHC EXAMPLES_DIR
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 GRAPHC EXAMPLES_DIR" >&2
  exit 2
fi
GRAPHC=$(realpath "$1")
EXAMPLES=$(realpath "$2")
source "$(dirname "$0")/lib.sh"

MLP=$EXAMPLES/mlp.pbtxt
CNN=$EXAMPLES/cnn.pbtxt
MLP_INPUT=$EXAMPLES/inputs/image_1x784.npy
CNN_INPUT=$EXAMPLES/inputs/image_1x1x28x28.npy
WORK=$SCRATCH/work
mkdir -p "$WORK"

# Why the current test failed; set by the check helpers below.
REASON=""

# graphc_ok ARGS...: runs graphc; fails unless it exits 0.
graphc_ok() {
  local status
  run_graphc "$@"
  status=$?
  [ "$status" -eq 0 ] && return 0
  REASON="graphc $* $(status_text "$status")"
  return 1
}

# has FILE WHAT TEXT...: fails unless FILE contains every TEXT; WHAT names
# FILE in the failure.
has() {
  local file=$1 what=$2 text
  shift 2
  for text in "$@"; do
    if ! contains "$file" "$text"; then
      REASON="$what lacks '$text'"
      return 1
    fi
  done
}
stdout_has() { has "$STDOUT" stdout "$@"; }
stderr_has() { has "$STDERR" stderr "$@"; }

# same_bytes A B: fails unless files A and B are identical.
same_bytes() {
  cmp -s "$1" "$2" && return 0
  REASON="$1 and $2 differ"
  return 1
}

# npy_data_offset FILE: where the data of a version 1.0 .npy file starts.
npy_data_offset() {
  echo $((10 + $(od -An -tu2 -j8 -N2 --endian=little "$1" | tr -d ' ')))
}

# npy_ok FILE SHAPE COUNT: fails unless FILE is a valid little-endian f32
# .npy of NumPy shape SHAPE (e.g. "(1, 10)") holding COUNT elements: the
# magic, the header's dtype and shape, and a size of exactly header + data.
npy_ok() {
  local file=$1 shape=$2 count=$3 offset
  REASON="$file is not a valid .npy of f32 $shape"
  [ -f "$file" ] || return 1
  [ "$(head -c 6 "$file" | tail -c 5)" = "NUMPY" ] || return 1
  offset=$(npy_data_offset "$file")
  head -c "$offset" "$file" | grep -qF "'descr': '<f4', 'fortran_order': False, 'shape': $shape" || return 1
  [ "$(stat -c %s "$file")" -eq $((offset + 4 * count)) ]
}

# npy_values FILE: the f32 elements of a .npy file, one per line.
npy_values() {
  od -An -v -tf4 -j "$(npy_data_offset "$1")" "$1" | tr -s ' ' '\n' | sed '/^$/d'
}

# npy_close A B: fails unless the f32 .npy files A and B hold as many
# elements and agree to a relative 1e-4 (absolute 1e-6 near zero).
npy_close() {
  paste <(npy_values "$1") <(npy_values "$2") |
    awk '{ d = $1 - $2; m = $2 < 0 ? -$2 : $2; if (NF != 2 || d > 1e-4 * m + 1e-6 || -d > 1e-4 * m + 1e-6) bad++ }
         END { exit bad > 0 }' && return 0
  REASON="$1 and $2 differ by more than a relative 1e-4"
  return 1
}

# run_test NAME: runs test_NAME and records the result.
run_test() {
  REASON=""
  : >"$STDERR"
  if "test_$1"; then pass "$1"; else fail "$1" "$REASON"; fi
}

test_help() {
  graphc_ok --help || return 1
  stdout_has compile run inspect dot --version
}

test_compile_help() {
  graphc_ok compile --help || return 1
  stdout_has MODEL --output --shape -O --print-pipeline --print-after --print-after-all --verify-each --time-passes
}

test_run_help() {
  graphc_ok run --help || return 1
  stdout_has MODULE_OR_MODEL --input --output-dir -O
}

test_inspect_help() {
  graphc_ok inspect --help || return 1
  stdout_has MODEL_OR_MODULE --shape -O --json
}

test_dot_help() {
  graphc_ok dot --help || return 1
  stdout_has MODEL_OR_MODULE --output --shape -O
}

test_version() {
  graphc_ok --version || return 1
  stdout_has "graphc "
}

test_usage_error_exits_2() {
  run_graphc compile --no-such-flag
  local status=$?
  [ "$status" -eq 2 ] && return 0
  REASON="graphc compile --no-such-flag $(status_text "$status"), expected exit code 2"
  return 1
}

test_compile_mlp() {
  graphc_ok compile "$MLP" --shape x=1x784 -o "$WORK/mlp.gcm" || return 1
  stdout_has "wrote $WORK/mlp.gcm" "1 inputs, 2 outputs"
}

test_compile_cnn() {
  graphc_ok compile "$CNN" --shape x=1x1x28x28 -o "$WORK/cnn.gcm" || return 1
  stdout_has "wrote $WORK/cnn.gcm" "1 inputs, 2 outputs"
}

test_compile_shape_before_model() {
  graphc_ok compile --shape x=1x784 "$MLP" -o "$WORK/mlp_again.gcm" || return 1
  same_bytes "$WORK/mlp.gcm" "$WORK/mlp_again.gcm"
}

test_compile_default_output_path() {
  cp "$MLP" "$WORK/copy.pbtxt"
  graphc_ok compile "$WORK/copy.pbtxt" --shape x=1x784 || return 1
  [ -f "$WORK/copy.gcm" ] || { REASON="no $WORK/copy.gcm beside the model"; return 1; }
}

test_run_mlp_named_input() {
  graphc_ok run "$WORK/mlp.gcm" --input "x=$MLP_INPUT" --output-dir "$WORK/mlp_named" || return 1
  stdout_has "logits: f32[1,10]" "probs: f32[1,10]" "wrote 2 output(s)" || return 1
  npy_ok "$WORK/mlp_named/logits.npy" "(1, 10)" 10 || return 1
  npy_ok "$WORK/mlp_named/probs.npy" "(1, 10)" 10
}

test_run_mlp_bare_input() {
  graphc_ok run "$WORK/mlp.gcm" --input "$MLP_INPUT" --output-dir "$WORK/mlp_bare" || return 1
  same_bytes "$WORK/mlp_named/logits.npy" "$WORK/mlp_bare/logits.npy" || return 1
  same_bytes "$WORK/mlp_named/probs.npy" "$WORK/mlp_bare/probs.npy"
}

test_run_cnn() {
  graphc_ok run "$WORK/cnn.gcm" -i "x=$CNN_INPUT" --output-dir "$WORK/cnn" || return 1
  stdout_has "logits: f32[1,10]" "probs: f32[1,10]" || return 1
  npy_ok "$WORK/cnn/logits.npy" "(1, 10)" 10 || return 1
  npy_ok "$WORK/cnn/probs.npy" "(1, 10)" 10
}

test_run_cnn_bare_input() {
  graphc_ok run "$WORK/cnn.gcm" "--input=$CNN_INPUT" --output-dir "$WORK/cnn_bare" || return 1
  same_bytes "$WORK/cnn/logits.npy" "$WORK/cnn_bare/logits.npy"
}

test_run_model_directly() {
  graphc_ok run "$MLP" --input "x=$MLP_INPUT" --output-dir "$WORK/mlp_direct" || return 1
  stdout_has "logits: f32[1,10]" || return 1
  same_bytes "$WORK/mlp_named/logits.npy" "$WORK/mlp_direct/logits.npy" || return 1
  same_bytes "$WORK/mlp_named/probs.npy" "$WORK/mlp_direct/probs.npy"
}

test_inspect_model() {
  graphc_ok inspect "$MLP" --shape x=1x784 || return 1
  stdout_has "(model)" "inputs:" "f32[1,784]" "outputs:" "parameters: 535818" "Dense×3" "Softmax×1"
}

test_inspect_fusion() {
  graphc_ok inspect "$MLP" --shape x=1x784 --fusion || return 1
  stdout_has "fusion: 2 groups" "[fuse-epilogue]" "(Dense)" "(Relu)" "not fused:" "is a signature output"
}

test_inspect_model_unknown_dims_note() {
  graphc_ok inspect "$CNN" || return 1
  stderr_has "note: input 'x' has unknown dims [-1,1,28,28]" || return 1
  stdout_has "f32[1,10]"
}

test_inspect_module() {
  graphc_ok inspect "$WORK/cnn.gcm" || return 1
  stdout_has "(module)" "Conv2D×2" "MaxPool×2" "f32[1,16,28,28]" || return 1
  # assign-layout: the pooling between the convolutions reads and writes channels-last.
  stdout_has "channels-last" "in0,out0"
}

test_inspect_json() {
  graphc_ok inspect "$WORK/mlp.gcm" --json || return 1
  stdout_has '"node_count": 11' '"kind": "module"' || return 1  # two Dense+Relu pairs fused
  if ! command -v python3 >/dev/null; then
    echo "  (python3 not found: the JSON of inspect --json is not validated)"
    return 0
  fi
  python3 -c 'import json,sys; json.load(sys.stdin)' <"$STDOUT" 2>"$STDERR" && return 0
  REASON="inspect --json printed invalid JSON"
  return 1
}

test_dot_model() {
  graphc_ok dot "$CNN" --shape x=2x1x28x28 -o "$WORK/cnn.dot" || return 1
  stdout_has "wrote $WORK/cnn.dot" || return 1
  has "$WORK/cnn.dot" cnn.dot "digraph" "Conv2D" "f32[2,10]"
}

test_dot_module() {
  graphc_ok dot "$WORK/mlp.gcm" -o "$WORK/mlp.dot" || return 1
  [ "$(head -c 7 "$WORK/mlp.dot")" = "digraph" ] || { REASON="mlp.dot does not start with 'digraph'"; return 1; }
  has "$WORK/mlp.dot" mlp.dot "Dense" "}"
}

test_print_pipeline() {
  graphc_ok compile --print-pipeline -O0 || return 1
  stdout_has "verify, infer-shapes" || return 1
  if contains "$STDOUT" "simplify("; then
    REASON="the -O0 pipeline simplifies"
    return 1
  fi
  graphc_ok compile --print-pipeline || return 1
  stdout_has "verify, infer-shapes, simplify(fold-constants, cse, dce)*"
}

test_print_after_infer_shapes() {
  graphc_ok compile "$MLP" --shape x=2x784 -o "$WORK/p.gcm" --print-after=infer-shapes || return 1
  stderr_has "// ----- IR after infer-shapes" "%logits: f32[2,10] = Dense(%relu2, %w3, %b3)" "output probs = %probs" || return 1
  if contains "$STDERR" "IR after verify"; then
    REASON="--print-after=infer-shapes also printed the IR after verify"
    return 1
  fi
}

test_print_after_all() {
  graphc_ok compile "$CNN" --shape x=1x1x28x28 -o "$WORK/p.gcm" --print-after-all || return 1
  stderr_has "IR after verify" "IR after infer-shapes" "IR after fold-constants" "IR after cse" "IR after dce"
}

test_verify_each() {
  graphc_ok compile "$CNN" --shape x=1x1x28x28 -o "$WORK/v.gcm" --verify-each || return 1
  stdout_has "wrote $WORK/v.gcm"
}

test_time_passes() {
  graphc_ok compile "$MLP" --shape x=1x784 -o "$WORK/t.gcm" --time-passes || return 1
  stderr_has "pass timings" "infer-shapes" "total"
}

# The unoptimised and the optimised module compute the same outputs (up to
# rounding: -O2 may run other kernels).
test_O0_matches_O2() {
  local model input shape level
  for model in mlp cnn; do
    if [ "$model" = mlp ]; then input=$MLP_INPUT shape=1x784; else input=$CNN_INPUT shape=1x1x28x28; fi
    for level in 0 2; do
      graphc_ok compile "$EXAMPLES/$model.pbtxt" --shape "x=$shape" "-O$level" -o "$WORK/$model-O$level.gcm" || return 1
      graphc_ok run "$WORK/$model-O$level.gcm" --input "$input" --output-dir "$WORK/$model-O$level" || return 1
    done
    npy_close "$WORK/$model-O2/logits.npy" "$WORK/$model-O0/logits.npy" || return 1
    npy_close "$WORK/$model-O2/probs.npy" "$WORK/$model-O0/probs.npy" || return 1
  done
}

# Training on the tiny .npy dataset of the bad-input suite.
TRAIN_DATA=$(realpath "$(dirname "$0")/../bad_inputs/data")
CLASSIFIER=$TRAIN_DATA/classifier.pbtxt

# The epoch lines of stdout without their timings ("epoch 3/3: train loss
# 1.0234, test accuracy 0.5000 (3/6)").
epoch_results() {
  sed -E 's/, [0-9.]+ s \([0-9]+ ex\/s\)//' "$STDOUT" | grep '^epoch '
}

test_train_help() {
  graphc_ok train --help || return 1
  stdout_has "--data" "--checkpoint" "--resume" "--optimizer" "--lr-schedule" "--export" "--check-numerics"
}

# A run stopped after 2 epochs and resumed for the third ends exactly where
# an uninterrupted 3-epoch run does.
test_train_resume_is_exact() {
  local args=("$CLASSIFIER" --data "$TRAIN_DATA/dataset_ok" --batch 5 --seed 4 --lr-schedule step --lr-gamma 0.5)
  graphc_ok train "${args[@]}" --epochs 3 || return 1
  local straight
  straight=$(epoch_results | tail -n 1)
  graphc_ok train "${args[@]}" --epochs 2 --checkpoint "$WORK/ckpt" || return 1
  graphc_ok train "${args[@]}" --epochs 3 --checkpoint "$WORK/ckpt" --resume || return 1
  stderr_has "resumed from $WORK/ckpt/latest.gckpt after epoch 2 (6 updates)" || return 1
  if [ "$(epoch_results)" != "$straight" ]; then
    REASON="resumed: '$(epoch_results)', uninterrupted: '$straight'"
    return 1
  fi
}

# A checkpoint of another optimizer, or a truncated one, is refused and left as it was.
test_train_refuses_foreign_and_truncated_checkpoints() {
  graphc_ok train "$CLASSIFIER" --data "$TRAIN_DATA/dataset_ok" --epochs 1 --checkpoint "$WORK/c2" || return 1
  cp "$WORK/c2/latest.gckpt" "$WORK/saved.gckpt"
  run_graphc train "$CLASSIFIER" --data "$TRAIN_DATA/dataset_ok" --epochs 2 --checkpoint "$WORK/c2" --resume \
    --optimizer adam
  [ $? -eq 1 ] || { REASON="a foreign checkpoint was accepted"; return 1; }
  stderr_has "is a checkpoint of another model" || return 1
  cmp -s "$WORK/c2/latest.gckpt" "$WORK/saved.gckpt" || { REASON="the checkpoint changed"; return 1; }
  head -c 100 "$WORK/saved.gckpt" >"$WORK/c2/latest.gckpt"
  run_graphc train "$CLASSIFIER" --data "$TRAIN_DATA/dataset_ok" --epochs 2 --checkpoint "$WORK/c2" --resume
  [ $? -eq 1 ] || { REASON="a truncated checkpoint was accepted"; return 1; }
  stderr_has "truncated or damaged checkpoint"
}

# The exported inference module runs with graphc run.
test_train_export_and_run() {
  graphc_ok train "$CLASSIFIER" --data "$TRAIN_DATA/dataset_ok" --epochs 2 --batch 6 --export "$WORK/trained.gcm" || return 1
  stdout_has "wrote $WORK/trained.gcm (inference, batch 6)" || return 1
  graphc_ok run "$WORK/trained.gcm" --input "x=$TRAIN_DATA/dataset_ok/test_x.npy" || return 1
  stdout_has "logits" "f32[6,3]"
}

# The checkpoint's weights compile for inference at another batch size.
test_compile_trained_weights_for_inference() {
  graphc_ok train "$CLASSIFIER" --data "$TRAIN_DATA/dataset_ok" --epochs 1 --checkpoint "$WORK/cw" || return 1
  graphc_ok compile "$CLASSIFIER" --weights "$WORK/cw/latest.gckpt" --inference --shape x=1x4 -o "$WORK/one.gcm" || return 1
  stdout_has "1 inputs, 1 outputs" || return 1
  run_graphc compile "$MLP" --weights "$WORK/cw/latest.gckpt" --shape x=1x784 -o "$WORK/bad.gcm"
  [ $? -eq 1 ] || { REASON="weights of another model were accepted"; return 1; }
  stderr_has "holds no weights for the Variable(s) w1, b1, w2, b2, w3, b3"
}

# compile --train writes a training module; inspect shows the updates.
test_compile_train() {
  graphc_ok compile "$CLASSIFIER" --train --shape x=4x4 --shape labels=4 --optimizer adam -o "$WORK/step.gcm" || return 1
  graphc_ok inspect "$WORK/step.gcm" || return 1
  stdout_has "AdamUpdate" "learning_rate" "optimizer_step"
}

# A module placed on two devices keeps its placement when inspected.
test_inspect_placement_of_module() {
  graphc_ok compile "$MLP" --shape x=4x784 --devices cpu:2 -o "$WORK/two.gcm" || return 1
  graphc_ok inspect "$WORK/two.gcm" --placement || return 1
  stdout_has "cpu:0 (1 cores)" "cpu:1 (1 cores)"
}

for name in inspect_placement_of_module compile_trained_weights_for_inference train_help train_resume_is_exact train_refuses_foreign_and_truncated_checkpoints train_export_and_run \
  compile_train help compile_help run_help inspect_help dot_help version usage_error_exits_2 \
  compile_mlp compile_cnn compile_shape_before_model compile_default_output_path \
  run_mlp_named_input run_mlp_bare_input run_cnn run_cnn_bare_input run_model_directly \
  inspect_model inspect_fusion inspect_model_unknown_dims_note inspect_module inspect_json \
  dot_model dot_module print_pipeline print_after_infer_shapes print_after_all verify_each time_passes O0_matches_O2; do
  run_test "$name"
done
finish
