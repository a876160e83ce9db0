# shellcheck shell=bash
# Shared helpers of the CLI test scripts (run_bad_inputs.sh, run_cli_tests.sh):
# running graphc under a time limit, describing how it ended, and counting
# results. Source it after setting GRAPHC to the graphc binary.

# Every graphc run is killed after this many seconds: a hang is a failure.
TIME_LIMIT=10

# Scratch space for the whole script, removed on exit.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/graphc-cli-tests.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# Where run_graphc leaves the output of the last run.
STDOUT=$SCRATCH/stdout
STDERR=$SCRATCH/stderr

PASSED=0
FAILED=0

# run_graphc ARGS...: runs graphc with a time limit in the current directory,
# stdout to $STDOUT and stderr to $STDERR; returns graphc's exit status
# (124 when it timed out, 128+N when signal N killed it).
run_graphc() {
  timeout -k 2 "$TIME_LIMIT" "$GRAPHC" "$@" >"$STDOUT" 2>"$STDERR"
}

# status_text STATUS: how a run that returned STATUS ended, in words.
status_text() {
  if [ "$1" -eq 124 ]; then
    echo "timed out after ${TIME_LIMIT} s"
  elif [ "$1" -gt 128 ]; then
    echo "was killed by signal $(($1 - 128)) ($(kill -l "$(($1 - 128))" 2>/dev/null || echo '?'))"
  else
    echo "exited with $1"
  fi
}

# contains FILE TEXT: whether FILE contains TEXT (a plain string).
contains() {
  grep -qF -- "$2" "$1"
}

# pass NAME / fail NAME REASON: record and print one result. fail also shows
# the last run's stderr, indented, when there is any.
pass() {
  PASSED=$((PASSED + 1))
  echo "PASS $1"
}
fail() {
  FAILED=$((FAILED + 1))
  echo "FAIL $1: $2"
  if [ -s "$STDERR" ]; then sed 's/^/    | /' "$STDERR"; fi
}

# finish: prints the totals; returns non-zero if anything failed.
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
