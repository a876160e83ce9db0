# shellcheck shell=bash
# Helpers shared by the side-by-side benchmark scripts. Source it after
# setting `here` (the bench directory) and, unless bench_setup does, `python`
# (the interpreter that parses the JSON reports).

# bench_setup GRAPHC ROUNDS ITERS: the settings of a graphc-against-PyTorch
# script: root (the source tree), graphc (GRAPHC, or the build tree's),
# rounds and iters (the environment's ROUNDS and ITERS, else the defaults
# given), threads (2, for OpenMP too), python (PYTHON, else the system
# Python, which has Debian's python3-torch) and work (a temporary directory
# removed on exit).
# shellcheck disable=SC2034,SC2154  # sets the caller's variables, from its `here`
bench_setup() {
  root="$(dirname "$here")"
  graphc="${1:-$root/build/tools/graphc/graphc}"
  rounds="${ROUNDS:-$2}"
  iters="${ITERS:-$3}"
  threads=2
  python="${PYTHON:-/usr/bin/python3}"
  export OMP_NUM_THREADS=$threads
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
}

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# field NAME: the value of NAME in the JSON object on stdin.
field() { "${python:-python3}" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# o1_o2_peer_header FIRST / o1_o2_peer_row LABEL "O1 TIMES" "O2 TIMES" "PEER TIMES":
# a table of median times (µs; each argument a space-separated list) and the
# ratios -O2 ÷ -O1 and -O2 ÷ the peer (< 1: -O2 is faster).
o1_o2_peer_header() { printf "%-12s %12s %12s %12s %9s %9s\n" "$1" "-O1 µs" "-O2 µs" "pytorch µs" "O2÷O1" "O2÷torch"; }
o1_o2_peer_row() {
  local a b t
  # shellcheck disable=SC2086  # the lists split into one time per line
  a=$(printf "%s\n" $2 | median) b=$(printf "%s\n" $3 | median) t=$(printf "%s\n" $4 | median)
  printf "%-12s %12.1f %12.1f %12.1f %9.3f %9.3f\n" "$1" "$a" "$b" "$t" "$(echo "$b / $a" | bc -l)" \
    "$(echo "$b / $t" | bc -l)"
}
