#!/usr/bin/env bash
# The bad-input suite: runs graphc on every case of tests/bad_inputs (see its
# README.md for the case format) and checks that each one fails cleanly:
# exit code exactly 1 (no crash, no signal, no hang past the time limit),
# stderr ending with a line starting "error: " (progress lines may come
# before it, as `graphc train` prints them), exactly one error line, every expected text
# present, and no file left behind (graphc runs in an empty directory that
# also receives its -o / --output-dir output, and must stay empty).
#
# Usage: run_bad_inputs.sh GRAPHC CASE_DIR
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 GRAPHC CASE_DIR" >&2
  exit 2
fi
GRAPHC=$(realpath "$1")
CASE_DIR=$(realpath "$2")
source "$(dirname "$0")/lib.sh"

# run_case FILE: runs one case and records PASS or FAIL.
run_case() {
  local file=$1 name line args_line="" expects=() words=() args=() word
  name=$(basename "$file")
  : >"$STDERR"
  while IFS= read -r line; do
    case $line in
      "# args: "*) args_line=${line#"# args: "} ;;
      "# expect: "*) expects+=("${line#"# expect: "}") ;;
    esac
  done <"$file"
  if [ -z "$args_line" ] || [ ${#expects[@]} -eq 0 ]; then
    fail "$name" "the case has no '# args:' line or no '# expect:' line"
    return
  fi

  # Split on spaces first, then expand, so that paths may contain spaces.
  read -ra words <<<"$args_line"
  for word in "${words[@]}"; do
    word=${word//\{case\}/$file}
    args+=("${word//\{dir\}/$CASE_DIR}")
  done
  local out_dir
  out_dir=$(mktemp -d "$SCRATCH/$name.XXXXXX")
  case ${args[0]} in
    compile) args+=(-o "$out_dir/model.gcm") ;;
    run) args+=(--output-dir "$out_dir/outputs") ;;
    dot) args+=(-o "$out_dir/graph.dot") ;;
  esac

  local status
  (cd "$out_dir" && run_graphc "${args[@]}")
  status=$?
  if [ "$status" -ne 1 ]; then
    fail "$name" "graphc $(status_text "$status"), expected exit code 1"
    return
  fi
  if [ "$(tail -n 1 "$STDERR" | head -c 7)" != "error: " ]; then
    fail "$name" "the last line of stderr does not start with 'error: '"
    return
  fi
  local errors
  errors=$(grep -c '^error: ' "$STDERR")
  if [ "$errors" -ne 1 ]; then
    fail "$name" "stderr has $errors error lines, expected one"
    return
  fi
  local text
  for text in "${expects[@]}"; do
    if ! contains "$STDERR" "$text"; then
      fail "$name" "stderr lacks '$text'"
      return
    fi
  done
  if [ -n "$(ls -A "$out_dir")" ]; then
    fail "$name" "graphc left files behind: $(ls -A "$out_dir" | tr '\n' ' ')"
    return
  fi
  pass "$name"
}

shopt -s nullglob
cases=("$CASE_DIR"/*.pbtxt "$CASE_DIR"/*.case)
if [ ${#cases[@]} -eq 0 ]; then
  echo "no cases in $CASE_DIR" >&2
  exit 1
fi
for file in "${cases[@]}"; do
  run_case "$file"
done
finish
